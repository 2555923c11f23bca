package h3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/peregrine-h3/peregrine/qpack"
)

const testTimeout = 5 * time.Second

// testPeer is a scripted HTTP/3 client speaking raw frames to a Server over
// the in-memory transport.
type testPeer struct {
	t    *testing.T
	qc   *memConn
	ctrl quicStream
	srv  *Server
	done chan error
}

// newTestPeer starts srv on one end of an in-memory connection and returns
// the other end for the test to drive.
func newTestPeer(t *testing.T, srv *Server, datagrams bool) *testPeer {
	t.Helper()
	client, server := newMemPair(datagrams)
	p := &testPeer{t: t, qc: client, srv: srv, done: make(chan error, 1)}
	go func() { p.done <- srv.serveQUIC(server) }()
	t.Cleanup(func() {
		client.CloseWithError(0, "test over")
		select {
		case <-p.done:
		case <-time.After(testTimeout):
			t.Error("server did not stop")
		}
	})
	return p
}

// openControl opens the peer's control stream and writes b after the type.
func (p *testPeer) openControl(b []byte) quicStream {
	s, err := p.qc.OpenUniStream(context.Background())
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := s.Write(append([]byte{streamTypeControl}, b...)); err != nil {
		p.t.Fatal(err)
	}
	p.ctrl = s
	return s
}

// setup opens the control stream with an empty SETTINGS frame.
func (p *testPeer) setup() { p.openControl(appendSettingsFrame(nil, settings{})) }

// headersFrame encodes fields as a HEADERS frame with the literal codec.
func headersFrame(fields ...string) []byte {
	var hf []hfield
	for i := 0; i+1 < len(fields); i += 2 {
		hf = append(hf, hfield{fields[i], fields[i+1]})
	}
	section, _ := literalCodec{}.encode(0, hf)
	return append(appendFrameHeader(nil, frameHeaders, uint64(len(section))), section...)
}

// cat concatenates byte slices into a new one.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// testDecode decodes a field section sent to a peer whose SETTINGS allow no
// dynamic table.
func testDecode(p []byte) ([]hfield, error) {
	hf, err := qpack.NewDecoder(qpack.DecoderConfig{}).DecodeSection(0, p)
	f := make([]hfield, len(hf))
	for i := range hf {
		f[i] = hfield{hf[i].Name, hf[i].Value}
	}
	return f, err
}

func dataFrame(p string) []byte {
	return append(appendFrameHeader(nil, frameData, uint64(len(p))), p...)
}

func getRequest(path string) []byte {
	return headersFrame(":method", "GET", ":scheme", "https", ":authority", "example.test",
		":path", path)
}

// request opens a request stream, writes b and optionally closes it.
func (p *testPeer) request(b []byte, fin bool) quicStream {
	s, err := p.qc.OpenStream(context.Background())
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := s.Write(b); err != nil {
		p.t.Fatal(err)
	}
	if fin {
		s.Close()
	}
	return s
}

// testResponse is a response as the scripted peer read it.
type testResponse struct {
	heads    [][]hfield // informational and final header sections
	body     []byte
	trailers []hfield
}

func (r *testResponse) status() string {
	if len(r.heads) == 0 {
		return ""
	}
	return r.heads[len(r.heads)-1][0].value
}

