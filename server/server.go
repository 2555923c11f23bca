package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peregrine-h3/peregrine/h3"
	"github.com/peregrine-h3/peregrine/quic"
	"github.com/peregrine-h3/peregrine/router"
	"github.com/peregrine-h3/peregrine/wt"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or Close.
var ErrServerClosed = errors.New("server: closed")

// errCodeExcessiveLoad is H3_EXCESSIVE_LOAD (RFC 9114, Section 8.1), sent to a
// connection beyond Options.MaxConnections.
const errCodeExcessiveLoad = 0x107

// A Server serves one route table over HTTP/3 and, unless disabled, over HTTP/1.1 and
// HTTP/2 on TCP. Build it with [New]. Its methods are safe for concurrent use.
type Server struct {
	opts     Options
	log      *slog.Logger
	table    *router.Table
	handler  http.Handler // the table behind request counting and panic recovery
	h3       *h3.Server
	tlsConf  *tls.Config
	quicConf *quic.Config
	dev      *DevCert
	start    time.Time

	ctx    context.Context // ends on Shutdown or Close
	cancel context.CancelFunc

	dgrams router.Counters
	st     counters

	mu     sync.Mutex
	closed bool
	eps    []*quic.Endpoint
	tcp    []*http.Server
	conns  map[*quic.Conn]uint64 // the connection's number
	// dgramCtx holds the QUICDatagramContext of HTTP/3 connections whose client
	// did not enable HTTP datagrams, made at their first QUIC datagram.
	dgramCtx map[*quic.Conn]*QUICDatagramContext
	ended    quic.ConnStats // sums of the byte counters of connections that ended
	altPort  int
}

// counters are the server-wide statistics kept with atomics.
type counters struct {
	connsTotal, connsActive   atomic.Int64
	reqsTotal, reqsInFlight   atomic.Int64
	rawDgramsIn, rawDgramsOut atomic.Uint64
	rawDgramsDropped          atomic.Uint64
	wtTotal, wtActive         atomic.Int64
}

// countSessions wraps a WebTransport route's handler to count its sessions.
func (s *Server) countSessions(fn func(*wt.Session)) func(*wt.Session) {
	return func(ws *wt.Session) {
		s.st.wtTotal.Add(1)
		s.st.wtActive.Add(1)
		defer s.st.wtActive.Add(-1)
		fn(ws)
	}
}

// New checks opts and builds a server. Bad options, a route table that does not build
// (see router.New) and a certificate that does not load are errors here, never later.
func New(opts Options) (*Server, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: opts.Logger, start: time.Now(),
		conns: make(map[*quic.Conn]uint64), dgramCtx: make(map[*quic.Conn]*QUICDatagramContext)}
	for i := range opts.Routes { // validate cloned the slice: this changes no caller's
		if fn := opts.Routes[i].WebTransport; fn != nil {
			opts.Routes[i].WebTransport = s.countSessions(fn)
		}
	}
	table, err := router.New(opts.Routes, router.Options{BodyLimit: opts.BodyLimit,
		Fallback: opts.Fallback, Counters: &s.dgrams})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.table = table
	if s.tlsConf, s.dev, err = opts.tlsConfig(s.start); err != nil {
		return nil, err
	}
	if s.dev != nil {
		s.log.Info("generated a development certificate", "sha256", s.dev.SHA256,
			"spki", s.dev.SPKI, "not_after", s.dev.NotAfter.UTC().Format(time.RFC3339))
	}
	lower := slog.New(&debugCap{h: s.log.Handler()})
	s.quicConf = &quic.Config{
		TLSConfig:            s.tlsConf,
		HandshakeTimeout:     opts.HandshakeTimeout,
		MaxIdleTimeout:       opts.IdleTimeout,
		MaxBidiRemoteStreams: int64(opts.MaxStreams),
		EnableDatagrams:      true,
		// webtransport-go clients refuse a server without reset_stream_at.
		EnableResetStreamAt: table.WebTransport() != nil,
		Logger:              lower,
	}
	s.handler = &guard{s: s, next: table}
	s.h3 = &h3.Server{Handler: s.handler, Logger: lower, MaxHeaderBytes: opts.MaxHeaderBytes,
		ReadHeaderTimeout: opts.HeaderTimeout}
	if opts.QUICDatagram != nil {
		s.h3.QUICDatagramHandler = s.h3QUICDatagram
	}
	if ws := table.WebTransport(); ws != nil {
		ws.Logger = lower
		ws.Configure(s.h3) // WebTransport SETTINGS and streams (package wt)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// DevCert returns the generated development certificate, or nil when the options named
// a certificate.
func (s *Server) DevCert() *DevCert { return s.dev }

// Handler returns the server's request handler (route table, request counting and panic
// recovery), for serving it with another server, such as net/http's in tests.
func (s *Server) Handler() http.Handler { return s.handler }

// ListenAndServe listens on Options.Addr for QUIC and, unless DisableTCP is set, for TCP
// on the same port, and serves until Shutdown or Close (then it returns
// ErrServerClosed) or the UDP socket fails.
func (s *Server) ListenAndServe() error {
	pc, err := net.ListenPacket("udp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if !s.opts.DisableTCP {
		host, _, _ := net.SplitHostPort(s.opts.Addr)
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			pc.Close()
			return fmt.Errorf("server: %w", err)
		}
		go func() {
			if err := s.ServeTCP(l); err != nil && !errors.Is(err, ErrServerClosed) {
				s.log.Error("TCP server stopped", "err", err)
			}
		}()
	}
	return s.Serve(pc)
}

