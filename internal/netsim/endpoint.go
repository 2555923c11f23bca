package netsim

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// An Endpoint is one address on a Network. It implements net.PacketConn with
// UDP semantics: writes never block (a datagram the Link cannot take is
// dropped), reads block until a datagram, the read deadline or Close.
//
// An Endpoint is safe for concurrent use.
type Endpoint struct {
	net *Network

	mu     sync.Mutex
	addr   netip.AddrPort // changed by Rebind
	local  *net.UDPAddr   // addr in net.Addr form
	queue  []*datagram    // received, oldest first
	head   int            // index of the oldest datagram in queue
	closed bool
	notify chan struct{} // holds a token when queue may be non-empty
	done   chan struct{} // closed by Close

	rdl, wdl *deadline
}

var _ net.PacketConn = (*Endpoint)(nil)

// errTooBig is returned for a write longer than the Network's MTU.
var errTooBig = errors.New("netsim: datagram larger than the MTU")

func newEndpoint(n *Network, addr netip.AddrPort) *Endpoint {
	return &Endpoint{
		net:    n,
		addr:   addr,
		local:  net.UDPAddrFromAddrPort(addr),
		notify: make(chan struct{}, 1),
		done:   make(chan struct{}),
		rdl:    newDeadline(),
		wdl:    newDeadline(),
	}
}

// AddrPort returns the Endpoint's address.
func (e *Endpoint) AddrPort() netip.AddrPort {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addr
}

// LocalAddr returns the Endpoint's address as a *net.UDPAddr.
func (e *Endpoint) LocalAddr() net.Addr {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.local
}

// Rebind moves the Endpoint to addr, as a NAT rebinding does to a client:
// datagrams it sends from now on come from addr, and datagrams addressed to
// the old address, including those in flight, are dropped. If addr is the
// zero AddrPort, the Network picks the next free automatic address. Readers
// blocked in ReadFrom stay blocked and receive what arrives at addr.
func (e *Endpoint) Rebind(addr netip.AddrPort) error {
	return e.net.rebind(e, addr)
}

// ReadFromUDPAddrPort reads one datagram into b, like the method of
// *net.UDPConn, without allocating. A datagram longer than b is truncated.
func (e *Endpoint) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	n, from, _, err := e.ReadFromUDPAddrPortECN(b)
	return n, from, err
}

// ReadFromUDPAddrPortECN is ReadFromUDPAddrPort that also returns the ECN
// codepoint the datagram arrived with (the low two bits of its IP TOS byte
// or traffic class).
func (e *Endpoint) ReadFromUDPAddrPortECN(b []byte) (int, netip.AddrPort, uint8, error) {
	for {
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return 0, netip.AddrPort{}, 0, e.opError("read", net.ErrClosed)
		}
		if e.rdl.passed() {
			e.mu.Unlock()
			return 0, netip.AddrPort{}, 0, e.opError("read", os.ErrDeadlineExceeded)
		}
		if d := e.pop(); d != nil {
			e.mu.Unlock()
			n, from, ecn := copy(b, d.data), d.src.from, d.ecn
			d.free()
			return n, from, ecn, nil
		}
		e.mu.Unlock()

		select {
		case <-e.notify:
		case <-e.done:
		case <-e.rdl.wait():
		}
	}
}

// ReadFrom reads one datagram into b. The address is a *net.UDPAddr.
func (e *Endpoint) ReadFrom(b []byte) (int, net.Addr, error) {
	n, ap, err := e.ReadFromUDPAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}

// WriteToUDPAddrPort sends b to addr, like the method of *net.UDPConn. It
// never blocks; the datagram may be lost on the way without an error.
func (e *Endpoint) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return e.WriteToUDPAddrPortECN(b, addr, 0)
}

// WriteToUDPAddrPortECN is WriteToUDPAddrPort with an ECN codepoint (only
// its low two bits are used), which the Link may change to CE or clear.
func (e *Endpoint) WriteToUDPAddrPortECN(b []byte, addr netip.AddrPort, ecn uint8) (int, error) {
	e.mu.Lock()
	closed, from := e.closed, e.addr
	e.mu.Unlock()
	switch {
	case closed:
		return 0, e.opError("write", net.ErrClosed)
	case e.wdl.passed():
		return 0, e.opError("write", os.ErrDeadlineExceeded)
	case len(b) > e.net.cfg.MTU:
		return 0, e.opError("write", errTooBig)
	case !addr.IsValid():
		return 0, e.opError("write", errors.New("netsim: invalid address"))
	}
	e.net.Link(from, addr).send(b, ecn&0b11)
	return len(b), nil
}

// WriteTo sends b to addr, which must be a *net.UDPAddr or a string form
// "host:port" of an IP address.
func (e *Endpoint) WriteTo(b []byte, addr net.Addr) (int, error) {
	var ap netip.AddrPort
	switch a := addr.(type) {
	case *net.UDPAddr:
		ap = a.AddrPort()
	default:
		if addr != nil {
			ap, _ = netip.ParseAddrPort(addr.String())
		}
	}
	return e.WriteToUDPAddrPort(b, ap)
}

// Close detaches the Endpoint and unblocks its readers with an error that
// matches net.ErrClosed. Datagrams still in flight to it are dropped on
// arrival. Close is idempotent.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	for _, d := range e.queue[e.head:] {
		d.free()
	}
	e.queue, e.head = nil, 0
	close(e.done)
	e.mu.Unlock()
	e.net.remove(e)
	e.rdl.set(time.Time{})
	e.wdl.set(time.Time{})
	return nil
}

// SetDeadline sets both the read and the write deadline.
func (e *Endpoint) SetDeadline(t time.Time) error {
	e.rdl.set(t)
	e.wdl.set(t)
	return nil
}

// SetReadDeadline sets the time after which reads fail with an error that
// matches os.ErrDeadlineExceeded; it also wakes readers that are waiting.
func (e *Endpoint) SetReadDeadline(t time.Time) error {
	e.rdl.set(t)
	return nil
}

// SetWriteDeadline sets the time after which writes fail with an error that
// matches os.ErrDeadlineExceeded.
func (e *Endpoint) SetWriteDeadline(t time.Time) error {
	e.wdl.set(t)
	return nil
}

// enqueue adds a received datagram, or reports false if the Endpoint is
// closed or its queue is full.
func (e *Endpoint) enqueue(d *datagram) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || len(e.queue)-e.head >= e.net.cfg.RecvQueue {
		return false
	}
	if e.head > 0 && len(e.queue) == cap(e.queue) {
		// Reuse the space of datagrams already read instead of growing.
		n := copy(e.queue, e.queue[e.head:])
		clear(e.queue[n:])
		e.queue, e.head = e.queue[:n], 0
	}
	e.queue = append(e.queue, d)
	select {
	case e.notify <- struct{}{}:
	default:
	}
	return true
}

// pop removes the oldest datagram, or returns nil. e.mu must be held.
func (e *Endpoint) pop() *datagram {
	if e.head == len(e.queue) {
		return nil
	}
	d := e.queue[e.head]
	e.queue[e.head] = nil
	e.head++
	if e.head == len(e.queue) {
		e.queue, e.head = e.queue[:0], 0
	} else {
		// More are waiting: pass the token on so another reader wakes.
		select {
		case e.notify <- struct{}{}:
		default:
		}
	}
	return d
}

func (e *Endpoint) opError(op string, err error) error {
	local := e.LocalAddr()
	return &net.OpError{Op: op, Net: "udp", Source: local, Addr: local, Err: err}
}