func (r *testResponse) field(name string) string {
	for _, f := range r.heads[len(r.heads)-1] {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// readResponse reads frames until the end of the stream.
func readResponse(t *testing.T, s quicStream) (*testResponse, error) {
	t.Helper()
	s.SetReadDeadline(time.Now().Add(testTimeout))
	fr := newFrameReader(s)
	r := &testResponse{}
	final := false
	for {
		typ, _, err := fr.nextKnown()
		if err == io.EOF {
			return r, nil
		}
		if err != nil {
			return r, err
		}
		switch typ {
		case frameHeaders:
			p, err := fr.readPayload(1 << 20)
			if err != nil {
				return r, err
			}
			f, err := testDecode(p)
			if err != nil {
				return r, err
			}
			if final {
				r.trailers = f
			} else {
				r.heads = append(r.heads, f)
				final = f[0].value[0] != '1'
			}
		case frameData:
			p, err := fr.readPayload(1 << 30)
			if err != nil {
				return r, err
			}
			r.body = append(r.body, p...)
		default:
			t.Fatalf("unexpected %v frame in response", typ)
		}
	}
}

// expectClose waits for the server to close the connection with code.
func (p *testPeer) expectClose(code ErrCode) {
	p.t.Helper()
	got, closed := p.qc.closeCode(testTimeout)
	if !closed {
		p.t.Fatalf("connection not closed, want %v", code)
	}
	if ErrCode(got) != code {
		p.t.Fatalf("connection closed with %v, want %v", ErrCode(got), code)
	}
}

// expectReset waits for the server to reset the stream with code.
func expectReset(t *testing.T, s quicStream, code ErrCode) {
	t.Helper()
	s.SetReadDeadline(time.Now().Add(testTimeout))
	_, err := io.Copy(io.Discard, s)
	var e *memStreamError
	if !errors.As(err, &e) || ErrCode(e.code) != code {
		t.Fatalf("stream ended with %v, want reset %v", err, code)
	}
}

func echoHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		w.Header().Set("X-Method", r.Method)
		w.Write(b)
	})
}

func TestServerGet(t *testing.T) {
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Proto != "HTTP/3.0" || r.Host != "example.test" || r.TLS == nil {
			t.Errorf("request: proto %q host %q tls %v", r.Proto, r.Host, r.TLS)
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello "+r.URL.Path)
	})}
	p := newTestPeer(t, srv, false)
	p.setup()
	s := p.request(getRequest("/x"), true)
	r, err := readResponse(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if r.status() != "200" || string(r.body) != "hello /x" || r.field("content-length") != "8" {
		t.Fatalf("response %+v body %q", r.heads, r.body)
	}
}

func TestServerPostBody(t *testing.T) {
	p := newTestPeer(t, &Server{Handler: echoHandler()}, false)
	p.setup()
	req := append(headersFrame(":method", "POST", ":scheme", "https", ":authority", "a",
		":path", "/", "content-length", "10"), dataFrame("hello")...)
	req = append(req, appendGreaseFrame(nil, 2)...)
	req = append(req, dataFrame("")...)
	req = append(req, dataFrame("world")...)
	r, err := readResponse(t, p.request(req, true))
	if err != nil {
		t.Fatal(err)
	}
	if string(r.body) != "helloworld" || r.field("x-method") != "POST" {
		t.Fatalf("body %q heads %v", r.body, r.heads)
	}
}

func TestServerMalformedRequests(t *testing.T) {
	base := []string{":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/"}
	with := func(extra ...string) []byte {
		return headersFrame(append(append([]string(nil), base...), extra...)...)
	}
	cases := map[string][]byte{
		"missing path": headersFrame(":method", "GET", ":scheme", "https", ":authority",
			"a"),
		"missing method":    headersFrame(":scheme", "https", ":authority", "a", ":path", "/"),
		"duplicate pseudo":  with(":path", "/again"),
		"unknown pseudo":    with(":foo", "bar"),
		"response pseudo":   with(":status", "200"),
		"pseudo after":      headersFrame(":method", "GET", "x", "y", ":path", "/"),
		"uppercase":         with("X-Upper", "1"),
		"connection":        with("connection", "close"),
		"keep-alive":        with("keep-alive", "1"),
		"proxy-connection":  with("proxy-connection", "1"),
		"transfer-encoding": with("transfer-encoding", "chunked"),
		"upgrade":           with("upgrade", "h2c"),
		"te gzip":           with("te", "gzip"),
		"bad value":         with("x", "a\nb"),
		"bad content-len":   with("content-length", "abc"),
		"connect path": headersFrame(":method", "CONNECT", ":authority", "a:443",
			":path", "/"),
		"protocol on GET": with(":protocol", "websocket"),
		"protocol no path": headersFrame(":method", "CONNECT", ":protocol", "x",
			":authority", "a", ":scheme", "https"),
		"host mismatch":        with("host", "b"),
		"content-length short": cat(with("content-length", "5"), dataFrame("abc")),
		"content-length long":  cat(with("content-length", "2"), dataFrame("abc")),
		"trailer pseudo":       cat(with(), dataFrame("x"), headersFrame(":path", "/")),
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	})
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			p := newTestPeer(t, &Server{Handler: handler}, false)
			p.setup()
			s := p.request(req, true)
			expectReset(t, s, ErrCodeMessageError)
		})
	}
}

