package h3

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// A Server serves HTTP/3 requests on QUIC connections with an http.Handler.
// Set its fields before the first connection is served and do not change
// them afterwards; its methods are safe for concurrent use.
type Server struct {
	// Handler answers requests; nil means http.DefaultServeMux.
	Handler http.Handler

	// Logger receives connection errors and handler panics; nil discards.
	Logger *slog.Logger

	// MaxHeaderBytes limits the size of a request's header and trailer
	// sections as RFC 9114, Section 4.2.2 counts it, and is advertised as
	// SETTINGS_MAX_FIELD_SECTION_SIZE. Zero means 64 KiB. Larger requests
	// get 431 (Request Header Fields Too Large).
	MaxHeaderBytes int

	// DatagramQueueLen bounds the HTTP datagrams queued for one request
	// before newer ones are dropped and counted. Zero means 32.
	DatagramQueueLen int

	// PanicHandler, if set, is called with the request and the recovered
	// value when a handler panics with anything but http.ErrAbortHandler.
	// Otherwise the panic is logged with its stack at level Error.
	PanicHandler func(r *http.Request, v any)

	// AdditionalSettings are sent in our SETTINGS frame besides the ones
	// this package sends itself, for extensions such as WebTransport.
	AdditionalSettings map[uint64]uint64

	// StreamHijacker, if set, is offered every request stream whose first
	// varint is not a known frame type (see hooks.go).
	StreamHijacker StreamHijacker

	// UniStreamHijacker, if set, is offered every unidirectional stream of
	// an unknown type.
	UniStreamHijacker UniStreamHijacker

	// QUICDatagramHandler, if set, receives every QUIC datagram (RFC 9221) of
	// a connection whose client did not send SETTINGS_H3_DATAGRAM=1: on such
	// a connection no datagram can be an HTTP datagram (RFC 9297, Section
	// 2.1.1), so it is handed over whole instead of being dropped. Calls for
	// one connection never overlap; reply through c.QUICConn().
	QUICDatagramHandler func(c Conn, payload []byte)

	// ReadHeaderTimeout bounds the time from the opening of a request stream
	// to the end of its HEADERS frame; a request that takes longer is reset
	// with H3_REQUEST_REJECTED, so that streams holding half a header cannot
	// pile up. Zero means 10 seconds; a negative value means no limit.
	ReadHeaderTimeout time.Duration

	// newCodec returns the QPACK state for a new connection.
	newCodec func() fieldCodec

	mu       sync.Mutex
	conns    map[*serverConn]struct{}
	shutdown bool
	ctx      context.Context // ends on Shutdown or Close, for Serve
	cancel   context.CancelFunc

	onShutdown []func() // from RegisterOnShutdown
}

// RegisterOnShutdown registers f to be called when Shutdown starts, before
// the connections are drained; an extension uses it to end long-lived
// requests such as WebTransport sessions gracefully.
func (s *Server) RegisterOnShutdown(f func()) {
	s.mu.Lock()
	s.onShutdown = append(s.onShutdown, f)
	s.mu.Unlock()
}

// runOnShutdown calls the functions given to RegisterOnShutdown, each on its
// own goroutine.
func (s *Server) runOnShutdown() {
	s.mu.Lock()
	fs := append([]func(){}, s.onShutdown...)
	s.mu.Unlock()
	for _, f := range fs {
		go f()
	}
}

// baseContext returns the context that Shutdown and Close cancel.
func (s *Server) baseContext() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		if s.shutdown {
			s.cancel()
		}
	}
	return s.ctx
}

