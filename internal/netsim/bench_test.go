package netsim

import (
	"net/netip"
	"testing"
)

// BenchmarkDatagram measures one 1200-byte datagram through an unimpaired
// Link on the real clock, sent and received in batches of 64.
func BenchmarkDatagram(b *testing.B) {
	n := New(Config{})
	defer n.Close()
	x, _ := n.NewEndpoint(netip.AddrPort{})
	y, _ := n.NewEndpoint(netip.AddrPort{})
	buf := make([]byte, 1200)
	dst := y.AddrPort()
	b.SetBytes(int64(len(buf)) * 64)
	b.ReportAllocs()
	for b.Loop() {
		for range 64 {
			if _, err := x.WriteToUDPAddrPort(buf, dst); err != nil {
				b.Fatal(err)
			}
		}
		for range 64 {
			if _, _, err := y.ReadFromUDPAddrPort(buf); err != nil {
				b.Fatal(err)
			}
		}
	}
}
