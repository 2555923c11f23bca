package h3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testSetup is a Transport whose dials reach srv over the memory transport.
type testSetup struct {
	t     testing.TB
	srv   *Server
	tr    *Transport
	dials atomic.Int32
	mu    sync.Mutex
	conns []*memConn // client ends, in dial order
}

func newTestSetup(t testing.TB, srv *Server, datagrams bool) *testSetup {
	ts := &testSetup{t: t, srv: srv}
	var wg sync.WaitGroup
	ts.tr = &Transport{dial: func(ctx context.Context, authority string,
		tlsConf *tls.Config) (quicConn, error) {
		if len(tlsConf.NextProtos) != 1 || tlsConf.NextProtos[0] != "h3" {
			t.Errorf("ALPN %v", tlsConf.NextProtos)
		}
		ts.dials.Add(1)
		client, server := newMemPair(datagrams)
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.serveQUIC(server)
		}()
		ts.mu.Lock()
		ts.conns = append(ts.conns, client)
		ts.mu.Unlock()
		return client, nil
	}}
	t.Cleanup(func() {
		ts.tr.CloseIdleConnections()
		srv.Close()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(testTimeout):
			t.Error("server connections did not end")
		}
	})
	return ts
}

func (ts *testSetup) do(req *http.Request) (*http.Response, []byte) {
	ts.t.Helper()
	resp, err := ts.tr.RoundTrip(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatalf("reading body: %v", err)
	}
	return resp, b
}

func newRequest(t testing.TB, method, url string, body io.Reader) *http.Request {
	req, err := http.NewRequestWithContext(context.Background(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestClientGetReusesConnection(t *testing.T) {
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Path", r.URL.Path)
		fmt.Fprintf(w, "hello %s %s", r.Host, r.Header.Get("X-Req"))
	})}
	ts := newTestSetup(t, srv, false)
	for i := range 3 {
		req := newRequest(t, "GET", fmt.Sprintf("https://example.test/p%d", i), nil)
		req.Header.Set("X-Req", "v")
		resp, body := ts.do(req)
		want := "hello example.test v"
		if resp.StatusCode != 200 || string(body) != want || resp.Proto != "HTTP/3.0" ||
			resp.Header.Get("X-Path") != fmt.Sprintf("/p%d", i) {
			t.Fatalf("response %d %q %v", resp.StatusCode, body, resp.Header)
		}
		if resp.ContentLength != int64(len(want)) {
			t.Errorf("ContentLength %d", resp.ContentLength)
		}
	}
	if n := ts.dials.Load(); n != 1 {
		t.Errorf("%d dials for 3 requests, want 1", n)
	}
	// The dynamic table is in use both ways: the server's X-Path values and
	// the client's X-Req header were inserted.
	ts.tr.mu.Lock()
	cc := ts.tr.conns["example.test:443"].cc
	ts.tr.mu.Unlock()
	if n := cc.c.codec.(*qpackCodec).dec.InsertCount(); n == 0 {
		t.Error("the server inserted nothing into the dynamic table")
	}
}

// patternReader yields n deterministic pseudo-random bytes.
type patternReader struct {
	rng *rand.ChaCha8
	n   int
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), r.n)]
	r.rng.Read(p)
	r.n -= len(p)
	return len(p), nil
}

func TestClientPostStreaming5MB(t *testing.T) {
	const size = 5 << 20
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
	})}
	ts := newTestSetup(t, srv, false)
	seed := [32]byte{1, 2, 3}
	want := sha256.New()
	io.Copy(want, &patternReader{rand.NewChaCha8(seed), size})
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, &patternReader{rand.NewChaCha8(seed), size})
		pw.CloseWithError(err)
	}()
	req := newRequest(t, "POST", "https://example.test/upload", pr)
	resp, body := ts.do(req)
	if exp := fmt.Sprintf("%d %x", size, want.Sum(nil)); string(body) != exp {
		t.Fatalf("status %d body %q, want %q", resp.StatusCode, body, exp)
	}
}

