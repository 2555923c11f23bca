package h3

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// responseBufferSize is how much of a response body is held back before the
// header is sent, so that small responses get a Content-Length.
const responseBufferSize = 8 << 10

// errShortBody ends a response whose body is shorter than its declared
// Content-Length; the stream is reset instead of closed.
var errShortBody = errors.New("h3: response body shorter than Content-Length")

// A responseWriter is the http.ResponseWriter of one request. Like
// net/http's, it is meant for the handler's goroutine only.
type responseWriter struct {
	sc   *serverConn
	qs   quicStream
	m    *msgReader
	req  *http.Request
	flow *datagramFlow

	header     http.Header
	status     int // final status chosen by WriteHeader, 0 before
	headerSent bool
	declaredCL int64 // Content-Length set by the handler, or -1
	written    int64
	buf        []byte
	trailers   []string // trailer names declared when the header was sent
	err        error    // sticky write error
	stream     *Stream

	// hmu serialises HEADERS writes between the handler and a body reader
	// that sends 100 (Continue) from another goroutine; continued is set
	// once no 100 may be sent any more.
	hmu       sync.Mutex
	continued atomic.Bool
}

// sendContinue sends 100 (Continue) on the first read of a request body
// whose client sent "Expect: 100-continue", unless the final response head
// has been sent already (RFC 9110, Section 10.1.1).
func (w *responseWriter) sendContinue() {
	if !w.continued.CompareAndSwap(false, true) {
		return
	}
	w.hmu.Lock()
	defer w.hmu.Unlock()
	w.sc.c.writeHeadersFrame(w.qs, []hfield{{":status", "100"}})
}

// writeHead writes a header section, serialised with sendContinue.
func (w *responseWriter) writeHead(fields []hfield, final bool) error {
	if final {
		w.continued.Store(true)
	}
	w.hmu.Lock()
	defer w.hmu.Unlock()
	return w.sc.c.writeHeadersFrame(w.qs, fields)
}

func newResponseWriter(sc *serverConn, qs quicStream, m *msgReader,
	req *http.Request) *responseWriter {
	return &responseWriter{sc: sc, qs: qs, m: m, req: req, header: make(http.Header),
		declaredCL: -1}
}

// Header returns the response header map.
func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader sends an informational (1xx) response at once, or records the
// final status; the final header is sent with the first flushed body bytes.
func (w *responseWriter) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic("h3: invalid WriteHeader code " + strconv.Itoa(code))
	}
	if w.status != 0 {
		w.sc.c.logger.Debug("h3: superfluous WriteHeader call", "code", code)
		return
	}
	if code < 200 {
		if code == http.StatusSwitchingProtocols {
			return // RFC 9114, Section 4.5: HTTP/3 has no 101.
		}
		fields := []hfield{{":status", strconv.Itoa(code)}}
		fields = appendHeaderFields(fields, w.header, nil)
		if w.err == nil {
			w.err = w.writeHead(fields, false)
		}
		return
	}
	w.status = code
	if cl := w.header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			w.declaredCL = n
		} else {
			w.header.Del("Content-Length")
		}
	}
}

// bodyAllowed reports whether the response may carry content.
func (w *responseWriter) bodyAllowed() bool {
	return w.req.Method != http.MethodHead && w.status != http.StatusNoContent &&
		w.status != http.StatusNotModified
}

// Write buffers or sends body bytes as DATA frames.
func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return 0, w.err
	}
	if !w.bodyAllowed() {
		if w.req.Method == http.MethodHead {
			return len(p), nil
		}
		return 0, http.ErrBodyNotAllowed
	}
	if w.declaredCL >= 0 && w.written+int64(len(p)) > w.declaredCL {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if len(w.buf)+len(p) <= responseBufferSize {
		w.buf = append(w.buf, p...)
		return len(p), nil
	}
	if err := w.flush(); err != nil {
		return 0, err
	}
	if err := writeDataFrame(w.qs, p); err != nil {
		w.err = err
		return 0, err
	}
	return len(p), nil
}

// WriteString is Write for strings.
func (w *responseWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// flush sends the header if needed and the buffered body.
func (w *responseWriter) flush() error {
	if w.err != nil {
		return w.err
	}
	if !w.headerSent {
		if w.err = w.sendHeader(false); w.err != nil {
			return w.err
		}
	}
	if len(w.buf) > 0 {
		w.err = writeDataFrame(w.qs, w.buf)
		w.buf = w.buf[:0]
	}
	return w.err
}

// sendHeader sends the final response header. When final is true the
// handler is done and the whole body is in buf, so its length is known.
func (w *responseWriter) sendHeader(final bool) error {
	w.headerSent = true
	if w.status == 0 {
		w.status = http.StatusOK
	}
	h := w.header
	if w.bodyAllowed() {
		if final && w.declaredCL < 0 && h.Get("Transfer-Encoding") == "" {
			h.Set("Content-Length", strconv.Itoa(len(w.buf)))
		}
		if _, ok := h["Content-Type"]; !ok && len(w.buf) > 0 {
			h.Set("Content-Type", http.DetectContentType(w.buf))
		}
	}
	if _, ok := h["Date"]; !ok {
		h["Date"] = []string{httpDate(time.Now())}
	}
	for _, v := range h["Trailer"] {
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				w.trailers = append(w.trailers, http.CanonicalHeaderKey(k))
			}
		}
	}
	fields := make([]hfield, 0, 2+len(h))
	fields = append(fields, hfield{":status", strconv.Itoa(w.status)})
	fields = appendHeaderFields(fields, h, func(k string) bool {
		return strings.HasPrefix(k, http.TrailerPrefix)
	})
	return w.writeHead(fields, true)
}

