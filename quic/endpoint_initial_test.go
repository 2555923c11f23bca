package quic

import (
	"bytes"
	"context"
	"encoding/hex"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// rfc9001ClientInitial returns the protected client Initial of RFC 9001,
// Appendix A.2.
func rfc9001ClientInitial(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(
		"../../shared/testdata/quic-vectors/rfc9001_client_initial_protected_packet.hex")
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInitialOpens(t *testing.T) {
	pkt := rfc9001ClientInitial(t)
	orig := bytes.Clone(pkt)
	if !initialOpens(pkt) {
		t.Fatal("the RFC 9001 client Initial does not open")
	}
	if !bytes.Equal(pkt, orig) {
		t.Fatal("initialOpens modified the datagram")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		bad := bytes.Clone(orig)
		// Flip one bit anywhere past the invariant header bytes.
		pos := 7 + rng.IntN(len(bad)-7)
		bad[pos] ^= 1 << rng.IntN(8)
		if initialOpens(bad) {
			t.Fatalf("case %d: a bit flipped at %d still opens", i, pos)
		}
	}
	junk := bytes.Clone(orig)
	for i := 30; i < len(junk); i++ {
		junk[i] = byte(rng.Uint32())
	}
	if initialOpens(junk) || initialOpens(orig[:40]) || initialOpens(nil) {
		t.Fatal("junk, a truncated packet or nothing opens")
	}
}

// TestEndpointIgnoresJunkInitials sends datagrams that look like first
// Initials but do not open: the endpoint must create no connection for them
// and still accept a real client.
func TestEndpointIgnoresJunkInitials(t *testing.T) {
	srvCfg, cliCfg := testConfigs(t)
	ep, err := Listen("udp", "127.0.0.1:0", srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	uc, err := net.DialUDP("udp", nil, ep.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	junk := rfc9001ClientInitial(t)
	const n = 50
	for i := range n {
		junk[6+i%8] ^= byte(i + 1) // a new Destination ID each time
		junk[len(junk)-1-i] ^= 0xff
		if _, err := uc.Write(junk); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for ep.droppedUnknown.Load() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := ep.droppedUnknown.Load(); got < n {
		t.Fatalf("endpoint dropped %d junk Initials, want %d", got, n)
	}
	ep.mu.Lock()
	conns := len(ep.all)
	ep.mu.Unlock()
	if conns != 0 || ep.handshaking.Load() != 0 {
		t.Fatalf("junk Initials created %d connections (%d handshaking)", conns,
			ep.handshaking.Load())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, "udp", ep.LocalAddr().String(), cliCfg)
	if err != nil {
		t.Fatalf("a real client after the junk: %v", err)
	}
	c.Close()
}

func TestReservedVersion(t *testing.T) {
	seen := map[uint32]bool{}
	for range 50 {
		v := reservedVersion()
		if v&0x0f0f0f0f != 0x0a0a0a0a {
			t.Fatalf("version %#08x is not of the reserved form 0x?a?a?a?a", v)
		}
		seen[v] = true
	}
	if len(seen) < 10 {
		t.Fatalf("only %d distinct reserved versions in 50 draws", len(seen))
	}
}