func TestClientDownload5MB(t *testing.T) {
	const size = 5 << 20
	seed := [32]byte{9}
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(size))
		io.Copy(w, &patternReader{rand.NewChaCha8(seed), size})
	})}
	ts := newTestSetup(t, srv, false)
	resp, err := ts.tr.RoundTrip(newRequest(t, "GET", "https://example.test/big", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, want := sha256.New(), sha256.New()
	n, err := io.Copy(got, resp.Body)
	if err != nil || n != size {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	io.Copy(want, &patternReader{rand.NewChaCha8(seed), size})
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatal("SHA-256 mismatch")
	}
}

func TestClientTrailers(t *testing.T) {
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Trailer", "X-Echo")
		w.Write(b)
		w.Header().Set("X-Echo", r.Trailer.Get("X-Client"))
		w.Header().Set(http.TrailerPrefix+"X-Sum", hex.EncodeToString(b))
	})}
	ts := newTestSetup(t, srv, false)
	req := newRequest(t, "POST", "https://example.test/", strings.NewReader("ab"))
	req.Trailer = http.Header{"X-Client": nil}
	req.ContentLength = -1
	req.Body = io.NopCloser(&trailerSetter{r: strings.NewReader("ab"), t: req.Trailer})
	resp, body := ts.do(req)
	if string(body) != "ab" {
		t.Fatalf("body %q", body)
	}
	if resp.Trailer.Get("X-Echo") != "from-client" || resp.Trailer.Get("X-Sum") != "6162" {
		t.Fatalf("trailers %v", resp.Trailer)
	}
}

// trailerSetter sets the request trailer when the body ends, as net/http
// expects of callers.
type trailerSetter struct {
	r io.Reader
	t http.Header
}

func (s *trailerSetter) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		s.t.Set("X-Client", "from-client")
	}
	return n, err
}

func TestClientConcurrent100(t *testing.T) {
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Path)
	})}
	ts := newTestSetup(t, srv, false)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := fmt.Sprintf("/r%d", i)
			resp, err := ts.tr.RoundTrip(newRequest(t, "GET", "https://example.test"+path,
				nil))
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(b) != path {
				errs <- fmt.Errorf("%s: %q %v", path, b, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := ts.dials.Load(); n != 1 {
		t.Errorf("%d connections for 100 concurrent requests, want 1", n)
	}
}

func TestClientEarlyHints(t *testing.T) {
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", "</a.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "final")
	})}
	ts := newTestSetup(t, srv, false)
	var hints []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int,
		h textproto.MIMEHeader) error {
		hints = append(hints, fmt.Sprint(code, " ", h.Get("Link")))
		return nil
	}}
	req := newRequest(t, "GET", "https://example.test/", nil)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, body := ts.do(req)
	if resp.StatusCode != 200 || string(body) != "final" {
		t.Fatalf("final %d %q", resp.StatusCode, body)
	}
	if len(hints) != 1 || hints[0] != "103 </a.css>; rel=preload" {
		t.Fatalf("hints %q", hints)
	}
}

func TestClientPanic500(t *testing.T) {
	reported := make(chan any, 1)
	srv := &Server{
		Handler:      http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("x") }),
		PanicHandler: func(r *http.Request, v any) { reported <- v },
	}
	ts := newTestSetup(t, srv, false)
	resp, _ := ts.do(newRequest(t, "GET", "https://example.test/", nil))
	if resp.StatusCode != 500 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if v := <-reported; v != "x" {
		t.Fatalf("reported %v", v)
	}
}

