package h3

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/peregrine-h3/peregrine/quic"
)

// A Transport is an http.RoundTripper that sends requests over HTTP/3. It
// keeps one connection per authority (host and port), reuses it for every
// request to that authority and dials a new one after the server sent
// GOAWAY or the connection ended. A Transport is safe for concurrent use;
// set its fields before the first request.
//
// An extended CONNECT request (RFC 9220) carries its protocol in
// req.Header[":protocol"], as with golang.org/x/net/http2; req.Proto is used
// instead when it is set to something other than "HTTP/...", as quic-go's
// http3 package does. The response Body
// of any CONNECT request is a *Stream: write to it to send data and HTTP
// datagrams, read it to receive; the request's Body is not sent.
type Transport struct {
	// TLSClientConfig is the TLS configuration for new connections; its
	// NextProtos is set to "h3" when empty.
	TLSClientConfig *tls.Config

	// QUICConfig is the QUIC configuration for new connections; nil means
	// the defaults. Its TLSConfig is replaced by TLSClientConfig. Set
	// EnableDatagrams for HTTP datagrams.
	QUICConfig *quic.Config

	// Dial, if set, opens the QUIC connection to addr (host:port) with cfg
	// instead of quic.Dial, for example to share one quic.Endpoint.
	Dial func(ctx context.Context, addr string, cfg *quic.Config) (*quic.Conn, error)

	// MaxResponseHeaderBytes limits a response's header and trailer
	// sections, and is advertised as SETTINGS_MAX_FIELD_SECTION_SIZE. Zero
	// means 64 KiB.
	MaxResponseHeaderBytes int64

	// DatagramQueueLen bounds the HTTP datagrams queued for one CONNECT
	// request before newer ones are dropped and counted. Zero means 32.
	DatagramQueueLen int

	// Logger receives connection errors; nil discards.
	Logger *slog.Logger

	// AdditionalSettings are sent in our SETTINGS frame besides the ones
	// this package sends itself, for extensions such as WebTransport.
	AdditionalSettings map[uint64]uint64

	// StreamHijacker, if set, is offered every server-initiated
	// bidirectional stream (see hooks.go); without it, or when it declines,
	// such a stream is a connection error.
	StreamHijacker StreamHijacker

	// UniStreamHijacker, if set, is offered every unidirectional stream of
	// an unknown type.
	UniStreamHijacker UniStreamHijacker

	// dial opens a QUIC connection to authority. The quic adapter sets it
	// from the exported dial options; tests set it to the memory transport.
	dial func(ctx context.Context, authority string, tlsConf *tls.Config) (quicConn, error)

	// newCodec returns the QPACK state for a new connection.
	newCodec func() fieldCodec

	mu    sync.Mutex
	conns map[string]*connEntry
}

// A connEntry is a pool slot: a connection being dialled or ready.
type connEntry struct {
	ready chan struct{}
	cc    *clientConn
	err   error
}

// maxAttempts bounds how often a request the server did not process is
// retried on a new connection.
const maxAttempts = 3

// RoundTrip sends req over HTTP/3 and returns the response, whose body is
// streamed. Requests that the server refused without processing them (after
// GOAWAY, or reset with H3_REQUEST_REJECTED) are retried on a new connection
// when their body can be sent again.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || req.URL.Scheme != "https" || req.URL.Host == "" {
		closeBody(req)
		return nil, errors.New("h3: request URL must be https://host")
	}
	key := authorityKey(req.URL.Host)
	for attempt := 1; ; attempt++ {
		cc, err := t.getConn(req.Context(), key)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, err := cc.roundTrip(req)
		retry := err == errRetryRequest || err == errRetryUnsent
		if !retry || attempt == maxAttempts {
			if err == errRetryUnsent {
				closeBody(req)
			}
			return resp, err
		}
		t.forget(key, cc)
		if err == errRetryRequest {
			if req, err = rewindBody(req); err != nil {
				return nil, err
			}
		}
	}
}