// serveQUIC serves HTTP/3 on one QUIC connection until it ends, and returns
// why it ended. The exported ServeConn wraps it for *quic.Conn.
func (s *Server) serveQUIC(qc quicConn) error {
	maxField := uint64(defaultMaxFieldSectionSize)
	if s.MaxHeaderBytes > 0 {
		maxField = uint64(s.MaxHeaderBytes)
	}
	codec := fieldCodec(newQPACKCodec(maxField))
	if s.newCodec != nil {
		codec = s.newCodec()
	}
	sc := &serverConn{
		srv:    s,
		c:      newConn(qc, true, s.Logger, maxField, codec),
		lastID: -1,
		idle:   make(chan struct{}),
	}
	sc.c.setHooks(s.StreamHijacker, s.UniStreamHijacker, s.AdditionalSettings)
	sc.c.setRawDatagramHandler(s.QUICDatagramHandler)
	sc.tls = qc.ConnectionState()
	sc.remoteAddr = qc.RemoteAddr().String()
	sc.baseCtx = context.WithValue(qc.Context(), http.LocalAddrContextKey, qc.LocalAddr())
	if !s.track(sc) {
		qc.CloseWithError(uint64(ErrCodeNoError), "server shutting down")
		return ErrServerClosed
	}
	defer s.untrack(sc)
	ctx := qc.Context()
	if err := sc.c.start(ctx); err != nil {
		qc.CloseWithError(uint64(ErrCodeInternalError), "cannot open control streams")
		return err
	}
	return sc.acceptRequests(ctx)
}

func (s *Server) track(sc *serverConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[*serverConn]struct{})
	}
	s.conns[sc] = struct{}{}
	return true
}

func (s *Server) untrack(sc *serverConn) {
	s.mu.Lock()
	delete(s.conns, sc)
	s.mu.Unlock()
}

func (s *Server) snapshot() []*serverConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdown = true
	if s.cancel != nil {
		s.cancel()
	}
	conns := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		conns = append(conns, sc)
	}
	return conns
}

// Shutdown stops the server gracefully (RFC 9114, Section 5.2): every
// connection gets a GOAWAY with the next stream ID, requests on later
// streams are refused with H3_REQUEST_REJECTED, and each connection is
// closed with H3_NO_ERROR once its in-flight requests have finished. If ctx
// ends first, the remaining connections are closed at once and ctx's error
// is returned. New connections are refused after Shutdown.
func (s *Server) Shutdown(ctx context.Context) error {
	conns := s.snapshot()
	s.runOnShutdown()
	errc := make(chan error, len(conns))
	for _, sc := range conns {
		go func() { errc <- sc.shutdown(ctx) }()
	}
	var err error
	for range conns {
		err = errors.Join(err, <-errc)
	}
	return err
}

// Close closes every connection now with H3_NO_ERROR, without waiting for
// requests in flight, and refuses new connections.
func (s *Server) Close() error {
	for _, sc := range s.snapshot() {
		sc.c.closeWithError(ErrCodeNoError, "server closed")
	}
	return nil
}

// A serverConn is the server side of one HTTP/3 connection. Its methods are
// safe for concurrent use.
type serverConn struct {
	srv        *Server
	c          *conn
	tls        tls.ConnectionState
	remoteAddr string
	baseCtx    context.Context // parent of every request's context

	mu         sync.Mutex
	lastID     int64 // highest request stream ID accepted, or -1
	goawayID   int64 // ID sent in GOAWAY; valid when goawaySent
	goawaySent bool
	inflight   int
	idle       chan struct{} // closed when goawaySent and inflight is 0
	idleClosed bool
}

// acceptRequests accepts request streams until the connection ends.
func (sc *serverConn) acceptRequests(ctx context.Context) error {
	for {
		qs, err := sc.c.qc.AcceptStream(ctx)
		if err != nil {
			return err
		}
		if !isClientBidi(qs.ID()) {
			// A server-initiated stream cannot arrive here; be strict.
			sc.c.closeWithError(ErrCodeStreamCreationError, "unexpected stream ID")
			return connError(ErrCodeStreamCreationError, "stream %d", qs.ID())
		}
		if !sc.admit(qs.ID()) {
			// RFC 9114, Section 5.2: not processed, the client may retry.
			qs.CancelRead(uint64(ErrCodeRequestRejected))
			qs.CancelWrite(uint64(ErrCodeRequestRejected))
			continue
		}
		go sc.serveStream(qs)
	}
}

