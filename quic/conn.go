package quic

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// maxInbox bounds the received messages queued for a busy connection;
	// more are dropped and counted (ConnStats has no field for them; they show
	// as loss to the peer).
	maxInbox = 512
	// maxInboxBytes bounds the buffer memory those messages may hold (GRO
	// messages use 64 KiB buffers).
	maxInboxBytes = 8 << 20
	// maxDatagramSendQueue bounds DATAGRAM frames waiting to be sent; older
	// ones are dropped when the connection cannot keep up (RFC 9221, Section 5:
	// datagrams are unreliable).
	maxDatagramSendQueue = 128
)

// Conn is a QUIC connection.
//
// Conn is safe for concurrent use by multiple goroutines. Each connection is
// run by one goroutine of its own that owns all protocol state; the methods
// hand it requests and never block on the network except where documented.
type Conn struct {
	ep       *Endpoint
	cfg      *Config
	log      *slog.Logger
	isClient bool
	remote   netip.AddrPort
	// countedHandshake: the endpoint counts this server connection among
	// those in the handshake; the loop uncounts it once.
	countedHandshake bool

	// inbox holds messages routed by the endpoint; the loop drains it.
	inMu      sync.Mutex
	inbox     []rxBuf
	inSpare   []rxBuf
	inDropped uint64
	inBytes   int // buffer capacity held by inbox
	wakeCh    chan struct{}

	// User requests, under userMu.
	userMu     sync.Mutex
	closeReq   *closeRequest
	dgramOut   [][]byte
	forceKeyUp bool

	dgramIn chan []byte // received datagrams, bounded

	handshakeCh chan struct{} // closed when the handshake completes or fails
	doneCh      chan struct{} // closed when the loop has exited
	ctx         context.Context
	cancel      context.CancelCauseFunc
	termErr     error // why the connection ended; written before doneCh closes
	tlsState    atomic.Pointer[tls.ConnectionState]
	maxDgram    atomic.Int64 // largest DATAGRAM payload we may send, 0 if none

	stats connStatsCounters

	// hooks observe and extend packets in tests; nil otherwise.
	hooks *connTestHooks

	// Everything below is owned by the loop goroutine.
	state connLoopState
}

// closeRequest is an application close asked for by CloseWithError.
type closeRequest struct {
	code   uint64
	reason string
	local  error // error for local operations: wraps net.ErrClosed
}

