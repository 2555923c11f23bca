package netsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"
)

// DefaultRecvQueue is the number of datagrams an Endpoint buffers when
// Config.RecvQueue is zero.
const DefaultRecvQueue = 1024

// DefaultMTU is the largest datagram payload an Endpoint sends when
// Config.MTU is zero: the largest UDP payload over IPv4.
const DefaultMTU = 65507

// DefaultQueueBytes is the drop-tail queue of a bandwidth-limited Link when
// Impairment.QueueBytes is zero.
const DefaultQueueBytes = 64 << 10

// Impairment says what a Link does to the datagrams it carries. The zero value
// delivers every datagram at once, intact and in order. An Impairment is a
// plain value: a Link keeps its own copy, so changing the caller's has no
// effect until it is passed to SetImpairment again.
type Impairment struct {
	// Delay is the fixed one-way latency.
	Delay time.Duration
	// Jitter adds a uniformly random delay in [0, Jitter) to each datagram.
	// Jitter alone never reorders: a datagram is not delivered before one
	// sent earlier on the same Link.
	Jitter time.Duration
	// Loss is the probability, from 0 to 1, that a datagram is dropped.
	Loss float64
	// LossBurst, if above 1, makes losses come in runs of this mean length
	// (a Gilbert model) while the long-run loss rate stays Loss; at most
	// LossBurst/(LossBurst+1) of the datagrams can then be lost. Zero or 1
	// means each datagram is lost independently.
	LossBurst float64
	// Reorder is the probability that a datagram is held back by
	// ReorderDelay, letting datagrams sent after it overtake it.
	Reorder float64
	// ReorderDelay is how long a reordered datagram is held back. Zero means
	// 10 ms.
	ReorderDelay time.Duration
	// Duplicate is the probability that a datagram is delivered twice.
	Duplicate float64
	// Corrupt is the probability that one byte of a datagram is flipped.
	Corrupt float64
	// Bandwidth limits the Link to this many bits per second; zero means no
	// limit. Datagrams wait in a queue of QueueBytes while the Link is busy.
	Bandwidth int64
	// QueueBytes bounds the bytes waiting for a bandwidth-limited Link; a
	// datagram that would overflow it is dropped (drop-tail). Zero means
	// DefaultQueueBytes.
	QueueBytes int
	// MarkCE is the probability that an ECN-capable datagram (ECT(0) or
	// ECT(1)) arrives marked CE, congestion experienced (RFC 3168).
	MarkCE float64
	// CEThreshold, if positive, marks CE every ECN-capable datagram that
	// finds at least this many bytes queued on a bandwidth-limited Link,
	// as an active queue manager would instead of waiting to drop.
	CEThreshold int
	// BleachECN clears the ECN codepoint of every datagram, as some
	// middleboxes do; QUIC's ECN validation must then turn ECN off.
	BleachECN bool
}

// ECN codepoints, the low two bits of the IP TOS byte or traffic class.
const (
	ecnNotECT = 0b00
	ecnECT1   = 0b01
	ecnECT0   = 0b10
	ecnCE     = 0b11
)

// Config configures a Network. New copies it; later changes to the caller's
// value have no effect.
type Config struct {
	// Seed selects the random choices of every Link.
	Seed uint64
	// Default is the Impairment of each Link when it is created.
	Default Impairment
	// RecvQueue is the number of datagrams an Endpoint buffers before
	// arriving ones are dropped. Zero means DefaultRecvQueue.
	RecvQueue int
	// MTU is the largest datagram an Endpoint may send; a longer write
	// fails. Zero means DefaultMTU.
	MTU int
}

// A Network connects Endpoints through Links.
//
// A Network is safe for concurrent use.
type Network struct {
	cfg Config

	mu        sync.Mutex
	endpoints map[netip.AddrPort]*Endpoint
	links     map[linkKey]*Link
	next      uint32 // host number for the next automatic address
	closed    bool
}

type linkKey struct{ from, to netip.AddrPort }

// New returns an empty Network.
func New(cfg Config) *Network {
	if cfg.RecvQueue <= 0 {
		cfg.RecvQueue = DefaultRecvQueue
	}
	if cfg.MTU <= 0 {
		cfg.MTU = DefaultMTU
	}
	return &Network{
		cfg:       cfg,
		endpoints: make(map[netip.AddrPort]*Endpoint),
		links:     make(map[linkKey]*Link),
	}
}