// admit counts a new request unless a GOAWAY already excluded its stream.
func (sc *serverConn) admit(id int64) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.goawaySent && id >= sc.goawayID {
		return false
	}
	sc.lastID = max(sc.lastID, id)
	sc.inflight++
	return true
}

// requestDone counts a request as finished once its stream has ended both
// ways, so that a graceful shutdown does not close the connection before the
// last response has been delivered.
func (sc *serverConn) requestDone(qs quicStream) {
	select {
	case <-qs.Context().Done():
	case <-sc.c.qc.Context().Done():
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.inflight--
	sc.checkIdle()
}

func (sc *serverConn) checkIdle() {
	if sc.goawaySent && sc.inflight == 0 && !sc.idleClosed {
		sc.idleClosed = true
		close(sc.idle)
	}
}

// maxClientBidiID is the largest client-initiated bidirectional stream ID,
// sent in the first GOAWAY of a graceful shutdown (RFC 9114, Section 5.2).
const maxClientBidiID = 1<<62 - 4

// minGoawayGrace is the shortest wait between the two GOAWAY frames. A few
// milliseconds lost requests against quic-go's client on a loaded machine:
// streams it opened before seeing the first GOAWAY arrived after the second.
const minGoawayGrace = 50 * time.Millisecond

// shutdown closes the connection gracefully (RFC 9114, Section 5.2): a first
// GOAWAY with the largest stream ID tells the client to stop opening
// requests; after a few round trips, when the requests it sent meanwhile
// have arrived, a second GOAWAY names the first stream that will not be
// processed. Once the requests in flight are done the connection is closed.
func (sc *serverConn) shutdown(ctx context.Context) error {
	sc.c.sendGoaway(maxClientBidiID)
	grace := max(3*sc.c.qc.SmoothedRTT(), minGoawayGrace)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-t.C:
	case <-sc.c.qc.Context().Done():
		return nil
	case <-ctx.Done():
		sc.c.closeWithError(ErrCodeNoError, "shutdown deadline")
		return ctx.Err()
	}
	sc.mu.Lock()
	if !sc.goawaySent {
		sc.goawaySent = true
		sc.goawayID = sc.lastID + 4
		if sc.lastID < 0 {
			sc.goawayID = 0
		}
	}
	id := sc.goawayID
	sc.checkIdle()
	sc.mu.Unlock()
	sc.c.sendGoaway(id)
	select {
	case <-sc.idle:
	case <-sc.c.qc.Context().Done():
		return nil
	case <-ctx.Done():
		sc.c.closeWithError(ErrCodeNoError, "shutdown deadline")
		return ctx.Err()
	}
	return sc.linger(ctx)
}

// goawayLinger bounds how long a drained connection waits for the client to
// close it after the last GOAWAY.
const goawayLinger = time.Second

// linger waits for the client to close a drained connection, then closes it
// with H3_NO_ERROR itself. The responses have been acknowledged, but a client
// may not have read them yet, and a QUIC stack drops unread stream data when
// the connection closes; clients close the connection themselves once their
// last request is done (RFC 9114, Section 5.2), so waiting costs nothing with
// a well-behaved client and is bounded by goawayLinger with any other.
func (sc *serverConn) linger(ctx context.Context) error {
	t := time.NewTimer(max(goawayLinger, 4*sc.c.qc.SmoothedRTT()))
	defer t.Stop()
	select {
	case <-sc.c.qc.Context().Done():
		return nil
	case <-t.C:
		sc.c.closeWithError(ErrCodeNoError, "")
		return nil
	case <-ctx.Done():
		sc.c.closeWithError(ErrCodeNoError, "shutdown deadline")
		return ctx.Err()
	}
}
