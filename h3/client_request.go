package h3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// maxInformational bounds the 1xx responses accepted before the final one.
const maxInformational = 16

// roundTrip sends one request on the connection.
func (cc *clientConn) roundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	isConnect := req.Method == http.MethodConnect
	protocol := req.Header.Get(":protocol")
	if protocol == "" && isConnect && req.Proto != "" && !strings.HasPrefix(req.Proto, "HTTP/") {
		protocol = req.Proto // quic-go's http3 takes :protocol from Proto.
	}
	qs, err := cc.openRequestStream(ctx, protocol)
	if err != nil {
		if err != errRetryUnsent {
			closeBody(req)
		}
		return nil, err
	}
	untrack := cc.trackRequest()
	answered := false
	defer func() {
		if !answered {
			untrack()
		}
	}()
	var flow *datagramFlow
	if isConnect && cc.c.local.h3Datagram {
		flow = cc.c.registerFlow(qs.ID(), cc.t.DatagramQueueLen)
	}
	fields, err := requestFields(req, protocol)
	if err == nil {
		err = cc.c.writeHeadersFrame(qs, fields)
	}
	if err != nil {
		qs.CancelWrite(uint64(ErrCodeRequestCancelled))
		qs.CancelRead(uint64(ErrCodeRequestCancelled))
		if flow != nil {
			cc.c.unregisterFlow(qs.ID())
		}
		if code, ok := streamResetCode(err); ok && ErrCode(code) == ErrCodeRequestRejected {
			// Refused before the body was touched (RFC 9114, Section 4.1.1).
			return nil, errRetryUnsent
		}
		closeBody(req)
		return nil, err
	}
	stop := cc.sendBody(ctx, qs, req, isConnect)
	resp, err := cc.readResponse(ctx, qs, req, stop, flow)
	if err != nil {
		stop()
		if flow != nil {
			cc.c.unregisterFlow(qs.ID())
		}
		return nil, err
	}
	answered = true
	cc.untrackWithResponse(resp, qs, untrack)
	return resp, nil
}

// openRequestStream opens the stream for a request. It returns
// errRetryUnsent when the connection cannot take the request and nothing was
// sent.
func (cc *clientConn) openRequestStream(ctx context.Context, protocol string) (quicStream,
	error) {
	if protocol != "" {
		// RFC 9220, Section 3: wait for the server's SETTINGS.
		s, err := cc.c.peerSettings(ctx)
		if err != nil {
			return nil, err
		}
		if !s.enableConnectProtocol {
			return nil, ErrNoExtendedConnect
		}
	}
	qs, err := cc.c.qc.OpenStream(ctx)
	if err != nil {
		if ctx.Err() == nil && (cc.c.goawayLimit() >= 0 || cc.c.qc.Context().Err() != nil) {
			// The pooled connection went away meanwhile.
			return nil, errRetryUnsent
		}
		return nil, err
	}
	if g := cc.c.goawayLimit(); g >= 0 && qs.ID() >= g {
		qs.CancelWrite(uint64(ErrCodeRequestCancelled))
		qs.CancelRead(uint64(ErrCodeRequestCancelled))
		return nil, errRetryUnsent
	}
	return qs, nil
}

// sendBody starts sending the request body and returns the function that
// stops watching ctx. Cancelling the request resets the stream (RFC 9114,
// Section 4.1.1) and, as in net/http, closes the request body to end a
// blocked Read. The body of a CONNECT request is not sent: the stream is
// written through the response's *Stream.
func (cc *clientConn) sendBody(ctx context.Context, qs quicStream, req *http.Request,
	isConnect bool) func() bool {
	body := &onceCloser{rc: req.Body}
	stop := context.AfterFunc(ctx, func() {
		qs.CancelWrite(uint64(ErrCodeRequestCancelled))
		qs.CancelRead(uint64(ErrCodeRequestCancelled))
		body.Close()
	})
	switch {
	case isConnect:
		body.Close()
	case outgoingLength(req) == 0 && len(req.Trailer) == 0:
		body.Close()
		qs.Close() // A bodiless request needs no goroutine.
	default:
		go cc.writeBody(qs, req, body)
	}
	return stop
}

