package h3

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestShutdownGraceful checks that Shutdown lets an in-flight request finish,
// that a request sent after GOAWAY is retried on a new connection, and that
// the old connection is closed with H3_NO_ERROR once idle.
func TestShutdownGraceful(t *testing.T) {
	release := make(chan struct{})
	inHandler := make(chan struct{}, 1)
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			inHandler <- struct{}{}
			<-release
		}
		io.WriteString(w, "done "+r.URL.Path)
	})}
	// A second server stands behind the redial: the first one refuses new
	// connections after Shutdown.
	srv2 := &Server{Handler: srv.Handler}
	ts := newTestSetup(t, srv, false)
	base := ts.tr.dial
	first := true
	ts.tr.dial = func(ctx context.Context, a string, c *tls.Config) (quicConn, error) {
		if first {
			first = false
			return base(ctx, a, c)
		}
		ts.dials.Add(1)
		client, server := newMemPair(false)
		go srv2.serveQUIC(server)
		t.Cleanup(func() { srv2.Close() })
		return client, nil
	}

	slow := make(chan string, 1)
	go func() {
		resp, err := ts.tr.RoundTrip(newRequest(t, "GET", "https://example.test/slow", nil))
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- string(b)
	}()
	<-inHandler
	firstConn := ts.conns[0]

	shutdownErr := make(chan error, 1)
	go func() { shutdownErr <- srv.Shutdown(context.Background()) }()
	// Wait until the client has seen the GOAWAY.
	deadline := time.Now().Add(testTimeout)
	for time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
		ts.tr.mu.Lock()
		_, still := ts.tr.conns["example.test:443"]
		ts.tr.mu.Unlock()
		if !still {
			break
		}
	}
	_, body := ts.do(newRequest(t, "GET", "https://example.test/new", nil))
	if string(body) != "done /new" {
		t.Fatalf("request after GOAWAY: %q", body)
	}
	if n := ts.dials.Load(); n != 2 {
		t.Fatalf("%d dials, want 2 (GOAWAY honoured)", n)
	}
	select {
	case err := <-shutdownErr:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	close(release)
	if got := <-slow; got != "done /slow" {
		t.Fatalf("in-flight request: %q", got)
	}
	if err := <-shutdownErr; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if code, closed := firstConn.closeCode(testTimeout); !closed ||
		ErrCode(code) != ErrCodeNoError {
		t.Fatalf("old connection closed %v with %v", closed, ErrCode(code))
	}
}

func TestShutdownDeadline(t *testing.T) {
	started := make(chan struct{})
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	})}
	p := newTestPeer(t, srv, false)
	p.setup()
	s := p.request(getRequest("/hang"), true)
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	p.expectClose(ErrCodeNoError)
	s.SetReadDeadline(time.Now().Add(testTimeout))
	if _, err := io.ReadAll(s); err == nil {
		t.Fatal("request completed after a hard close")
	}
}

// TestShutdownRejects plays the client: after GOAWAY, a stream at or above
// the GOAWAY ID is reset with H3_REQUEST_REJECTED.
func TestShutdownRejects(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "ok")
	})}
	p := newTestPeer(t, srv, false)
	p.setup()
	s0 := p.request(getRequest("/a"), true)
	<-started
	go srv.Shutdown(context.Background())

	// Read the server's control stream: two GOAWAY frames, the first with
	// the largest stream ID, the second with the next one to refuse.
	first, id := p.readGoaways()
	if first != maxClientBidiID || id != 4 {
		t.Fatalf("GOAWAY ids %d then %d, want %d then 4", first, id, maxClientBidiID)
	}
	// The server may refuse the stream before the request is written, so
	// write errors are expected.
	s4, err := p.qc.OpenStream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s4.Write(getRequest("/b"))
	s4.Close()
	expectReset(t, s4, ErrCodeRequestRejected)
	close(release)
	r, err := readResponse(t, s0)
	if err != nil || string(r.body) != "ok" {
		t.Fatalf("in-flight request: %v %v", r, err)
	}
	p.expectClose(ErrCodeNoError)
}

// readGoaways reads the server's control stream until two GOAWAY frames.
func (p *testPeer) readGoaways() (first, second int64) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for {
		s, err := p.qc.AcceptUniStream(ctx)
		if err != nil {
			p.t.Fatal(err)
		}
		s.SetReadDeadline(time.Now().Add(testTimeout))
		fr := newFrameReader(s)
		typ, err := readVarint(fr.r)
		if err != nil || typ != streamTypeControl {
			continue
		}
		for {
			ft, _, err := fr.nextKnown()
			if err != nil {
				p.t.Fatal(err)
			}
			if ft != frameGoaway {
				continue
			}
			b, _ := fr.readPayload(8)
			v, err := parseSingleVarint(ft, b)
			if err != nil {
				p.t.Fatal(err)
			}
			if first == 0 {
				first = int64(v)
				continue
			}
			return first, int64(v)
		}
	}
}
