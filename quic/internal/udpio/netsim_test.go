package udpio

import (
	"bytes"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/peregrine-h3/peregrine/internal/netsim"
)

// TestPortableOverNetsim runs the portable path over the in-memory network
// with fake time, as the endpoint's integration tests will.
func TestPortableOverNetsim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := netsim.New(netsim.Config{Default: netsim.Impairment{Delay: 30 * time.Millisecond}})
		defer n.Close()
		ea, err := n.NewEndpoint(netip.AddrPort{})
		if err != nil {
			t.Fatal(err)
		}
		eb, err := n.NewEndpoint(netip.MustParseAddrPort("[2001:db8::2]:443"))
		if err != nil {
			t.Fatal(err)
		}
		a := newConn(t, ea, Options{})
		b := newConn(t, eb, Options{})
		if caps := a.Capabilities(); caps.Batch || caps.GSO || caps.GRO || !caps.ECN {
			t.Fatalf("netsim endpoint got %+v, want the portable path", caps)
		}
		if newConn(t, ea, Options{DisableECN: true}).Capabilities().ECN {
			t.Error("DisableECN ignored on the portable path")
		}
		const seg, segs = 700, 12
		buf := make([]byte, seg*segs-100)
		payload(buf, 5)
		start := time.Now()
		out := []Message{
			{Buf: []byte("first"), N: 5, Addr: eb.AddrPort()},
			{Buf: buf, N: len(buf), Addr: eb.AddrPort(), SegmentSize: seg, ECN: ECNECT0},
		}
		if n, err := a.WriteBatch(out); n != 2 || err != nil {
			t.Fatalf("WriteBatch = %d, %v", n, err)
		}
		in := []Message{{Buf: make([]byte, 1500)}, {Buf: make([]byte, 1500)}}
		for i := range segs + 1 {
			n, err := b.ReadBatch(in)
			if n != 1 || err != nil {
				t.Fatalf("ReadBatch %d = %d, %v", i, n, err)
			}
			want, wantECN := []byte("first"), ECNNotECT
			if i > 0 {
				want = buf[(i-1)*seg : min(i*seg, len(buf))]
				wantECN = ECNECT0
			}
			m := in[0]
			if m.ECN != wantECN {
				t.Errorf("datagram %d arrived %v, want %v", i, m.ECN, wantECN)
			}
			if !bytes.Equal(m.Buf[:m.N], want) || m.Addr != ea.AddrPort() || m.SegmentSize != 0 {
				t.Fatalf("datagram %d: %d bytes from %v, want %d from %v",
					i, m.N, m.Addr, len(want), ea.AddrPort())
			}
		}
		if d := time.Since(start); d != 30*time.Millisecond {
			t.Errorf("datagrams took %v of fake time, want 30ms", d)
		}
	})
}
