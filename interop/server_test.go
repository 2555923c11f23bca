package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/peregrine-h3/peregrine/router"
	"github.com/peregrine-h3/peregrine/server"
	"github.com/peregrine-h3/peregrine/server/demo"
)

// The tests in this file run quic-go's HTTP/3 client against our server with the demo
// site's routes, the routes `peregrine serve` answers with.

const serverTestTimeout = 20 * time.Second

// peregrineServer is our server on a loopback socket.
type peregrineServer struct {
	srv    *server.Server
	addr   string // host:port of the UDP socket
	url    string
	tlsCli *tls.Config
	served chan error
}

// startPeregrine starts our server with the demo routes, extra routes and opts' other
// fields.
func startPeregrine(t *testing.T, opts server.Options) *peregrineServer {
	t.Helper()
	ps := &peregrineServer{served: make(chan error, 1)}
	opts.Addr = "127.0.0.1:0"
	demo.Apply(&opts, func() server.Stats { return ps.srv.Stats() }, nil)
	srv, err := server.New(opts)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ps.srv = srv
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { ps.served <- srv.Serve(pc) }()
	ps.addr = pc.LocalAddr().String()
	ps.url = "https://" + ps.addr
	pool := x509.NewCertPool()
	pool.AddCert(srv.DevCert().Certificate.Leaf)
	ps.tlsCli = &tls.Config{RootCAs: pool, ServerName: "localhost"}
	t.Cleanup(func() {
		srv.Close()
		select {
		case err := <-ps.served:
			if !errors.Is(err, server.ErrServerClosed) {
				t.Errorf("Serve: %v, want ErrServerClosed", err)
			}
		case <-time.After(serverTestTimeout):
			t.Error("Serve did not return after Close")
		}
	})
	return ps
}

// dialQUIC opens a bare quic-go connection with QUIC datagrams enabled to the server,
// offering ALPN alpn; the connection is closed when the test ends.
func (ps *peregrineServer) dialQUIC(t *testing.T, ctx context.Context, alpn string) *quic.Conn {
	t.Helper()
	tc := ps.tlsCli.Clone()
	tc.NextProtos = []string{alpn}
	conn, err := quic.DialAddr(ctx, ps.addr, tc, &quic.Config{EnableDatagrams: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseWithError(0, "") })
	return conn
}

// client returns a quic-go HTTP/3 client for the server, closed when the test ends.
func (ps *peregrineServer) client(t *testing.T) (*http.Client, *http3.Transport) {
	tr := &http3.Transport{TLSClientConfig: ps.tlsCli.Clone(),
		QUICConfig: &quic.Config{EnableDatagrams: true}, EnableDatagrams: true}
	t.Cleanup(func() { tr.Close() })
	return &http.Client{Transport: tr, Timeout: serverTestTimeout}, tr
}