// requestFields builds the header section of req (RFC 9114, Section 4.3.1).
func requestFields(req *http.Request, protocol string) ([]hfield, error) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if !validAuthority(host) {
		return nil, fmt.Errorf("h3: invalid host %q", host)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if !validFieldName(method) {
		return nil, fmt.Errorf("h3: invalid method %q", method)
	}
	fields := make([]hfield, 0, 8+len(req.Header))
	fields = append(fields, hfield{":method", method})
	if method != http.MethodConnect || protocol != "" {
		path := req.URL.RequestURI()
		fields = append(fields, hfield{":scheme", "https"}, hfield{":path", path})
	}
	fields = append(fields, hfield{":authority", host})
	if protocol != "" {
		fields = append(fields, hfield{":protocol", protocol})
	}
	fields = appendHeaderFields(fields, req.Header, func(k string) bool {
		return k == ":protocol" || k == "Content-Length" || k == "Trailer"
	})
	if n := outgoingLength(req); n > 0 || (n == 0 && bodyMethod(method)) {
		fields = append(fields, hfield{"content-length", strconv.FormatInt(n, 10)})
	}
	if len(req.Trailer) > 0 {
		keys := make([]string, 0, len(req.Trailer))
		for k := range req.Trailer {
			keys = append(keys, strings.ToLower(k))
		}
		sort.Strings(keys)
		fields = append(fields, hfield{"trailer", strings.Join(keys, ", ")})
	}
	return fields, nil
}

// outgoingLength returns the request body's length, or -1 when unknown; as
// in net/http, a zero ContentLength with a Body other than http.NoBody means
// unknown.
func outgoingLength(req *http.Request) int64 {
	if req.Body == nil || req.Body == http.NoBody {
		return 0
	}
	if req.ContentLength != 0 {
		return req.ContentLength
	}
	return -1
}

func bodyMethod(m string) bool {
	return m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch
}