func TestServerFrameErrors(t *testing.T) {
	get := getRequest("/")
	cases := []struct {
		name string
		req  []byte
		code ErrCode
	}{
		{"data first", dataFrame("x"), ErrCodeFrameUnexpected},
		{"settings on request", appendSettingsFrame(nil, settings{}), ErrCodeFrameUnexpected},
		{"goaway on request", cat(get, appendGoaway(nil, 0)), ErrCodeFrameUnexpected},
		{"push promise", cat(get, appendFrameHeader(nil, framePushPromise, 1)),
			ErrCodeFrameUnexpected},
		{"http2 frame", cat(get, appendFrameHeader(nil, 0x06, 0)),
			ErrCodeFrameUnexpected},
		{"after trailers", cat(get, headersFrame("x", "y"), dataFrame("z")),
			ErrCodeFrameUnexpected},
		{"truncated", cat(get, appendFrameHeader(nil, frameData, 10)),
			ErrCodeFrameError},
		// An indexed field line with static index 200 (RFC 9204, Appendix A
		// has 99 entries).
		{"bad qpack", cat(appendFrameHeader(nil, frameHeaders, 5), []byte{0, 0, 0xff, 0x89,
			0x01}),
			ErrCodeQPACKDecompressionFailed},
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPeer(t, &Server{Handler: handler}, false)
			p.setup()
			p.request(tc.req, true)
			p.expectClose(tc.code)
		})
	}
}

func TestServerControlStreamErrors(t *testing.T) {
	sf := appendSettingsFrame(nil, settings{})
	cases := []struct {
		name string
		ctrl []byte
		fin  bool
		code ErrCode
	}{
		{"missing settings", appendGoaway(nil, 0), false, ErrCodeMissingSettings},
		{"grease first", appendGreaseFrame(nil, 1), false, ErrCodeMissingSettings},
		{"second settings", cat(sf, sf), false, ErrCodeFrameUnexpected},
		{"data", cat(sf, dataFrame("x")), false, ErrCodeFrameUnexpected},
		{"headers", cat(sf, headersFrame("a", "b")), false, ErrCodeFrameUnexpected},
		{"push promise", cat(sf, appendFrameHeader(nil, framePushPromise, 0)), false,
			ErrCodeFrameUnexpected},
		{"http2 frame", cat(sf, appendFrameHeader(nil, 0x08, 0)), false,
			ErrCodeFrameUnexpected},
		{"closed", sf, true, ErrCodeClosedCriticalStream},
		{"http2 setting", append(appendFrameHeader(nil, frameSettings, 2), 0x02, 0x01),
			false, ErrCodeSettingsError},
		{"datagram without quic", appendSettingsFrame(nil, settings{h3Datagram: true}), false,
			ErrCodeSettingsError},
		{"truncated settings", append(appendFrameHeader(nil, frameSettings, 5), 1), true,
			ErrCodeFrameError},
		{"bad goaway", cat(sf, appendFrameHeader(nil, frameGoaway, 2), []byte{1, 2}),
			false, ErrCodeFrameError},
		{"cancel push", cat(sf, appendFrameHeader(nil, frameCancelPush, 1), []byte{3}),
			false, ErrCodeIDError},
		{"max push id shrinks", cat(sf, appendFrameHeader(nil, frameMaxPushID, 1), []byte{5},
			appendFrameHeader(nil, frameMaxPushID, 1), []byte{2}), false, ErrCodeIDError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPeer(t, &Server{Handler: echoHandler()}, false)
			s := p.openControl(tc.ctrl)
			if tc.fin {
				s.Close()
			}
			p.expectClose(tc.code)
		})
	}
}

