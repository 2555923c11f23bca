package h3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
)

// serveStream serves one request stream: it reads and validates the
// request head, runs the handler and finishes the response.
func (sc *serverConn) serveStream(qs quicStream) {
	defer sc.requestDone(qs)
	timer := sc.startHeaderTimer(qs)
	qs, done := sc.c.maybeHijackBidi(qs)
	if done {
		timer.Stop()
		return
	}
	m := newMsgReader(sc.c, qs)
	fields, err := m.readFields(qs.Context())
	if !timer.Stop() {
		return // the header timer fired and reset the stream
	}
	if err == errFieldSectionTooLarge {
		sc.refuse(qs, http.StatusRequestHeaderFieldsTooLarge)
		return
	}
	if err != nil {
		sc.abortRequest(m, err)
		return
	}
	rh, err := parseRequestHead(fields, sc.c.local.enableConnectProtocol)
	if err != nil {
		m.setErr(err)
		return
	}
	req, cancel, err := sc.newRequest(qs, m, rh)
	if err != nil {
		m.setErr(err)
		return
	}
	defer cancel()
	w := newResponseWriter(sc, qs, m, req)
	if b, ok := req.Body.(*requestBody); ok && expectsContinue(req.Header) {
		b.onFirstRead = w.sendContinue
	}
	if req.Method == http.MethodConnect && sc.c.local.h3Datagram {
		w.flow = sc.c.registerFlow(qs.ID(), sc.srv.DatagramQueueLen)
		defer sc.c.unregisterFlow(qs.ID())
	}
	if sc.runHandler(w, req) {
		w.finish()
	}
}

// abortRequest ends a stream whose request head could not be read.
func (sc *serverConn) abortRequest(m *msgReader, err error) {
	if _, ok := asLocalError(err); ok {
		m.setErr(err)
		return
	}
	// The peer reset the stream or the connection ended: nothing to answer.
	m.s.CancelWrite(uint64(ErrCodeRequestIncomplete))
}

// refuse answers with a bare status and abandons the request body.
func (sc *serverConn) refuse(qs quicStream, status int) {
	fields := []hfield{{":status", fmt.Sprint(status)}, {"content-length", "0"}}
	sc.c.writeHeadersFrame(qs, fields)
	qs.Close()
	qs.CancelRead(uint64(ErrCodeNoError))
}

// runHandler calls the handler, turning a panic into a 500 response when
// nothing was sent yet and into a stream reset otherwise. It reports whether
// the handler returned normally.
func (sc *serverConn) runHandler(w *responseWriter, req *http.Request) (ok bool) {
	defer func() {
		if ok {
			return
		}
		v := recover()
		if v != http.ErrAbortHandler {
			sc.reportPanic(req, v)
		}
		w.abort(v != http.ErrAbortHandler)
	}()
	h := sc.srv.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	h.ServeHTTP(w, req)
	return true
}

func (sc *serverConn) reportPanic(req *http.Request, v any) {
	if sc.srv.PanicHandler != nil {
		sc.srv.PanicHandler(req, v)
		return
	}
	buf := make([]byte, 16<<10)
	buf = buf[:runtime.Stack(buf, false)]
	sc.c.logger.Error("h3: handler panic", "method", req.Method, "uri", req.RequestURI,
		"panic", fmt.Sprint(v), "stack", string(buf))
}

// newRequest builds the *http.Request for a validated request head. The
// returned cancel function must be called when the request is done.
func (sc *serverConn) newRequest(qs quicStream, m *msgReader, rh *requestHead) (
	*http.Request, context.CancelFunc, error) {
	u, requestURI, err := requestURL(rh)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(sc.baseCtx)
	// The request's context ends with the stream or the connection.
	stop := context.AfterFunc(qs.Context(), cancel)
	tlsState := sc.tls
	req := &http.Request{
		Method:        rh.method,
		URL:           u,
		Proto:         "HTTP/3.0",
		ProtoMajor:    3,
		Header:        rh.header,
		ContentLength: rh.contentLength,
		Host:          rh.authority,
		RemoteAddr:    sc.remoteAddr,
		RequestURI:    requestURI,
		TLS:           &tlsState,
	}
	if rh.protocol != "" {
		// Mirrors golang.org/x/net/http2: the handler finds :protocol in the
		// header map (RFC 9220, Section 3).
		req.Header[":protocol"] = []string{rh.protocol}
	}
	req.Trailer = declaredTrailers(req.Header)
	m.cl = rh.contentLength
	m.onTrailers = func(h http.Header) {
		if req.Trailer == nil {
			req.Trailer = make(http.Header, len(h))
		}
		for k, v := range h {
			req.Trailer[k] = v
		}
	}
	body := &requestBody{m: m, cancel: cancel}
	req.Body = body
	if rh.contentLength == 0 && req.Trailer == nil && rh.method != http.MethodConnect {
		req.Body = http.NoBody
	}
	req = req.WithContext(ctx)
	return req, func() { stop(); cancel() }, nil
}

// requestURL returns the URL and request-target of a request head.
func requestURL(rh *requestHead) (*url.URL, string, error) {
	if rh.method == http.MethodConnect && rh.protocol == "" {
		return &url.URL{Host: rh.authority}, rh.authority, nil
	}
	if rh.path == "*" && rh.method == http.MethodOptions {
		return &url.URL{Path: "*"}, "*", nil
	}
	u, err := url.ParseRequestURI(rh.path)
	if err != nil || !strings.HasPrefix(rh.path, "/") {
		return nil, "", malformed("invalid :path %q", rh.path)
	}
	if rh.protocol != "" {
		u.Scheme, u.Host = rh.scheme, rh.authority
	}
	return u, rh.path, nil
}

// declaredTrailers returns a Trailer map with the keys the "Trailer" field
// declares, and removes that field from h as net/http does.
func declaredTrailers(h http.Header) http.Header {
	vals := h["Trailer"]
	if len(vals) == 0 {
		return nil
	}
	delete(h, "Trailer")
	t := make(http.Header)
	for _, v := range vals {
		for _, k := range strings.Split(v, ",") {
			if k = http.CanonicalHeaderKey(strings.TrimSpace(k)); k != "" {
				t[k] = nil
			}
		}
	}
	return t
}

// errBodyClosed is returned by reads after the handler closed the body.
var errBodyClosed = errors.New("h3: read on closed request body")

// A requestBody is a request's Body on the server. Read and Close may be
// called concurrently.
type requestBody struct {
	m      *msgReader
	cancel context.CancelFunc
	// onFirstRead sends 100 (Continue) when the client asked for it; it is
	// used by the reading goroutine only.
	onFirstRead func()

	mu     sync.Mutex
	closed bool
}

func (b *requestBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return 0, errBodyClosed
	}
	if f := b.onFirstRead; f != nil {
		b.onFirstRead = nil
		f()
	}
	n, err := b.m.Read(p)
	if err != nil && err != io.EOF {
		if _, local := asLocalError(err); !local {
			b.cancel() // The client reset the stream or the connection ended.
		}
	}
	return n, err
}

// Close stops further reads; the stream's receive side is abandoned when
// the handler returns, not here, so that a CONNECT stream stays open.
func (b *requestBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}

// expectsContinue reports whether the request carries "Expect: 100-continue"
// (RFC 9110, Section 10.1.1).
func expectsContinue(h http.Header) bool {
	return strings.EqualFold(h.Get("Expect"), "100-continue")
}
