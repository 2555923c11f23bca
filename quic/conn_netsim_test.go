package quic

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"io"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/peregrine-h3/peregrine/internal/netsim"
)

// netsimPair creates a network with the given impairment both ways, a server
// endpoint and a client endpoint, and returns the connected pair. It must run
// inside a synctest bubble.
func netsimPair(t *testing.T, im netsim.Impairment, mod func(s, c *Config)) (
	srv, cli *Conn, clientLink *netsim.Link, closeAll func()) {
	t.Helper()
	n := netsim.New(netsim.Config{Seed: 1, Default: im})
	t.Cleanup(func() { n.Close() })
	sa := netip.MustParseAddrPort("10.0.0.1:443")
	ca := netip.MustParseAddrPort("10.0.0.2:5000")
	spc, err := n.NewEndpoint(sa)
	if err != nil {
		t.Fatal(err)
	}
	cpc, err := n.NewEndpoint(ca)
	if err != nil {
		t.Fatal(err)
	}
	scfg, ccfg := testConfigs(t)
	if mod != nil {
		mod(scfg, ccfg)
	}
	sep, err := NewEndpoint(spc, scfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sep.Close() })
	cep, err := NewEndpoint(cpc, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cep.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acc := make(chan *Conn, 1)
	go func() {
		c, _ := sep.Accept(ctx)
		acc <- c
	}()
	cli, err = cep.Dial(ctx, spc.LocalAddr(), ccfg)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	srv = <-acc
	if srv == nil {
		t.Fatal("accept failed")
	}
	return srv, cli, n.Link(ca, sa), func() {
		cep.Close()
		sep.Close()
		n.Close()
	}
}

// TestNetsimBulkLossy moves 50 MB from client to server over a network that
// loses 2% of datagrams both ways, and checks every byte.
func TestNetsimBulkLossy(t *testing.T) {
	size := 50 << 20
	if testing.Short() {
		size = 5 << 20
	}
	synctest.Test(t, func(t *testing.T) {
		im := netsim.Impairment{Delay: 10 * time.Millisecond, Loss: 0.02}
		srv, cli, clientLink, closeAll := netsimPair(t, im, nil)
		defer closeAll()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()

		got := make(chan [32]byte, 1)
		go func() {
			s, err := srv.AcceptUniStream(ctx)
			if err != nil {
				t.Errorf("accept: %v", err)
				got <- [32]byte{}
				return
			}
			h := sha256.New()
			n, err := io.Copy(h, s)
			if err != nil || n != int64(size) {
				t.Errorf("server read %d bytes, err %v", n, err)
			}
			var sum [32]byte
			copy(sum[:], h.Sum(nil))
			got <- sum
		}()

		s, err := cli.OpenUniStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// AES-CTR makes deterministic pseudo-random data cheaply (the
		// race detector does not instrument its assembly).
		block, _ := aes.NewCipher(make([]byte, 16))
		ctr := cipher.NewCTR(block, make([]byte, 16))
		h := sha256.New()
		buf := make([]byte, 64<<10)
		start := time.Now()
		for sent := 0; sent < size; sent += len(buf) {
			clear(buf)
			ctr.XORKeyStream(buf, buf)
			h.Write(buf)
			if _, err := s.Write(buf); err != nil {
				t.Fatalf("write at %d: %v", sent, err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		var want [32]byte
		copy(want[:], h.Sum(nil))
		if sum := <-got; sum != want {
			t.Fatal("SHA-256 of received data differs")
		}
		st := cli.Stats()
		t.Logf("%d MB in %v of simulated time; sent %d packets, lost %d, cwnd %d, srtt %v",
			size>>20, time.Since(start), st.PacketsSent, st.PacketsLost, st.CongestionWindow,
			st.SmoothedRTT)
		if st.PacketsLost == 0 {
			t.Error("no packet loss recorded on a lossy network")
		}
		// Losses declared should be the network's, not spurious ones (a
		// peer's ACK ranges cut short once made this three times higher).
		if real := clientLink.Stats().Lost; st.PacketsLost > real+real/10+10 {
			t.Errorf("declared %d packets lost, the network dropped %d", st.PacketsLost, real)
		}
		cli.Close()
	})
}