func TestServerUniStreams(t *testing.T) {
	t.Run("second control", func(t *testing.T) {
		p := newTestPeer(t, &Server{Handler: echoHandler()}, false)
		p.setup()
		p.openControl(appendSettingsFrame(nil, settings{}))
		p.expectClose(ErrCodeStreamCreationError)
	})
	t.Run("push from client", func(t *testing.T) {
		p := newTestPeer(t, &Server{Handler: echoHandler()}, false)
		p.setup()
		s, _ := p.qc.OpenUniStream(context.Background())
		s.Write([]byte{streamTypePush, 0})
		p.expectClose(ErrCodeStreamCreationError)
	})
	t.Run("second encoder", func(t *testing.T) {
		p := newTestPeer(t, &Server{Handler: echoHandler()}, false)
		p.setup()
		for range 2 {
			s, _ := p.qc.OpenUniStream(context.Background())
			s.Write([]byte{streamTypeQPACKEncoder})
		}
		p.expectClose(ErrCodeStreamCreationError)
	})
	t.Run("encoder closed", func(t *testing.T) {
		p := newTestPeer(t, &Server{Handler: echoHandler()}, false)
		p.setup()
		s, _ := p.qc.OpenUniStream(context.Background())
		s.Write([]byte{streamTypeQPACKDecoder})
		s.Close()
		p.expectClose(ErrCodeClosedCriticalStream)
	})
	t.Run("unknown type", func(t *testing.T) {
		p := newTestPeer(t, &Server{Handler: echoHandler()}, false)
		p.setup()
		s, _ := p.qc.OpenUniStream(context.Background())
		s.Write(appendVarint(nil, greaseValue(4)))
		// STOP_SENDING with H3_STREAM_CREATION_ERROR, and the connection
		// keeps working.
		var err error
		deadline := time.Now().Add(testTimeout)
		for err == nil && time.Now().Before(deadline) {
			_, err = s.Write(bytes.Repeat([]byte("x"), 100))
			time.Sleep(time.Millisecond)
		}
		var e *memStreamError
		if !errors.As(err, &e) || ErrCode(e.code) != ErrCodeStreamCreationError {
			t.Fatalf("write on unknown stream type: %v", err)
		}
		r, err := readResponse(t, p.request(getRequest("/"), true))
		if err != nil || r.status() != "200" {
			t.Fatalf("request after unknown stream: %v %v", r, err)
		}
	})
}

func TestServerTrailersAndEarlyHints(t *testing.T) {
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Set("Trailer", "X-Checksum")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "body")
		w.(http.Flusher).Flush()
		w.Header().Set("X-Checksum", r.Trailer.Get("X-Sent"))
		w.Header().Set(http.TrailerPrefix+"X-Late", "late")
	})}
	p := newTestPeer(t, srv, false)
	p.setup()
	req := append(headersFrame(":method", "POST", ":scheme", "https", ":authority", "a",
		":path", "/", "trailer", "x-sent"), dataFrame("abc")...)
	req = append(req, headersFrame("x-sent", "sum123")...)
	r, err := readResponse(t, p.request(req, true))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.heads) != 2 || r.heads[0][0].value != "103" || r.status() != "200" {
		t.Fatalf("heads %v", r.heads)
	}
	got := map[string]string{}
	for _, f := range r.trailers {
		got[f.name] = f.value
	}
	if got["x-checksum"] != "sum123" || got["x-late"] != "late" || string(r.body) != "body" {
		t.Fatalf("trailers %v body %q", r.trailers, r.body)
	}
}

