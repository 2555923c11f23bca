package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peregrine-h3/peregrine/h3"
	"github.com/peregrine-h3/peregrine/quic"
	"github.com/peregrine-h3/peregrine/router"
	"github.com/peregrine-h3/peregrine/wt"
)

const testTimeout = 10 * time.Second

// testServer is a server on a loopback UDP socket with an HTTP/3 client that trusts it.
type testServer struct {
	srv  *Server
	tr   *h3.Transport
	url  string
	pool *x509.CertPool
	done chan error
}

func startServer(t testing.TB, opts Options) *testServer {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{srv: srv, done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(pc) }()
	ts.pool = x509.NewCertPool()
	ts.pool.AddCert(srv.DevCert().Certificate.Leaf)
	ts.tr = &h3.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ts.pool, ServerName: "localhost"},
		QUICConfig:      &quic.Config{EnableDatagrams: true},
	}
	ts.url = "https://" + pc.LocalAddr().String()
	t.Cleanup(func() {
		ts.tr.CloseIdleConnections()
		srv.Close()
		select {
		case err := <-ts.done:
			if !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(testTimeout):
			t.Error("Serve did not return after Close")
		}
	})
	return ts
}

func (ts *testServer) do(t *testing.T, method, path string, body []byte) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, ts.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ts.tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp.StatusCode, b
}

func echo(w http.ResponseWriter, r *http.Request) { io.Copy(w, r.Body) }