// rewindBody prepares req to be sent again.
func rewindBody(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, errors.New("h3: request not processed by the server and its body " +
			"cannot be sent again (no GetBody)")
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := *req
	r.Body = body
	return &r, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// authorityKey returns host:port with the default port 443.
func authorityKey(host string) string {
	if i := strings.LastIndexByte(host, ':'); i > strings.LastIndexByte(host, ']') {
		return host // A port is present; a malformed one fails at dial.
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "443")
}

// getConn returns a usable pooled connection to key, dialling one if needed;
// concurrent callers share one dial.
func (t *Transport) getConn(ctx context.Context, key string) (*clientConn, error) {
	t.mu.Lock()
	if t.conns == nil {
		t.conns = make(map[string]*connEntry)
	}
	e := t.conns[key]
	if e != nil {
		select {
		case <-e.ready:
			if e.err != nil || !e.cc.usable() {
				e = nil
			}
		default:
		}
	}
	if e == nil {
		e = &connEntry{ready: make(chan struct{})}
		t.conns[key] = e
		t.mu.Unlock()
		e.cc, e.err = t.dialConn(ctx, key)
		close(e.ready)
		if e.err != nil {
			t.forget(key, nil)
		}
		return e.cc, e.err
	}
	t.mu.Unlock()
	select {
	case <-e.ready:
		return e.cc, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// forget removes key's pool slot if it still holds cc (any failed dial when
// cc is nil).
func (t *Transport) forget(key string, cc *clientConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.conns[key]
	if e == nil {
		return
	}
	select {
	case <-e.ready:
		if e.cc == cc {
			delete(t.conns, key)
		}
	default:
	}
}

func (t *Transport) dialConn(ctx context.Context, key string) (*clientConn, error) {
	dial := t.dial
	if dial == nil {
		dial = t.dialQUIC
	}
	tlsConf := t.TLSClientConfig.Clone()
	if tlsConf == nil {
		tlsConf = &tls.Config{}
	}
	if len(tlsConf.NextProtos) == 0 {
		tlsConf.NextProtos = []string{"h3"}
	}
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = serverName(key)
	}
	qc, err := dial(ctx, key, tlsConf)
	if err != nil {
		return nil, err
	}
	maxField := uint64(defaultMaxFieldSectionSize)
	if t.MaxResponseHeaderBytes > 0 {
		maxField = uint64(t.MaxResponseHeaderBytes)
	}
	codec := fieldCodec(newQPACKCodec(maxField))
	if t.newCodec != nil {
		codec = t.newCodec()
	}
	cc := &clientConn{t: t, key: key, c: newConn(qc, false, t.Logger, maxField, codec)}
	cc.c.onGoaway = func(int64) {
		t.forget(key, cc)
		cc.closeIfDrained()
	}
	context.AfterFunc(qc.Context(), func() { t.forget(key, cc) })
	cc.c.setHooks(t.StreamHijacker, t.UniStreamHijacker, t.AdditionalSettings)
	cc.tls = qc.ConnectionState()
	if err := cc.c.start(ctx); err != nil {
		qc.CloseWithError(uint64(ErrCodeInternalError), "cannot open control streams")
		return nil, err
	}
	go cc.acceptServerStreams()
	return cc, nil
}

// Close closes every pooled connection, like CloseIdleConnections.
func (t *Transport) Close() error {
	t.CloseIdleConnections()
	return nil
}

// CloseIdleConnections closes every pooled connection with H3_NO_ERROR.
// Requests in flight on them fail.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	conns := t.conns
	t.conns = nil
	t.mu.Unlock()
	for _, e := range conns {
		select {
		case <-e.ready:
			if e.cc != nil {
				e.cc.c.closeWithError(ErrCodeNoError, "")
			}
		default:
		}
	}
}

// A clientConn is the client side of one HTTP/3 connection. Its methods are
// safe for concurrent use.
type clientConn struct {
	t      *Transport
	key    string
	c      *conn
	tls    tls.ConnectionState
	active atomic.Int64 // request streams not yet ended in both directions
}

// usable reports whether new requests may be sent on the connection.
func (cc *clientConn) usable() bool {
	return cc.c.qc.Context().Err() == nil && cc.c.goawayLimit() < 0
}