// writeBody sends the request body as DATA frames, then the trailers, then
// FIN. A failing body resets the stream.
func (cc *clientConn) writeBody(qs quicStream, req *http.Request, body *onceCloser) {
	defer body.Close()
	if req.Body != nil && req.Body != http.NoBody {
		bp := dataFramePool.Get().(*[]byte)
		buf := (*bp)[:cap(*bp)-16]
		defer dataFramePool.Put(bp)
		for {
			n, err := req.Body.Read(buf)
			if n > 0 {
				if werr := writeDataFrame(qs, buf[:n]); werr != nil {
					return // The stream was reset; the reader reports it.
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				qs.CancelWrite(uint64(ErrCodeRequestCancelled))
				return
			}
		}
	}
	if len(req.Trailer) > 0 {
		t := appendHeaderFields(nil, req.Trailer, nil)
		if len(t) > 0 {
			if err := cc.c.writeHeadersFrame(qs, t); err != nil {
				return
			}
		}
	}
	qs.Close()
}

// readResponse reads informational responses and the final response head.
func (cc *clientConn) readResponse(ctx context.Context, qs quicStream, req *http.Request,
	stop func() bool, flow *datagramFlow) (*http.Response, error) {
	m := newMsgReader(cc.c, qs)
	trace := httptrace.ContextClientTrace(ctx)
	for i := 0; ; i++ {
		fields, err := m.readFields(ctx)
		if err != nil {
			return nil, cc.responseError(ctx, m, err)
		}
		rh, err := parseResponseHead(fields)
		if err != nil {
			return nil, m.setErr(err)
		}
		if rh.status >= 200 {
			return cc.newResponse(qs, m, req, rh, stop, flow), nil
		}
		if i == maxInformational {
			return nil, m.setErr(streamError(ErrCodeExcessiveLoad, "too many 1xx responses"))
		}
		if trace != nil && trace.Got1xxResponse != nil {
			err := trace.Got1xxResponse(rh.status, textproto.MIMEHeader(rh.header))
			if err != nil {
				qs.CancelRead(uint64(ErrCodeRequestCancelled))
				qs.CancelWrite(uint64(ErrCodeRequestCancelled))
				return nil, err
			}
		}
	}
}

// responseError classifies a failure before the final response: requests
// the server did not process are retried (RFC 9114, Section 4.1.1 and 5.2).
func (cc *clientConn) responseError(ctx context.Context, m *msgReader, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if code, ok := streamResetCode(err); ok && ErrCode(code) == ErrCodeRequestRejected {
		return errRetryRequest
	}
	if g := cc.c.goawayLimit(); g >= 0 && m.s.ID() >= g {
		return errRetryRequest
	}
	if _, ok := asLocalError(err); ok {
		return m.setErr(err)
	}
	m.s.CancelWrite(uint64(ErrCodeRequestCancelled))
	return err
}

func (cc *clientConn) newResponse(qs quicStream, m *msgReader, req *http.Request,
	rh *responseHead, stop func() bool, flow *datagramFlow) *http.Response {
	resp := &http.Response{
		Status:        strconv.Itoa(rh.status) + " " + http.StatusText(rh.status),
		StatusCode:    rh.status,
		Proto:         "HTTP/3.0",
		ProtoMajor:    3,
		Header:        rh.header,
		ContentLength: rh.contentLength,
		Request:       req,
		TLS:           &cc.tls,
	}
	noBody := req.Method == http.MethodHead || rh.status == http.StatusNoContent ||
		rh.status == http.StatusNotModified
	if noBody {
		// RFC 9114, Section 4.1.2: such a response has no content, whatever
		// its content-length says.
		m.cl = 0
	} else {
		m.cl = rh.contentLength
	}
	resp.Trailer = declaredTrailers(resp.Header)
	m.onTrailers = func(h http.Header) {
		if resp.Trailer == nil {
			resp.Trailer = make(http.Header, len(h))
		}
		for k, v := range h {
			resp.Trailer[k] = v
		}
	}
	body := &responseBody{m: m, qs: qs, stop: stop}
	if flow != nil {
		body.onDone = func() { cc.c.unregisterFlow(qs.ID()) }
	}
	if req.Method == http.MethodConnect {
		resp.ContentLength = -1
		resp.Body = &Stream{c: cc.c, qs: qs, r: body, flow: flow}
		return resp
	}
	resp.Body = body
	return resp
}

// A responseBody is a response's Body on the client. Read and Close may be
// called concurrently.
type responseBody struct {
	m      *msgReader
	qs     quicStream
	stop   func() bool
	onDone func()

	once   sync.Once
	mu     sync.Mutex
	closed bool
}

var errResponseBodyClosed = errors.New("h3: read on closed response body")

func (b *responseBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return 0, errResponseBodyClosed
	}
	n, err := b.m.Read(p)
	if err == io.EOF {
		b.release()
		b.m.release()
	}
	return n, err
}

// release stops watching the request context once the response is over.
func (b *responseBody) release() {
	b.once.Do(func() {
		b.stop()
		if b.onDone != nil {
			b.onDone()
		}
	})
}

// Close abandons the rest of the response with H3_REQUEST_CANCELLED
// (RFC 9114, Section 4.1.1) unless it was read to the end.
func (b *responseBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	if !b.m.done() {
		b.qs.CancelRead(uint64(ErrCodeRequestCancelled))
	}
	b.release()
	b.m.release()
	return nil
}

// onceCloser closes a request body once, whoever asks first.
type onceCloser struct {
	rc   io.ReadCloser
	once sync.Once
}

func (o *onceCloser) Close() error {
	o.once.Do(func() {
		if o.rc != nil {
			o.rc.Close()
		}
	})
	return nil
}