// newConn creates a connection. For a server, odcid and peerSCID come from the
// client's first Initial.
func newConn(ep *Endpoint, cfg *Config, isClient bool, remote netip.AddrPort,
	odcid, peerSCID []byte) (*Conn, error) {
	c := &Conn{
		ep:          ep,
		cfg:         cfg,
		log:         cfg.Logger,
		isClient:    isClient,
		remote:      remote,
		wakeCh:      make(chan struct{}, 1),
		dgramIn:     make(chan []byte, cfg.DatagramQueueLen),
		handshakeCh: make(chan struct{}),
		doneCh:      make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancelCause(context.Background())
	if ep.testHooks != nil {
		c.hooks = ep.testHooks(c)
	}
	if err := c.initState(time.Now(), odcid, peerSCID); err != nil {
		return nil, err
	}
	return c, nil
}

// wake makes the loop run soon. It never blocks.
func (c *Conn) wake() {
	select {
	case c.wakeCh <- struct{}{}:
	default:
	}
}

// deliver queues received messages from the endpoint and wakes the loop once.
// The connection takes ownership of the buffers.
func (c *Conn) deliver(bufs []rxBuf) {
	c.inMu.Lock()
	for _, b := range bufs {
		size := cap(*b.buf)
		if len(c.inbox) >= maxInbox || c.inBytes+size > maxInboxBytes {
			c.inDropped++
			b.release()
			continue
		}
		c.inBytes += size
		c.inbox = append(c.inbox, b)
	}
	c.inMu.Unlock()
	c.wake()
}

// takeInbox swaps out the queued messages for the loop.
func (c *Conn) takeInbox() []rxBuf {
	c.inMu.Lock()
	in := c.inbox
	c.inbox = c.inSpare[:0]
	c.inSpare = nil
	c.inBytes = 0
	c.inMu.Unlock()
	return in
}

// returnInbox gives the drained slice back for reuse.
func (c *Conn) returnInbox(in []rxBuf) {
	clear(in)
	c.inMu.Lock()
	c.inSpare = in[:0]
	c.inMu.Unlock()
}

// waitHandshake blocks until the handshake completes, fails or ctx ends.
func (c *Conn) waitHandshake(ctx context.Context) (*Conn, error) {
	select {
	case <-c.handshakeCh:
	case <-ctx.Done():
		c.abort(ctx.Err())
		<-c.doneCh
		return nil, ctx.Err()
	}
	select {
	case <-c.doneCh:
		return nil, c.termErr
	default:
	}
	if c.ctx.Err() != nil {
		<-c.doneCh
		return nil, c.termErr
	}
	return c, nil
}

// OpenStream opens a bidirectional stream, blocking while the peer's stream
// limit is reached until ctx ends.
func (c *Conn) OpenStream(ctx context.Context) (*Stream, error) {
	return c.state.streams.open(ctx, true)
}

// OpenUniStream opens a unidirectional (send-only) stream, blocking while the
// peer's stream limit is reached until ctx ends.
func (c *Conn) OpenUniStream(ctx context.Context) (*Stream, error) {
	return c.state.streams.open(ctx, false)
}

// AcceptStream waits for the peer to open a bidirectional stream.
func (c *Conn) AcceptStream(ctx context.Context) (*Stream, error) {
	return c.state.streams.accept(ctx, true)
}

// AcceptUniStream waits for the peer to open a unidirectional stream.
func (c *Conn) AcceptUniStream(ctx context.Context) (*Stream, error) {
	return c.state.streams.accept(ctx, false)
}

// errDatagramsDisabled is returned by SendDatagram when the peer did not
// advertise max_datagram_frame_size.
var errDatagramsDisabled = errors.New("quic: the peer does not accept datagrams")

// errDatagramTooLarge is returned by SendDatagram for a payload over
// MaxDatagramSize.
var errDatagramTooLarge = errors.New("quic: datagram too large")

// SendDatagram queues b to be sent in a DATAGRAM frame (RFC 9221). It returns
// an error if the peer did not enable datagrams or b does not fit in one
// packet. Delivery is not guaranteed; when the send queue is full the oldest
// queued datagram is dropped.
func (c *Conn) SendDatagram(b []byte) error {
	if err := c.closedErr(); err != nil {
		return err
	}
	max := c.maxDgram.Load()
	if max == 0 {
		return errDatagramsDisabled
	}
	if int64(len(b)) > max {
		return errDatagramTooLarge
	}
	cp := append([]byte(nil), b...)
	c.userMu.Lock()
	if len(c.dgramOut) >= maxDatagramSendQueue {
		copy(c.dgramOut, c.dgramOut[1:])
		c.dgramOut = c.dgramOut[:len(c.dgramOut)-1]
		c.stats.datagramsDropped.Add(1)
	}
	c.dgramOut = append(c.dgramOut, cp)
	c.userMu.Unlock()
	c.wake()
	return nil
}

// ReceiveDatagram returns the next received datagram, waiting until one
// arrives, ctx ends or the connection ends.
func (c *Conn) ReceiveDatagram(ctx context.Context) ([]byte, error) {
	select {
	case b := <-c.dgramIn:
		return b, nil
	default:
	}
	select {
	case b := <-c.dgramIn:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.ctx.Done():
		return nil, c.closedErr()
	}
}

// MaxDatagramSize returns the largest payload SendDatagram accepts, or 0 when
// the peer did not enable datagrams.
func (c *Conn) MaxDatagramSize() int { return int(c.maxDgram.Load()) }

// CloseWithError closes the connection with an application error code and
// reason, sent to the peer in CONNECTION_CLOSE. It returns once the connection
// is closing; the closing period (RFC 9000, Section 10.2) continues in the
// background. Later operations fail with an error that matches net.ErrClosed.
func (c *Conn) CloseWithError(code uint64, reason string) error {
	c.userMu.Lock()
	if c.closeReq == nil {
		c.closeReq = &closeRequest{code: code, reason: reason,
			local: &ApplicationError{Code: code, Reason: reason}}
	}
	c.userMu.Unlock()
	c.wake()
	select {
	case <-c.ctx.Done():
	case <-c.doneCh:
	}
	return nil
}

// Close closes the connection with application error code 0.
func (c *Conn) Close() error { return c.CloseWithError(0, "") }

// Context returns a context that is done when the connection ends. Its cause
// (context.Cause) is the reason.
func (c *Conn) Context() context.Context { return c.ctx }

// ConnectionState returns the TLS state of the handshake.
func (c *Conn) ConnectionState() tls.ConnectionState {
	if s := c.tlsState.Load(); s != nil {
		return *s
	}
	return tls.ConnectionState{}
}

// LocalAddr returns the local address of the endpoint's socket.
func (c *Conn) LocalAddr() net.Addr { return c.ep.LocalAddr() }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return udpAddr(c.remote) }

// closedErr returns the error for operations on an ended connection, or nil.
func (c *Conn) closedErr() error {
	if c.ctx.Err() == nil {
		return nil
	}
	return context.Cause(c.ctx)
}

// abort ends the connection at once without a CONNECTION_CLOSE to the peer
// (socket failure, dial cancelled).
func (c *Conn) abort(err error) {
	c.userMu.Lock()
	if c.closeReq == nil {
		c.closeReq = &closeRequest{local: err}
	}
	c.userMu.Unlock()
	c.wake()
}

// closeForEndpoint closes the connection because its endpoint closes.
func (c *Conn) closeForEndpoint() {
	c.userMu.Lock()
	if c.closeReq == nil {
		c.closeReq = &closeRequest{local: errEndpointClosing}
	}
	c.userMu.Unlock()
	c.wake()
}

// waitDone waits at most d for the loop to exit.
func (c *Conn) waitDone(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.doneCh:
	case <-t.C:
	}
}

// debugEnabled reports whether Debug logging is on, so that hot paths build
// log attributes only when they will be used.
func (c *Conn) debugEnabled() bool {
	return c.log.Enabled(context.Background(), slog.LevelDebug)
}

// connTestHooks lets in-package tests see the plaintext of packets and add
// frames to them, to assert what goes on the wire and to play a hostile peer.
type connTestHooks struct {
	// sent sees the plaintext payload of each packet before it is sealed.
	sent func(space spaceID, payload []byte)
	// recv sees the plaintext payload of each packet opened.
	recv func(space spaceID, payload []byte)
	// extra returns frames to put first in the next packet built in space.
	extra func(space spaceID) []byte
}