// errAddrInUse is returned by NewEndpoint for an address already taken.
var errAddrInUse = errors.New("netsim: address already in use")

// NewEndpoint attaches an Endpoint at addr. If addr is the zero AddrPort, the
// Network picks the next free address of the form 10.0.0.N:443.
func (n *Network) NewEndpoint(addr netip.AddrPort) (*Endpoint, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, net.ErrClosed
	}
	addr, err := n.claim(addr)
	if err != nil {
		return nil, err
	}
	e := newEndpoint(n, addr)
	n.endpoints[addr] = e
	return e, nil
}

// claim resolves addr (the zero AddrPort picks an automatic one) and checks
// it is free. n.mu must be held.
func (n *Network) claim(addr netip.AddrPort) (netip.AddrPort, error) {
	if !addr.IsValid() {
		return n.nextAddr(), nil
	}
	addr = unmap(addr)
	if _, ok := n.endpoints[addr]; ok {
		return netip.AddrPort{}, fmt.Errorf("%w: %v", errAddrInUse, addr)
	}
	return addr, nil
}

// rebind moves e to addr; see Endpoint.Rebind.
func (n *Network) rebind(e *Endpoint, addr netip.AddrPort) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return net.ErrClosed
	}
	addr, err := n.claim(addr)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return net.ErrClosed
	}
	if n.endpoints[e.addr] == e {
		delete(n.endpoints, e.addr)
	}
	e.addr, e.local = addr, net.UDPAddrFromAddrPort(addr)
	n.endpoints[addr] = e
	return nil
}

// nextAddr returns a free automatic address. n.mu must be held.
func (n *Network) nextAddr() netip.AddrPort {
	for {
		n.next++
		h := n.next
		ip := netip.AddrFrom4([4]byte{10, byte(h >> 16), byte(h >> 8), byte(h)})
		ap := netip.AddrPortFrom(ip, 443)
		if _, ok := n.endpoints[ap]; !ok {
			return ap
		}
	}
}

// Link returns the Link that carries datagrams from one address to another,
// creating it with Config.Default if no datagram has used it yet.
func (n *Network) Link(from, to netip.AddrPort) *Link {
	k := linkKey{unmap(from), unmap(to)}
	n.mu.Lock()
	defer n.mu.Unlock()
	l, ok := n.links[k]
	if !ok {
		l = newLink(n, k, n.cfg.Default)
		n.links[k] = l
	}
	return l
}

// SetImpairment sets im on every existing Link and makes it the default for
// Links created later.
func (n *Network) SetImpairment(im Impairment) {
	n.mu.Lock()
	n.cfg.Default = im
	links := make([]*Link, 0, len(n.links))
	for _, l := range n.links {
		links = append(links, l)
	}
	n.mu.Unlock()
	for _, l := range links {
		l.SetImpairment(im)
	}
}

// Close closes every Endpoint and stops every Link; datagrams in flight are
// discarded. Close is idempotent.
func (n *Network) Close() error {
	n.mu.Lock()
	n.closed = true
	eps := make([]*Endpoint, 0, len(n.endpoints))
	for _, e := range n.endpoints {
		eps = append(eps, e)
	}
	links := make([]*Link, 0, len(n.links))
	for _, l := range n.links {
		links = append(links, l)
	}
	n.mu.Unlock()
	for _, e := range eps {
		e.Close()
	}
	for _, l := range links {
		l.stop()
	}
	return nil
}

// endpoint returns the Endpoint at addr, or nil.
func (n *Network) endpoint(addr netip.AddrPort) *Endpoint {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.endpoints[addr]
}

// remove detaches e if it is still the Endpoint at its address.
func (n *Network) remove(e *Endpoint) {
	n.mu.Lock()
	defer n.mu.Unlock()
	addr := e.AddrPort()
	if n.endpoints[addr] == e {
		delete(n.endpoints, addr)
	}
}

// newRand returns the random source of the Link k: it depends only on the
// seed and the two addresses, never on the traffic of other Links.
func (n *Network) newRand(k linkKey) *rand.Rand {
	h := uint64(14695981039346656037) // FNV-1a offset basis
	mix := func(ap netip.AddrPort) {
		b := ap.Addr().As16()
		for _, c := range b {
			h = (h ^ uint64(c)) * 1099511628211
		}
		h = (h ^ uint64(ap.Port())) * 1099511628211
	}
	mix(k.from)
	mix(k.to)
	return rand.New(rand.NewPCG(n.cfg.Seed, h))
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