func TestServerPanic(t *testing.T) {
	panics := make(chan any, 2)
	srv := &Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/late" {
				w.Write([]byte("partial"))
				w.(http.Flusher).Flush()
			}
			panic("boom " + r.URL.Path)
		}),
		PanicHandler: func(r *http.Request, v any) { panics <- v },
	}
	p := newTestPeer(t, srv, false)
	p.setup()
	r, err := readResponse(t, p.request(getRequest("/early"), true))
	if err != nil || r.status() != "500" {
		t.Fatalf("early panic: %v %v", r, err)
	}
	s := p.request(getRequest("/late"), true)
	s.SetReadDeadline(time.Now().Add(testTimeout))
	_, err = io.ReadAll(s)
	var e *memStreamError
	if !errors.As(err, &e) || ErrCode(e.code) != ErrCodeInternalError {
		t.Fatalf("late panic: %v", err)
	}
	for _, want := range []string{"boom /early", "boom /late"} {
		select {
		case v := <-panics:
			if v != want {
				t.Errorf("panic %v, want %v", v, want)
			}
		case <-time.After(testTimeout):
			t.Fatal("panic not reported")
		}
	}
}

func TestServerHeaderTooLarge(t *testing.T) {
	p := newTestPeer(t, &Server{Handler: echoHandler(), MaxHeaderBytes: 200}, false)
	p.setup()
	r, err := readResponse(t, p.request(headersFrame(":method", "GET", ":scheme", "https",
		":authority", "a", ":path", "/", "x-big", strings.Repeat("b", 300)), true))
	if err != nil || r.status() != "431" {
		t.Fatalf("oversized header: %v %v", r, err)
	}
}

func TestServerRequestContext(t *testing.T) {
	for _, how := range []string{"reset", "conn close"} {
		t.Run(how, func(t *testing.T) {
			started := make(chan struct{})
			cancelled := make(chan error, 1)
			srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter,
				r *http.Request) {
				close(started)
				select {
				case <-r.Context().Done():
					cancelled <- r.Context().Err()
				case <-time.After(testTimeout):
					cancelled <- nil
				}
			})}
			p := newTestPeer(t, srv, false)
			p.setup()
			s := p.request(getRequest("/"), false)
			<-started
			if how == "reset" {
				s.CancelWrite(uint64(ErrCodeRequestCancelled))
				s.CancelRead(uint64(ErrCodeRequestCancelled))
			} else {
				p.qc.CloseWithError(uint64(ErrCodeNoError), "")
			}
			if err := <-cancelled; err == nil {
				t.Fatal("request context not cancelled")
			}
		})
	}
}

// TestServerSettings reads the server's control stream: SETTINGS first, with
// our values and a GREASE setting (RFC 9114, Section 7.2.4.1).
func TestServerSettings(t *testing.T) {
	p := newTestPeer(t, &Server{Handler: echoHandler(), MaxHeaderBytes: 12345}, true)
	p.setup()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	seen := map[uint64]bool{}
	for !seen[streamTypeControl] || !seen[streamTypeQPACKEncoder] ||
		!seen[streamTypeQPACKDecoder] {
		s, err := p.qc.AcceptUniStream(ctx)
		if err != nil {
			t.Fatalf("server opened control/QPACK streams: %v", seen)
		}
		fr := newFrameReader(s)
		typ, err := readVarint(fr.r)
		if err != nil {
			t.Fatal(err)
		}
		seen[typ] = true
		if typ != streamTypeControl {
			continue
		}
		ft, _, err := fr.next()
		if err != nil || ft != frameSettings {
			t.Fatalf("first control frame %v, %v", ft, err)
		}
		payload, _ := fr.readPayload(maxSettingsPayload)
		got := map[uint64]uint64{}
		grease := 0
		for b := payload; len(b) > 0; {
			id, n := parseVarint(b)
			v, m := parseVarint(b[n:])
			b = b[n+m:]
			got[id] = v
			if id >= 0x21 && (id-0x21)%0x1f == 0 {
				grease++
			}
		}
		want := map[uint64]uint64{0x01: 4096, 0x07: 16, 0x06: 12345, 0x08: 1, 0x33: 1}
		for id, v := range want {
			if got[id] != v {
				t.Errorf("setting 0x%x = %d, want %d", id, got[id], v)
			}
		}
		if grease != 1 {
			t.Errorf("%d GREASE settings, want 1", grease)
		}
	}
}