func TestServerBufferedPOST(t *testing.T) {
	ps := startPeregrine(t, server.Options{})
	cl, _ := ps.client(t)
	for _, tt := range []struct {
		size int
		code int
	}{{1 << 10, 200}, {512 << 10, 200}, {0, 200}, {1<<20 + 1, 413}} {
		body := make([]byte, tt.size)
		for i := range body {
			body[i] = byte(rand.Uint32())
		}
		resp, err := cl.Post(ps.url+"/echo", "application/octet-stream",
			bytes.NewReader(body))
		if err != nil {
			t.Fatalf("POST /echo of %d bytes: %v", tt.size, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("POST /echo of %d bytes: reading: %v", tt.size, err)
		}
		if resp.StatusCode != tt.code {
			t.Fatalf("POST /echo of %d bytes: %d, want %d", tt.size, resp.StatusCode, tt.code)
		}
		if tt.code == 200 && !bytes.Equal(got, body) {
			t.Fatalf("POST /echo of %d bytes: %d bytes back, not the same", tt.size, len(got))
		}
	}
}

// chunkedBody yields size bytes of seeded random data in chunks of chunk bytes through
// a pipe, so that the client sends them as they are produced, and returns the SHA-256.
func chunkedBody(size, chunk int, seed uint64) (io.Reader, string) {
	pr, pw := io.Pipe()
	h := sha256.New()
	rng := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	data := make([]byte, size)
	rng.Read(data)
	h.Write(data)
	go func() {
		for off := 0; off < size; off += chunk {
			if _, err := pw.Write(data[off:min(off+chunk, size)]); err != nil {
				return
			}
		}
		pw.Close()
	}()
	return pr, hex.EncodeToString(h.Sum(nil))
}

// upload posts a streamed body to /upload and checks the count and hash in the answer.
func upload(cl *http.Client, url string, size, chunk int, seed uint64) error {
	body, sum := chunkedBody(size, chunk, seed)
	resp, err := cl.Post(url+"/upload", "application/octet-stream", body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var res demo.UploadResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return fmt.Errorf("status %d, decoding: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != 200 || res.Bytes != int64(size) || res.SHA256 != sum {
		return fmt.Errorf("status %d, %+v, want %d bytes with SHA-256 %s", resp.StatusCode,
			res, size, sum)
	}
	return nil
}

func TestServerStreamingUpload(t *testing.T) {
	ps := startPeregrine(t, server.Options{})
	cl, _ := ps.client(t)
	if err := upload(cl, ps.url, 5_000_000, 64<<10, 1); err != nil {
		t.Fatalf("5 MB in 64 KB chunks: %v", err)
	}
}

func TestServerConcurrentUploads(t *testing.T) {
	ps := startPeregrine(t, server.Options{})
	cl, _ := ps.client(t)
	errs := make(chan error, 3)
	for i := range 3 {
		go func() { errs <- upload(cl, ps.url, 2_000_000, 32<<10, uint64(i+10)) }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestServerPanicGives500(t *testing.T) {
	var seen atomic.Value
	ps := startPeregrine(t, server.Options{
		Routes: []router.Route{{Method: "GET", Pattern: "/panic", Handler: http.HandlerFunc(
			func(http.ResponseWriter, *http.Request) { panic("deliberate") })}},
		ErrorHandler: func(r *http.Request, err error) {
			seen.Store(r.URL.Path + " " + err.Error())
		},
	})
	cl, _ := ps.client(t)
	resp, err := cl.Get(ps.url + "/panic")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Fatalf("GET /panic: %d, want 500", resp.StatusCode)
	}
	if s, _ := seen.Load().(string); !strings.Contains(s, "/panic") ||
		!strings.Contains(s, "deliberate") {
		t.Fatalf("error handler saw %q", s)
	}
	resp, err = cl.Get(ps.url + "/bytes/100")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(b) != 100 {
		t.Fatalf("request after the panic: %d with %d bytes", resp.StatusCode, len(b))
	}
}

// waitFor polls cond every 10 ms until it holds or the timeout passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(serverTestTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServerStatsCounts(t *testing.T) {
	ps := startPeregrine(t, server.Options{})
	get := func(cl *http.Client) {
		t.Helper()
		resp, err := cl.Get(ps.url + "/bytes/1000")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	cl1, tr1 := ps.client(t)
	cl2, tr2 := ps.client(t)
	get(cl1)
	get(cl1)
	get(cl2)
	st := ps.srv.Stats()
	if st.ConnectionsTotal != 2 || st.ConnectionsActive != 2 || st.RequestsTotal != 3 ||
		st.RequestsInFlight != 0 || st.BytesOut < 3000 {
		t.Fatalf("two clients, three requests: %+v", st)
	}
	tr1.Close()
	waitFor(t, "one active connection", func() bool {
		return ps.srv.Stats().ConnectionsActive == 1
	})
	tr2.Close()
	waitFor(t, "no active connection", func() bool {
		return ps.srv.Stats().ConnectionsActive == 0
	})
	cl3, _ := ps.client(t)
	get(cl3)
	st = ps.srv.Stats()
	if st.ConnectionsTotal != 3 || st.ConnectionsActive != 1 || st.RequestsTotal != 4 {
		t.Fatalf("after a third client: %+v", st)
	}
}

// slowRoute answers GET /slow once release is closed, or never.
func slowRoute(started chan<- struct{}, release <-chan struct{}) router.Route {
	return router.Route{Method: "GET", Pattern: "/slow", Handler: http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "8")
			w.WriteHeader(200)
			http.NewResponseController(w).Flush()
			started <- struct{}{}
			select {
			case <-release:
				io.WriteString(w, "finished")
			case <-r.Context().Done():
			}
		})}
}

// getAsync sends GET url and reports the body or the error.
func getAsync(cl *http.Client, url string) <-chan error {
	ch := make(chan error, 1)
	go func() {
		resp, err := cl.Get(url)
		if err != nil {
			ch <- err
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && string(b) != "finished" {
			err = fmt.Errorf("body %q", b)
		}
		ch <- err
	}()
	return ch
}

func TestServerShutdownFinishesInFlight(t *testing.T) {
	started, release := make(chan struct{}, 1), make(chan struct{})
	ps := startPeregrine(t, server.Options{Routes: []router.Route{slowRoute(started, release)}})
	cl, _ := ps.client(t)
	res := getAsync(cl, ps.url+"/slow")
	<-started
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), serverTestTimeout)
		defer cancel()
		shut <- ps.srv.Shutdown(ctx)
	}()
	time.Sleep(20 * time.Millisecond) // let Shutdown begin while the request is open
	close(release)
	if err := <-res; err != nil {
		t.Fatalf("in-flight request during Shutdown: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestServerCloseCutsInFlight(t *testing.T) {
	started, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	ps := startPeregrine(t, server.Options{Routes: []router.Route{slowRoute(started, release)}})
	cl, _ := ps.client(t)
	res := getAsync(cl, ps.url+"/slow")
	<-started
	ps.srv.Close()
	select {
	case err := <-res:
		if err == nil {
			t.Fatal("the request completed although Close cut it")
		}
	case <-time.After(serverTestTimeout):
		t.Fatal("Close did not cut the request")
	}
}

// echoDatagrams sends datagrams until want of them came back or tries run out, and
// returns how many came back. send and recv are the two halves of a datagram flow.
func echoDatagrams(ctx context.Context, want, tries int, send func([]byte) error,
	recv func(context.Context) ([]byte, error)) (int, error) {
	got := 0
	for i := 0; i < tries && got < want; i++ {
		msg := fmt.Sprintf("dgram-%d", i)
		if err := send([]byte(msg)); err != nil {
			return got, err
		}
		rctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		d, err := recv(rctx)
		cancel()
		if err == nil {
			if !strings.HasPrefix(string(d), "dgram-") {
				return got, fmt.Errorf("echoed %q", d)
			}
			got++
		}
	}
	return got, nil
}

func TestServerQUICDatagramEcho(t *testing.T) {
	ps := startPeregrine(t, server.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), serverTestTimeout)
	defer cancel()
	conn := ps.dialQUIC(t, ctx, demo.EchoALPN)
	got, err := echoDatagrams(ctx, 5, 100, conn.SendDatagram, conn.ReceiveDatagram)
	if err != nil || got < 5 {
		t.Fatalf("%d datagrams echoed, %v", got, err)
	}
}

