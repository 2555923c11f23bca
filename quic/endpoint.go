package quic

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/udpio"
)

const (
	// readBatchSize is how many datagrams one read from the socket may return.
	readBatchSize = 32
	// acceptQueueLen bounds connections whose handshake completed but that
	// Accept has not returned yet; beyond it new connections are refused.
	acceptQueueLen = 128
	// maxHandshaking bounds server connections in the handshake at once, so
	// that a flood of Initials cannot create unbounded state.
	maxHandshaking = 1024
	// resetRate and resetBurst limit stateless resets and Version Negotiation
	// packets to resetRate per second with bursts of resetBurst.
	resetRate  = 100
	resetBurst = 20
)

// Endpoint is a QUIC endpoint on one UDP socket. It can accept connections
// (when created with a Config that has server certificates) and dial them.
//
// An Endpoint is safe for concurrent use. One goroutine reads the socket and
// routes datagrams to connections by destination connection ID; each
// connection runs its own goroutine.
type Endpoint struct {
	conn    udpio.Conn
	cfg     *Config // for accepted connections; nil if not listening
	log     *slog.Logger
	key     [32]byte // stateless reset token key
	acceptQ chan *Conn

	mu      sync.Mutex
	conns   map[string]*Conn   // by every local and original-destination ID
	resets  map[[16]byte]*Conn // peers' stateless reset tokens
	all     map[*Conn]struct{}
	closed  bool
	limiter tokenBucket

	closing  chan struct{}
	readDone chan struct{}

	// dialOnly marks an endpoint made by the package-level Dial for one
	// connection: it closes when that connection ends.
	dialOnly bool

	// testHooks, set by tests before any connection starts, gives each new
	// connection its hooks.
	testHooks func(c *Conn) *connTestHooks

	// handshaking counts server connections whose handshake has not
	// completed; new ones beyond maxHandshaking are not created.
	handshaking atomic.Int64

	// Counters of datagrams dropped by the endpoint.
	droppedUnknown atomic.Uint64
}

// Listen opens a UDP socket on address and returns an Endpoint that accepts
// connections configured by cfg and can also dial.
func Listen(network, address string, cfg *Config) (*Endpoint, error) {
	pc, err := net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	e, err := NewEndpoint(pc, cfg)
	if err != nil {
		pc.Close()
		return nil, err
	}
	return e, nil
}

// NewEndpoint returns an Endpoint on pc, which may be any net.PacketConn,
// including an in-memory one. cfg configures accepted connections; with a nil
// cfg the endpoint only dials. The Endpoint takes ownership of pc and closes it
// in Close.
func NewEndpoint(pc net.PacketConn, cfg *Config) (*Endpoint, error) {
	log := slog.New(slog.DiscardHandler)
	if cfg != nil && cfg.Logger != nil {
		log = cfg.Logger
	}
	bc, err := newBatchConn(pc, log)
	if err != nil {
		return nil, err
	}
	e := &Endpoint{
		conn:     bc,
		conns:    make(map[string]*Conn),
		resets:   make(map[[16]byte]*Conn),
		all:      make(map[*Conn]struct{}),
		acceptQ:  make(chan *Conn, acceptQueueLen),
		closing:  make(chan struct{}),
		readDone: make(chan struct{}),
		log:      slog.New(slog.DiscardHandler),
	}
	if cfg != nil {
		c, err := cfg.withDefaults()
		if err != nil {
			return nil, err
		}
		e.cfg = c
		e.log = c.Logger
	}
	rand.Read(e.key[:])
	e.limiter = tokenBucket{rate: resetRate, burst: resetBurst, tokens: resetBurst}
	go e.readLoop()
	return e, nil
}

// LocalAddr returns the socket's local address.
func (e *Endpoint) LocalAddr() net.Addr { return e.conn.LocalAddr() }

// Accept waits for a connection whose handshake has completed.
func (e *Endpoint) Accept(ctx context.Context) (*Conn, error) {
	if e.cfg == nil {
		return nil, errors.New("quic: endpoint created without a Config cannot accept")
	}
	select {
	case c := <-e.acceptQ:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-e.closing:
		return nil, net.ErrClosed
	}
}