func TestRoutesPanicAndStats(t *testing.T) {
	var handled atomic.Int32
	ts := startServer(t, Options{
		Routes: []router.Route{
			{Method: "GET", Pattern: "/hello/{name}", Handler: http.HandlerFunc(
				func(w http.ResponseWriter, r *http.Request) {
					io.WriteString(w, "hello "+r.PathValue("name"))
				})},
			{Method: "POST", Pattern: "/echo", Handler: http.HandlerFunc(echo)},
			{Pattern: "/panic", Handler: http.HandlerFunc(
				func(http.ResponseWriter, *http.Request) { panic("boom") })},
		},
		BodyLimit: 1000,
		ErrorHandler: func(r *http.Request, err error) {
			var pe *PanicError
			if errors.As(err, &pe) && pe.Value == "boom" && r.URL.Path == "/panic" {
				handled.Add(1)
			}
		},
	})
	if code, b := ts.do(t, "GET", "/hello/kestrel", nil); code != 200 ||
		string(b) != "hello kestrel" {
		t.Fatalf("GET /hello/kestrel: %d %q", code, b)
	}
	body := bytes.Repeat([]byte("p"), 1000)
	if code, b := ts.do(t, "POST", "/echo", body); code != 200 || !bytes.Equal(b, body) {
		t.Fatalf("POST /echo of 1000 bytes: %d, %d bytes back", code, len(b))
	}
	if code, _ := ts.do(t, "POST", "/echo", append(body, 'x')); code != 413 {
		t.Fatalf("POST /echo over the limit: %d, want 413", code)
	}
	if code, _ := ts.do(t, "GET", "/panic", nil); code != 500 {
		t.Fatalf("GET /panic: %d, want 500", code)
	}
	if handled.Load() != 1 {
		t.Fatalf("error handler saw %d panics, want 1", handled.Load())
	}
	if code, _ := ts.do(t, "GET", "/nowhere", nil); code != 404 {
		t.Fatalf("GET /nowhere: %d, want 404", code)
	}
	st := ts.srv.Stats()
	if st.ConnectionsTotal != 1 || st.ConnectionsActive != 1 || st.RequestsTotal != 5 ||
		st.RequestsInFlight != 0 || st.BytesIn < 2000 || st.BytesOut == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	ok := http.NotFoundHandler()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"conflict", Options{Routes: []router.Route{{Pattern: "/a/{x}", Handler: ok},
			{Pattern: "/a/{y}", Handler: ok}}}, `route 1 ("/a/{y}")`},
		{"cert without key", Options{CertFile: "c.pem"}, "together"},
		{"missing files", Options{CertFile: "/nonexistent/c.pem", KeyFile: "/nonexistent/k"},
			"loading the certificate"},
		{"bad addr", Options{Addr: "nonsense"}, "bad Addr"},
		{"empty tls", Options{TLSConfig: &tls.Config{}}, "no certificate"},
		{"raw without handler", Options{RawALPNs: []string{"x"}}, "QUICDatagram"},
		{"h3 as raw", Options{RawALPNs: []string{"h3"},
			QUICDatagram: func(*QUICDatagramContext, []byte) {}}, "RawALPNs"},
		{"negative timeout", Options{IdleTimeout: -1}, "negative"},
	}
	for _, tt := range tests {
		_, err := New(tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New error %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestDatagramRouteEcho(t *testing.T) {
	ts := startServer(t, Options{Routes: []router.Route{{Pattern: "/dgram/echo",
		Datagram: func(dc *router.DatagramContext, p []byte) {
			dc.Send(append([]byte("echo:"), p...))
		}}}})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodConnect, ts.url+"/dgram/echo", nil)
	req.Header[":protocol"] = []string{"datagrams"}
	resp, err := ts.tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("CONNECT status %d", resp.StatusCode)
	}
	st := resp.Body.(*h3.Stream)
	defer st.Close()
	got := 0
	for i := 0; i < 50 && got < 3; i++ {
		msg := fmt.Sprintf("d%d", i)
		if err := st.SendDatagram([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		rctx, rcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		d, err := st.ReceiveDatagram(rctx)
		rcancel()
		if err == nil {
			if !strings.HasPrefix(string(d), "echo:d") {
				t.Fatalf("echoed %q", d)
			}
			got++
		}
	}
	if got < 3 {
		t.Fatalf("only %d datagrams echoed", got)
	}
	if s := ts.srv.Stats(); s.DatagramsIn < 3 || s.DatagramsOut < 3 {
		t.Fatalf("stats %+v", s)
	}
}

func TestRawALPNDatagramEcho(t *testing.T) {
	var conns atomic.Uint64
	ts := startServer(t, Options{
		Fallback: http.NotFoundHandler(),
		RawALPNs: []string{"peregrine-echo"},
		QUICDatagram: func(dc *QUICDatagramContext, p []byte) {
			conns.Store(dc.ConnID)
			dc.Reply(p)
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := quic.Dial(ctx, "udp", strings.TrimPrefix(ts.url, "https://"), &quic.Config{
		TLSConfig: &tls.Config{RootCAs: ts.pool, ServerName: "localhost",
			NextProtos: []string{"peregrine-echo"}},
		EnableDatagrams: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := 0
	for i := 0; i < 50 && got < 3; i++ {
		c.SendDatagram([]byte(fmt.Sprint("raw", i)))
		rctx, rcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		d, err := c.ReceiveDatagram(rctx)
		rcancel()
		if err == nil {
			if !strings.HasPrefix(string(d), "raw") {
				t.Fatalf("echoed %q", d)
			}
			got++
		}
	}
	if got < 3 || conns.Load() != 1 {
		t.Fatalf("%d datagrams echoed, connection number %d", got, conns.Load())
	}
}

func TestTCPAltSvc(t *testing.T) {
	for _, disable := range []bool{false, true} {
		var panics atomic.Int32
		srv, err := New(Options{Addr: "127.0.0.1:0", DisableAltSvc: disable, MaxHeaderBytes: 4096,
			Routes: []router.Route{{Method: "GET", Pattern: "/", Handler: http.HandlerFunc(
				func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) })},
				{Method: "GET", Pattern: "/panic", Handler: http.HandlerFunc(
					func(http.ResponseWriter, *http.Request) { panic("tcp") })}},
			ErrorHandler: func(*http.Request, error) { panics.Add(1) }})
		if err != nil {
			t.Fatal(err)
		}
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(pc)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.ServeTCP(l)
		pool := x509.NewCertPool()
		pool.AddCert(srv.DevCert().Certificate.Leaf)
		cl := &http.Client{Timeout: testTimeout, Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: "localhost"},
			ForceAttemptHTTP2: true}}
		resp, err := cl.Get("https://" + l.Addr().String() + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		port := pc.LocalAddr().(*net.UDPAddr).Port
		want := fmt.Sprintf(`h3=":%d"; ma=86400`, port)
		if disable {
			want = ""
		}
		if got := resp.Header.Get("Alt-Svc"); got != want || string(b) != "HTTP/2.0" {
			t.Errorf("disable=%v: Alt-Svc %q body %q, want %q over HTTP/2.0", disable, got,
				b, want)
		}
		// HTTP/2 clients refuse such a header themselves; HTTP/1.1 sends it.
		h1 := &http.Client{Timeout: testTimeout, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost",
				NextProtos: []string{"http/1.1"}}}}
		big, _ := http.NewRequest("GET", "https://"+l.Addr().String()+"/", nil)
		big.Header.Set("X-Big", strings.Repeat("b", 16<<10))
		if resp, err = h1.Do(big); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h1.CloseIdleConnections()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("16 KiB header over a 4 KiB limit: %d, want 431", resp.StatusCode)
		}
		resp, err = cl.Get("https://" + l.Addr().String() + "/panic")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 500 || panics.Load() != 1 {
			t.Errorf("panic over TCP: %d, error handler called %d times", resp.StatusCode,
				panics.Load())
		}
		cl.CloseIdleConnections()
		srv.Close()
	}
}

func TestShutdownWaitsCloseCuts(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	ts := startServer(t, Options{Routes: []router.Route{{Method: "GET", Pattern: "/slow",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			started <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
			io.WriteString(w, "finished")
		})}}})
	type result struct {
		code int
		body string
		err  error
	}
	get := func() <-chan result {
		ch := make(chan result, 1)
		go func() {
			req, _ := http.NewRequest("GET", ts.url+"/slow", nil)
			resp, err := ts.tr.RoundTrip(req)
			if err != nil {
				ch <- result{err: err}
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			ch <- result{resp.StatusCode, string(b), err}
		}()
		return ch
	}
	first := get()
	<-started
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		shut <- ts.srv.Shutdown(ctx)
	}()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if r := <-first; r.err != nil || r.code != 200 || r.body != "finished" {
		t.Fatalf("in-flight request during Shutdown: %+v %v", r, r.err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestCloseCutsInFlight(t *testing.T) {
	started := make(chan struct{}, 1)
	ts := startServer(t, Options{Routes: []router.Route{{Method: "GET", Pattern: "/hang",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			http.NewResponseController(w).Flush()
			started <- struct{}{}
			<-r.Context().Done()
		})}}})
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("GET", ts.url+"/hang", nil)
		resp, err := ts.tr.RoundTrip(req)
		if err != nil {
			errc <- err
			return
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		errc <- err
	}()
	<-started
	ts.srv.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("the response ended cleanly although Close cut it")
		}
	case <-time.After(testTimeout):
		t.Fatal("the request was not cut by Close")
	}
}