// Flush sends the header and any buffered body now (http.Flusher).
func (w *responseWriter) Flush() { w.FlushError() }

// FlushError is Flush returning the write error; http.ResponseController
// uses it.
func (w *responseWriter) FlushError() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.flush()
}

// SetReadDeadline sets the deadline for reading the request body
// (http.ResponseController).
func (w *responseWriter) SetReadDeadline(t time.Time) error {
	return w.qs.SetReadDeadline(t)
}

// SetWriteDeadline sets the deadline for writing the response
// (http.ResponseController).
func (w *responseWriter) SetWriteDeadline(t time.Time) error {
	return w.qs.SetWriteDeadline(t)
}

// EnableFullDuplex is a no-op: HTTP/3 request and response bodies are always
// independent (http.ResponseController).
func (w *responseWriter) EnableFullDuplex() error { return nil }

// trailerFields collects the response trailers: the declared names with
// values set after the header was sent, and http.TrailerPrefix keys.
func (w *responseWriter) trailerFields() []hfield {
	var t []hfield
	add := func(k string, vs []string) {
		for _, v := range vs {
			if validFieldName(k) && validFieldValue(v) {
				t = append(t, hfield{strings.ToLower(k), v})
			}
		}
	}
	for _, k := range w.trailers {
		add(k, w.header[k])
	}
	for k, vs := range w.header {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			add(k[len(http.TrailerPrefix):], vs)
		}
	}
	return t
}

// finish completes the response after the handler returned: header, body,
// trailers and FIN. A request body left unread is abandoned with H3_NO_ERROR
// (RFC 9114, Section 4.1.2).
func (w *responseWriter) finish() {
	if w.err == nil && !w.headerSent {
		w.err = w.sendHeader(true)
	}
	if w.err == nil && len(w.buf) > 0 {
		w.err = writeDataFrame(w.qs, w.buf)
	}
	if w.err == nil && w.bodyAllowed() && w.declaredCL >= 0 && w.written < w.declaredCL {
		// A FIN now would hand the client a truncated body as complete.
		w.err = errShortBody
		w.sc.c.logger.Debug("h3: handler wrote less than its Content-Length",
			"declared", w.declaredCL, "written", w.written)
	}
	if w.err == nil {
		if t := w.trailerFields(); len(t) > 0 {
			w.err = w.sc.c.writeHeadersFrame(w.qs, t)
		}
	}
	if w.err != nil {
		w.qs.CancelWrite(uint64(ErrCodeInternalError))
	} else {
		w.qs.Close()
	}
	if w.stream != nil {
		// A CONNECT stream ends with our FIN alone: STOP_SENDING would tell
		// peers such as Chromium that the session was lost, and the peer
		// ends its side after seeing ours. Its reader may still be in use.
		return
	}
	if !w.m.done() {
		w.qs.CancelRead(uint64(ErrCodeNoError))
	}
	w.m.release()
}

// abort ends the response of a handler that panicked: a 500 if nothing was
// sent yet and internal is true, a stream reset otherwise.
func (w *responseWriter) abort(internal bool) {
	if internal && !w.headerSent && w.err == nil {
		fields := []hfield{{":status", "500"}, {"content-length", "0"}}
		if w.writeHead(fields, true) == nil {
			w.qs.Close()
			w.qs.CancelRead(uint64(ErrCodeNoError))
			return
		}
	}
	w.qs.CancelWrite(uint64(ErrCodeInternalError))
	w.qs.CancelRead(uint64(ErrCodeInternalError))
}

// HTTPStream sends the response header now and returns the request stream
// as a two-way byte stream: reads return the request's DATA, writes send
// DATA. It is meant for CONNECT and extended CONNECT handlers after a 2xx
// status (RFC 9114, Section 4.4; RFC 9220); the stream's send side is closed
// when the handler returns. Reach it with a type assertion on the
// http.ResponseWriter to HTTPStreamer.
func (w *responseWriter) HTTPStream() *Stream {
	if w.stream != nil {
		return w.stream
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.flush()
	w.stream = &Stream{c: w.sc.c, qs: w.qs, r: w.req.Body, flow: w.flow}
	return w.stream
}

// An HTTPStreamer is implemented by the http.ResponseWriter of this package's
// Server.
type HTTPStreamer interface {
	HTTPStream() *Stream
}

var (
	_ http.Flusher = (*responseWriter)(nil)
	_ HTTPStreamer = (*responseWriter)(nil)
)

// dateCache holds the formatted Date value of the current second, since
// formatting allocates and every response carries one.
var dateCache atomic.Pointer[cachedDate]

type cachedDate struct {
	unix int64
	text string
}

// httpDate returns now in the format of the Date field (RFC 9110,
// Section 5.6.7).
func httpDate(now time.Time) string {
	sec := now.Unix()
	if d := dateCache.Load(); d != nil && d.unix == sec {
		return d.text
	}
	d := &cachedDate{unix: sec, text: now.UTC().Format(http.TimeFormat)}
	dateCache.Store(d)
	return d.text
}