// Dial opens a connection to addr from this endpoint and returns it once the
// handshake has completed.
func (e *Endpoint) Dial(ctx context.Context, addr net.Addr, cfg *Config) (*Conn, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ap, ok := addrPortOf(addr)
	if !ok {
		return nil, fmt.Errorf("quic: unsupported address %v", addr)
	}
	conn, err := newConn(e, c, true, ap, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := e.register(conn); err != nil {
		conn.state.tls.Close()
		return nil, err
	}
	go conn.run()
	return conn.waitHandshake(ctx)
}

// Dial opens a connection to address on a new UDP socket that the connection
// owns: the socket closes when the connection ends. If cfg.TLSConfig has no
// ServerName, the host part of address is used.
func Dial(ctx context.Context, network, address string, cfg *Config) (*Conn, error) {
	raddr, err := net.ResolveUDPAddr(network, address)
	if err != nil {
		return nil, err
	}
	laddr := ":0"
	if ip := raddr.IP; ip != nil && ip.IsLoopback() {
		if ip.To4() != nil {
			laddr = "127.0.0.1:0"
		} else {
			laddr = "[::1]:0"
		}
	}
	pc, err := net.ListenPacket(network, laddr)
	if err != nil {
		return nil, err
	}
	e, err := NewEndpoint(pc, nil)
	if err != nil {
		pc.Close()
		return nil, err
	}
	if cfg != nil && cfg.TLSConfig != nil && cfg.TLSConfig.ServerName == "" {
		// Verify the certificate against the host the caller named.
		if host, _, err := net.SplitHostPort(address); err == nil {
			cp := *cfg
			cp.TLSConfig = cfg.TLSConfig.Clone()
			cp.TLSConfig.ServerName = host
			cfg = &cp
		}
	}
	// Set before the connection's goroutine starts, which reads it.
	e.dialOnly = true
	c, err := e.Dial(ctx, raddr, cfg)
	if err != nil {
		e.Close()
		return nil, err
	}
	return c, nil
}

// Close closes every connection with CONNECTION_CLOSE (NO_ERROR), then the
// socket. It does not wait for the peers to acknowledge.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	conns := make([]*Conn, 0, len(e.all))
	for c := range e.all {
		conns = append(conns, c)
	}
	e.mu.Unlock()
	close(e.closing)
	for _, c := range conns {
		c.closeForEndpoint()
	}
	for _, c := range conns {
		c.waitDone(time.Second)
	}
	err := e.conn.Close()
	<-e.readDone
	return err
}

// register adds a connection and its current local IDs to the routing table.
func (e *Endpoint) register(c *Conn) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return net.ErrClosed
	}
	e.all[c] = struct{}{}
	for _, l := range c.state.ids.local {
		e.conns[string(l.id[:])] = c
	}
	return nil
}

// addID routes id to c.
func (e *Endpoint) addID(id []byte, c *Conn) {
	e.mu.Lock()
	e.conns[string(id)] = c
	e.mu.Unlock()
}

// addResetToken routes datagrams ending in a peer's stateless reset token to
// c, so that it can detect the reset (RFC 9000, Section 10.3.1).
func (e *Endpoint) addResetToken(tok [16]byte, c *Conn) {
	e.mu.Lock()
	e.resets[tok] = c
	e.mu.Unlock()
}

// removeResetToken stops routing tok to c.
func (e *Endpoint) removeResetToken(tok [16]byte, c *Conn) {
	e.mu.Lock()
	if e.resets[tok] == c {
		delete(e.resets, tok)
	}
	e.mu.Unlock()
}

// lookupReset returns the connection whose peer issued the token at the end
// of b, or nil.
func (e *Endpoint) lookupReset(b []byte) *Conn {
	if len(b) < minResetSize {
		return nil
	}
	var tok [16]byte
	copy(tok[:], b[len(b)-16:])
	e.mu.Lock()
	c := e.resets[tok]
	e.mu.Unlock()
	return c
}

// removeID stops routing id.
func (e *Endpoint) removeID(id []byte, c *Conn) {
	e.mu.Lock()
	if e.conns[string(id)] == c {
		delete(e.conns, string(id))
	}
	e.mu.Unlock()
}

// unregister removes every route to c once its goroutine has ended: its
// local IDs, the client's original ID and the peer's reset tokens. It runs on
// c's goroutine, which owns the lists.
func (e *Endpoint) unregister(c *Conn) {
	s := &c.state
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.all, c)
	drop := func(k string) {
		if e.conns[k] == c {
			delete(e.conns, k)
		}
	}
	for _, l := range s.ids.local {
		drop(string(l.id[:]))
	}
	drop(string(s.ids.origDCID))
	for _, t := range s.resetTokens {
		if e.resets[t] == c {
			delete(e.resets, t)
		}
	}
}

// resetToken computes the stateless reset token for a local connection ID
// (RFC 9000, Section 10.3.2): a keyed hash, so that it survives state loss.
func (e *Endpoint) resetToken(id []byte) [16]byte {
	m := hmac.New(sha256.New, e.key[:])
	m.Write(id)
	var t [16]byte
	copy(t[:], m.Sum(nil))
	return t
}

// send writes messages produced by a connection. A message the socket refuses
// is dropped (loss recovery treats it as lost) and the rest are still sent.
func (e *Endpoint) send(msgs []udpio.Message) {
	for len(msgs) > 0 {
		n, err := e.conn.WriteBatch(msgs)
		if err == nil {
			return
		}
		msgs = msgs[n+1:]
	}
}

// String describes the endpoint for logs.
func (e *Endpoint) String() string { return fmt.Sprintf("quic endpoint %v", e.LocalAddr()) }

// tokenBucket is a simple rate limiter driven by the caller's clock.
type tokenBucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

// allow reports whether one event may happen at now, and consumes a token.
func (b *tokenBucket) allow(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