func TestFieldValueValidity(t *testing.T) {
	for v, ok := range map[string]bool{
		"":            true,
		"a b\tc":      true,
		"caf\xc3\xa9": true,
		" lead":       false,
		"trail\t":     false,
		"bell\x07":    false,
		"del\x7f":     false,
		"nul\x00":     false,
		"cr\rlf":      false,
	} {
		if validFieldValue(v) != ok {
			t.Errorf("validFieldValue(%q) = %v", v, !ok)
		}
	}
}

func TestServerMoreErrorCodes(t *testing.T) {
	t.Run("oversized settings", func(t *testing.T) {
		p := newTestPeer(t, &Server{Handler: echoHandler()}, false)
		// H3_EXCESSIVE_LOAD before any of the payload is buffered.
		p.openControl(appendFrameHeader(nil, frameSettings, maxSettingsPayload+1))
		p.expectClose(ErrCodeExcessiveLoad)
	})
	t.Run("request without headers", func(t *testing.T) {
		p := newTestPeer(t, &Server{Handler: echoHandler()}, false)
		p.setup()
		s := p.request(appendGreaseFrame(nil, 5), true)
		expectReset(t, s, ErrCodeRequestIncomplete)
	})
	t.Run("bad encoder stream", func(t *testing.T) {
		p := newTestPeer(t, &Server{Handler: echoHandler()}, false)
		p.setup()
		s, _ := p.qc.OpenUniStream(context.Background())
		// Set Dynamic Table Capacity above the 4096 we allow.
		s.Write([]byte{streamTypeQPACKEncoder, 0x3f, 0xe1, 0x7f})
		p.expectClose(ErrCodeQPACKEncoderStreamError)
	})
	t.Run("bad decoder stream", func(t *testing.T) {
		p := newTestPeer(t, &Server{Handler: echoHandler()}, false)
		p.setup()
		s, _ := p.qc.OpenUniStream(context.Background())
		// Insert Count Increment of zero (RFC 9204, Section 4.4.3).
		s.Write([]byte{streamTypeQPACKDecoder, 0x00})
		p.expectClose(ErrCodeQPACKDecoderStreamError)
	})
}

func TestServerExpectContinue(t *testing.T) {
	srv := &Server{Handler: echoHandler()}
	p := newTestPeer(t, srv, false)
	p.setup()
	s := p.request(headersFrame(":method", "POST", ":scheme", "https", ":authority", "a",
		":path", "/", "expect", "100-continue"), false)
	// The 100 comes before we send any body.
	s.SetReadDeadline(time.Now().Add(testTimeout))
	fr := newFrameReader(s)
	typ, _, err := fr.nextKnown()
	if err != nil || typ != frameHeaders {
		t.Fatalf("first frame %v, %v", typ, err)
	}
	payload, _ := fr.readPayload(1 << 10)
	f, err := testDecode(payload)
	if err != nil || len(f) == 0 || f[0].value != "100" {
		t.Fatalf("interim response %v, %v", f, err)
	}
	s.Write(dataFrame("body"))
	s.Close()
	var body []byte
	for {
		typ, _, err := fr.nextKnown()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p, _ := fr.readPayload(1 << 20)
		if typ == frameData {
			body = append(body, p...)
		}
	}
	if string(body) != "body" {
		t.Fatalf("echoed %q", body)
	}
}