func TestMaxConnections(t *testing.T) {
	ts := startServer(t, Options{MaxConnections: 1, Routes: []router.Route{{Method: "GET",
		Pattern: "/", Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}}})
	if code, _ := ts.do(t, "GET", "/", nil); code != 200 {
		t.Fatalf("first connection: %d", code)
	}
	other := &h3.Transport{TLSClientConfig: ts.tr.TLSClientConfig.Clone()}
	defer other.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.url+"/", nil)
	if resp, err := other.RoundTrip(req); err == nil {
		resp.Body.Close()
		t.Fatalf("second connection over MaxConnections got %d", resp.StatusCode)
	}
	if st := ts.srv.Stats(); st.ConnectionsTotal != 1 || st.ConnectionsActive != 1 {
		t.Fatalf("stats after a refused connection: %+v", st)
	}
}

func TestWebTransportSessionsCounted(t *testing.T) {
	ts := startServer(t, Options{Routes: []router.Route{{Pattern: "/wt",
		WebTransport: func(s *wt.Session) {
			st, err := s.AcceptStream(s.Context())
			if err != nil {
				return
			}
			io.Copy(st, st)
			st.Close()
			<-s.Context().Done()
		}}}})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	d := &wt.Dialer{TLSClientConfig: &tls.Config{RootCAs: ts.pool, ServerName: "localhost"}}
	resp, sess, err := d.Dial(ctx, ts.url+"/wt", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("WebTransport CONNECT: %d", resp.StatusCode)
	}
	st, err := sess.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("ping"))
	st.Close()
	if b, err := io.ReadAll(st); err != nil || string(b) != "ping" {
		t.Fatalf("echo %q, %v", b, err)
	}
	if s := ts.srv.Stats(); s.WebTransportSessions != 1 || s.WebTransportSessionsTotal != 1 {
		t.Fatalf("one open session: %+v", s)
	}
	sess.CloseWithError(0, "done")
	deadline := time.Now().Add(testTimeout)
	for ts.srv.Stats().WebTransportSessions != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("session still counted after close: %+v", ts.srv.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
