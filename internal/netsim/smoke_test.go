package netsim

import (
	"net/netip"
	"testing"
)

func TestSmoke(t *testing.T) {
	n := New(Config{Seed: 1})
	defer n.Close()
	a, err := n.NewEndpoint(netip.AddrPort{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.NewEndpoint(netip.AddrPort{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteToUDPAddrPort([]byte("hi"), b.AddrPort()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	nn, from, err := b.ReadFromUDPAddrPort(buf)
	if err != nil || string(buf[:nn]) != "hi" || from != a.AddrPort() {
		t.Fatalf("got %q from %v, %v", buf[:nn], from, err)
	}
}