// Serve serves HTTP/3 (and the RawALPNs) on pc until Shutdown or Close, when it returns
// ErrServerClosed, or until the socket fails. The server takes ownership of pc. Serve
// may be called for several sockets.
func (s *Server) Serve(pc net.PacketConn) error {
	ep, err := quic.NewEndpoint(pc, s.quicConf)
	if err != nil {
		pc.Close()
		return fmt.Errorf("server: %w", err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ep.Close()
		return ErrServerClosed
	}
	s.eps = append(s.eps, ep)
	if s.altPort == 0 {
		if ua, ok := pc.LocalAddr().(*net.UDPAddr); ok {
			s.altPort = ua.Port
		}
	}
	s.mu.Unlock()
	s.log.Info("serving HTTP/3", "addr", ep.LocalAddr().String())
	for {
		c, err := ep.Accept(s.ctx)
		if err != nil {
			if s.ctx.Err() != nil {
				return ErrServerClosed
			}
			return fmt.Errorf("server: %w", err)
		}
		go s.serveConn(c)
	}
}

// Addr returns the address of the first socket being served, or nil before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.eps) == 0 {
		return nil
	}
	return s.eps[0].LocalAddr()
}

// serveConn serves one accepted connection by its ALPN until it ends.
func (s *Server) serveConn(c *quic.Conn) {
	id, ok := s.track(c)
	if !ok {
		c.CloseWithError(errCodeExcessiveLoad, "too many connections")
		s.log.Debug("refused a connection", "remote", c.RemoteAddr().String())
		return
	}
	defer s.untrack(c)
	alpn := c.ConnectionState().NegotiatedProtocol
	var err error
	if alpn == alpnH3 {
		err = s.h3.ServeConn(c)
	} else {
		err = s.serveRaw(c, id)
	}
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug("connection ended", "conn", id, "alpn", alpn,
			"remote", c.RemoteAddr().String(), "err", errString(err))
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// track counts a new connection and returns its number, or reports false when the
// server is closed or full.
func (s *Server) track(c *quic.Conn) (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.conns) >= s.opts.MaxConnections {
		return 0, false
	}
	id := uint64(s.st.connsTotal.Add(1))
	s.conns[c] = id
	s.st.connsActive.Add(1)
	return id, true
}

func (s *Server) untrack(c *quic.Conn) {
	cs := c.Stats()
	s.mu.Lock()
	delete(s.conns, c)
	delete(s.dgramCtx, c)
	s.ended.BytesReceived += cs.BytesReceived
	s.ended.BytesSent += cs.BytesSent
	s.ended.DatagramsDropped += cs.DatagramsDropped
	s.mu.Unlock()
	s.st.connsActive.Add(-1)
}

// Shutdown stops the server gracefully: it stops accepting connections, sends GOAWAY on
// every HTTP/3 connection, waits for the requests in flight to finish and closes the
// connections, then the sockets. If ctx ends first, what is left is closed at once and
// ctx's error is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	eps, tcp, raw := s.stop()
	var wg sync.WaitGroup
	errs := make([]error, len(tcp)+1)
	for i, hs := range tcp {
		wg.Go(func() { errs[i] = hs.Shutdown(ctx) })
	}
	errs[len(tcp)] = s.h3.Shutdown(ctx)
	wg.Wait()
	for _, c := range raw {
		c.CloseWithError(0, "server shutting down")
	}
	for _, ep := range eps {
		ep.Close()
	}
	return errors.Join(errs...)
}

// Close closes every connection and socket now, cutting requests in flight.
func (s *Server) Close() error {
	eps, tcp, raw := s.stop()
	s.h3.Close()
	for _, hs := range tcp {
		hs.Close()
	}
	for _, c := range raw {
		c.CloseWithError(0, "server closed")
	}
	for _, ep := range eps {
		ep.Close()
	}
	return nil
}

// stop marks the server closed and returns what there is to close.
func (s *Server) stop() ([]*quic.Endpoint, []*http.Server, []*quic.Conn) {
	s.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var raw []*quic.Conn
	for c := range s.conns {
		if c.ConnectionState().NegotiatedProtocol != alpnH3 {
			raw = append(raw, c)
		}
	}
	return s.eps, s.tcp, raw
}

// debugCap lowers the records of the transport layers to Debug level: what a peer does
// wrong is worth a debug line, never a warning in the server's log. Handler panics are
// recovered before h3 sees them, so nothing of Error level is lost.
type debugCap struct{ h slog.Handler }

func (d *debugCap) Enabled(ctx context.Context, _ slog.Level) bool {
	return d.h.Enabled(ctx, slog.LevelDebug)
}

func (d *debugCap) Handle(ctx context.Context, r slog.Record) error {
	if r.Level > slog.LevelDebug {
		r.Level = slog.LevelDebug
	}
	return d.h.Handle(ctx, r)
}

func (d *debugCap) WithAttrs(a []slog.Attr) slog.Handler {
	return &debugCap{h: d.h.WithAttrs(a)}
}

func (d *debugCap) WithGroup(name string) slog.Handler {
	return &debugCap{h: d.h.WithGroup(name)}
}