// TestServerQUICDatagramEchoOnH3 runs the demo's QUIC datagram echo on an HTTP/3
// connection whose client enabled QUIC datagrams but sent SETTINGS without
// SETTINGS_H3_DATAGRAM: its datagrams are not HTTP datagrams, so they go to
// Options.QUICDatagram. The client is a bare quic-go connection that writes its own
// control stream, since quic-go's http3 client would take the echoed datagrams itself.
func TestServerQUICDatagramEchoOnH3(t *testing.T) {
	ps := startPeregrine(t, server.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), serverTestTimeout)
	defer cancel()
	conn := ps.dialQUIC(t, ctx, http3.NextProtoH3)
	ctrl, err := conn.OpenUniStream()
	if err != nil {
		t.Fatal(err)
	}
	// Stream type 0x00 (control), then an empty SETTINGS frame (type 0x04).
	if _, err := ctrl.Write([]byte{0x00, 0x04, 0x00}); err != nil {
		t.Fatal(err)
	}
	got, err := echoDatagrams(ctx, 5, 100, conn.SendDatagram, conn.ReceiveDatagram)
	if err != nil || got < 5 {
		t.Fatalf("%d datagrams echoed, %v", got, err)
	}
}

func TestServerHTTPDatagramEcho(t *testing.T) {
	ps := startPeregrine(t, server.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), serverTestTimeout)
	defer cancel()
	conn := ps.dialQUIC(t, ctx, http3.NextProtoH3)
	tr := &http3.Transport{EnableDatagrams: true}
	cc := tr.NewClientConn(conn)
	select {
	case <-cc.ReceivedSettings():
	case <-ctx.Done():
		t.Fatal("no SETTINGS from the server")
	}
	if s := cc.Settings(); !s.EnableExtendedConnect || !s.EnableDatagrams {
		t.Fatalf("server SETTINGS %+v lack extended CONNECT or HTTP datagrams", s)
	}
	rs, err := cc.OpenRequestStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodConnect, ps.url+"/dgram/echo", nil)
	req.Proto = "connect-udp"
	if err := rs.SendRequestHeader(req); err != nil {
		t.Fatal(err)
	}
	resp, err := rs.ReadResponse()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("extended CONNECT: %d", resp.StatusCode)
	}
	got, err := echoDatagrams(ctx, 5, 100, rs.SendDatagram, rs.ReceiveDatagram)
	if err != nil || got < 5 {
		t.Fatalf("%d HTTP datagrams echoed, %v", got, err)
	}
	rs.Close()
	if st := ps.srv.Stats(); st.DatagramsIn < 5 || st.DatagramsOut < 5 {
		t.Fatalf("stats count %d datagrams in and %d out, want at least 5 each",
			st.DatagramsIn, st.DatagramsOut)
	}
}

func TestServerRouteConflictFailsNew(t *testing.T) {
	h := http.NotFoundHandler()
	_, err := server.New(server.Options{Routes: []router.Route{
		{Method: "GET", Pattern: "/items/{id}", Handler: h},
		{Method: "GET", Pattern: "/items/{name}", Handler: h},
	}})
	if !errors.Is(err, router.ErrInvalidRoute) || !strings.Contains(err.Error(), "/items/{name}") {
		t.Fatalf("New with conflicting routes: %v", err)
	}
	var opts server.Options
	demo.Apply(&opts, func() server.Stats { return server.Stats{} }, nil)
	opts.Routes = append(opts.Routes, router.Route{Method: "POST", Pattern: "/echo", Handler: h})
	if _, err := server.New(opts); err == nil || !strings.Contains(err.Error(), "/echo") {
		t.Fatalf("New with a second POST /echo: %v", err)
	}
}
