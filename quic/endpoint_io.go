package quic

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/peregrine-h3/peregrine/quic/internal/udpio"
)

const (
	// maxSendSize is the UDP payload size of the packets we build: above the
	// 1200-byte minimum of RFC 9000, Section 14, and within an Ethernet MTU over
	// IPv6. Path MTU discovery may raise it later.
	maxSendSize = 1452
	// minInitialSize is the smallest datagram that may carry a client Initial
	// (RFC 9000, Section 14.1).
	minInitialSize = 1200
	// rxBufSize is the size of a receive buffer: one GRO batch at most.
	rxBufSize = udpio.MaxBufferSize
	// txBufSize is the size of a send buffer holding a GSO batch.
	txBufSize = 32 * maxSendSize
)

// rxBuf is a received socket message in a pooled buffer: one datagram, or
// several of segSize bytes each (the last possibly shorter) when the kernel
// coalesced them (GRO).
type rxBuf struct {
	buf  *[]byte
	n    int
	seg  int
	addr netip.AddrPort
}

// segments calls f with each datagram of the message.
func (r *rxBuf) segments(f func(b []byte)) {
	b := (*r.buf)[:r.n]
	if r.seg <= 0 || r.seg >= r.n {
		f(b)
		return
	}
	for len(b) > 0 {
		k := min(r.seg, len(b))
		f(b[:k])
		b = b[k:]
	}
}

// first returns the first datagram of the message.
func (r *rxBuf) first() []byte {
	b := (*r.buf)[:r.n]
	if r.seg > 0 && r.seg < r.n {
		return b[:r.seg]
	}
	return b
}

// smallRxSize is the buffer size for a received message holding a single
// datagram: such messages are copied out of the read loop's large buffer, so
// that a server with many connections does not pin 64 KiB per queued packet.
const smallRxSize = 2048

var rxPool = sync.Pool{New: func() any { b := make([]byte, rxBufSize); return &b }}
var smallRxPool = sync.Pool{New: func() any { b := make([]byte, smallRxSize); return &b }}
var txPool = sync.Pool{New: func() any { b := make([]byte, 0, txBufSize); return &b }}

// release returns the buffer to the pool.
func (r *rxBuf) release() {
	if r.buf == nil {
		return
	}
	if cap(*r.buf) == smallRxSize {
		smallRxPool.Put(r.buf)
	} else {
		rxPool.Put(r.buf)
	}
	r.buf = nil
}

// compact returns r, or a copy in a small buffer when r holds one datagram
// that fits; the caller keeps r's buffer in that case.
func (r *rxBuf) compact() (rxBuf, bool) {
	if r.n > smallRxSize || (r.seg > 0 && r.seg < r.n) {
		return *r, false
	}
	s := rxBuf{buf: smallRxPool.Get().(*[]byte), n: r.n, addr: r.addr}
	copy(*s.buf, (*r.buf)[:r.n])
	return s, true
}

// newBatchConn wraps pc in the batching socket layer, which also asks for
// large socket buffers (udpio.DefaultSocketBuffer) to absorb bursts between
// two reads.
func newBatchConn(pc net.PacketConn, log *slog.Logger) (udpio.Conn, error) {
	return udpio.New(pc, udpio.Options{Logger: log})
}

// udpAddr converts an address for the net.Addr-based public API.
func udpAddr(a netip.AddrPort) net.Addr {
	return net.UDPAddrFromAddrPort(a)
}

// addrPortOf converts a net.Addr given by a user to the socket layer's form.
func addrPortOf(a net.Addr) (netip.AddrPort, bool) {
	switch v := a.(type) {
	case *net.UDPAddr:
		ap := v.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
	case interface{ AddrPort() netip.AddrPort }:
		ap := v.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}