func TestClientCancelResetsStream(t *testing.T) {
	got := make(chan error, 1)
	ctxDone := make(chan struct{})
	started := make(chan struct{})
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		close(started)
		_, err := io.Copy(io.Discard, r.Body)
		got <- err
		select {
		case <-r.Context().Done():
			close(ctxDone)
		case <-time.After(testTimeout):
		}
	})}
	ts := newTestSetup(t, srv, false)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequestWithContext(ctx, "POST", "https://example.test/", pr)
	resp, err := ts.tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	cancel()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("body read after cancel succeeded")
	}
	err = <-got
	code, ok := streamResetCode(err)
	if !ok || ErrCode(code) != ErrCodeRequestCancelled {
		t.Fatalf("server saw %v, want H3_REQUEST_CANCELLED", err)
	}
	select {
	case <-ctxDone:
	case <-time.After(testTimeout):
		t.Fatal("request context not cancelled")
	}
}

func TestClientMaxBytesReader(t *testing.T) {
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 10)
		if _, err := io.ReadAll(r.Body); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, "too big", http.StatusRequestEntityTooLarge)
				return
			}
		}
		io.WriteString(w, "ok")
	})}
	ts := newTestSetup(t, srv, false)
	resp, _ := ts.do(newRequest(t, "POST", "https://example.test/",
		strings.NewReader(strings.Repeat("x", 100))))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", resp.StatusCode)
	}
	resp, body := ts.do(newRequest(t, "POST", "https://example.test/", strings.NewReader("x")))
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("small body: %d %q", resp.StatusCode, body)
	}
}

func TestClientResponseController(t *testing.T) {
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		io.WriteString(w, "part1")
		if err := rc.Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		if err := rc.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetReadDeadline: %v", err)
		}
		if err := rc.EnableFullDuplex(); err != nil {
			t.Errorf("EnableFullDuplex: %v", err)
		}
		io.WriteString(w, "part2")
	})}
	ts := newTestSetup(t, srv, false)
	resp, body := ts.do(newRequest(t, "GET", "https://example.test/", nil))
	if string(body) != "part1part2" || resp.ContentLength != -1 {
		t.Fatalf("body %q, length %d", body, resp.ContentLength)
	}
}

func TestClientHead(t *testing.T) {
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write(make([]byte, 1000))
	})}
	ts := newTestSetup(t, srv, false)
	resp, body := ts.do(newRequest(t, "HEAD", "https://example.test/", nil))
	if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != 1000 {
		t.Fatalf("HEAD: %d %d bytes, length %d", resp.StatusCode, len(body),
			resp.ContentLength)
	}
}

func TestServerShortBodyResets(t *testing.T) {
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "short")
	})}
	ts := newTestSetup(t, srv, false)
	// The reset may overtake the response head, or only the body.
	resp, err := ts.tr.RoundTrip(newRequest(t, "GET", "https://example.test/", nil))
	if err == nil {
		defer resp.Body.Close()
		var b []byte
		if b, err = io.ReadAll(resp.Body); err == nil {
			t.Fatalf("truncated body %q read without error", b)
		}
	}
	if code, ok := streamResetCode(err); !ok || ErrCode(code) != ErrCodeInternalError {
		t.Fatalf("error %v, want a reset with H3_INTERNAL_ERROR", err)
	}
}

// TestClientEarlyResponse checks that a response sent before the request
// body was read (with STOP_SENDING H3_NO_ERROR) reaches the client intact.
func TestClientEarlyResponse(t *testing.T) {
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
	})}
	ts := newTestSetup(t, srv, false)
	seed := [32]byte{4}
	req := newRequest(t, "POST", "https://example.test/",
		&patternReader{rand.NewChaCha8(seed), 5 << 20})
	resp, body := ts.do(req)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || string(body) != "too large\n" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

func TestAuthorityKey(t *testing.T) {
	for host, want := range map[string]string{
		"example.test":      "example.test:443",
		"example.test:8443": "example.test:8443",
		"127.0.0.1":         "127.0.0.1:443",
		"[::1]":             "[::1]:443",
		"[::1]:4433":        "[::1]:4433",
	} {
		if got := authorityKey(host); got != want {
			t.Errorf("authorityKey(%q) = %q, want %q", host, got, want)
		}
	}
}
