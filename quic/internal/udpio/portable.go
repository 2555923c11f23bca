package udpio

import (
	"net"
	"net/netip"
	"sync"
)

// addrPortReader is implemented by connections that report the peer as a
// netip.AddrPort without allocating, such as *net.UDPConn and netsim endpoints.
type addrPortReader interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
}

// addrPortWriter is the sending counterpart of addrPortReader.
type addrPortWriter interface {
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
}

// ecnConn is implemented by connections that carry an ECN codepoint with
// each datagram without a socket, such as netsim endpoints.
type ecnConn interface {
	ReadFromUDPAddrPortECN(b []byte) (int, netip.AddrPort, uint8, error)
	WriteToUDPAddrPortECN(b []byte, addr netip.AddrPort, ecn uint8) (int, error)
}

// portableConn moves one datagram per call of the wrapped connection. It is the
// path for every connection that is not a Linux UDP socket, and for any
// connection when batching is turned off.
type portableConn struct {
	pc   net.PacketConn
	rd   addrPortReader // nil if pc does not implement it
	wr   addrPortWriter // nil if pc does not implement it
	ecn  ecnConn        // nil if pc does not implement it or ECN is off
	bufs sockBufs       // socket buffer sizes New obtained
	rmu  sync.Mutex
	wmu  sync.Mutex
}

func newPortableConn(pc net.PacketConn, opts Options) *portableConn {
	c := &portableConn{pc: pc}
	c.rd, _ = pc.(addrPortReader)
	c.wr, _ = pc.(addrPortWriter)
	if !opts.DisableECN {
		c.ecn, _ = pc.(ecnConn)
	}
	return c
}

// ReadBatch reads exactly one datagram into msgs[0]: the portable API offers no
// way to ask whether more are waiting without blocking.
func (c *portableConn) ReadBatch(msgs []Message) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	m := &msgs[0]
	var (
		n    int
		addr netip.AddrPort
		ecn  uint8
		err  error
	)
	switch {
	case c.ecn != nil:
		n, addr, ecn, err = c.ecn.ReadFromUDPAddrPortECN(m.Buf)
	case c.rd != nil:
		n, addr, err = c.rd.ReadFromUDPAddrPort(m.Buf)
	default:
		var a net.Addr
		n, a, err = c.pc.ReadFrom(m.Buf)
		addr = addrPortOf(a)
	}
	if err != nil {
		return 0, err
	}
	m.N = n
	m.Addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	m.SegmentSize = 0
	m.ECN = ECN(ecn & 0b11)
	return 1, nil
}

// WriteBatch writes each datagram with its own call, splitting GSO buffers.
func (c *portableConn) WriteBatch(msgs []Message) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for i := range msgs {
		m := &msgs[i]
		if err := checkWrite(m); err != nil {
			return i, err
		}
		for s := range m.NumSegments() {
			if err := c.write(m.Segment(s), m.Addr, m.ECN); err != nil {
				return i, err
			}
		}
	}
	return len(msgs), nil
}

func (c *portableConn) write(b []byte, addr netip.AddrPort, ecn ECN) error {
	if c.ecn != nil {
		_, err := c.ecn.WriteToUDPAddrPortECN(b, addr, uint8(ecn&0b11))
		return err
	}
	if c.wr != nil {
		_, err := c.wr.WriteToUDPAddrPort(b, addr)
		return err
	}
	_, err := c.pc.WriteTo(b, net.UDPAddrFromAddrPort(addr))
	return err
}

func (c *portableConn) Capabilities() Capabilities {
	return Capabilities{ECN: c.ecn != nil, MaxSegments: MaxSegments,
		ReadBuffer: c.bufs.read, WriteBuffer: c.bufs.write}
}

func (c *portableConn) LocalAddr() net.Addr        { return c.pc.LocalAddr() }
func (c *portableConn) PacketConn() net.PacketConn { return c.pc }
func (c *portableConn) Close() error               { return c.pc.Close() }

// addrPortOf converts a net.Addr from ReadFrom. Addresses that are not UDP-like
// become the zero AddrPort.
func addrPortOf(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort()
	case nil:
		return netip.AddrPort{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}
	}
	return ap
}
