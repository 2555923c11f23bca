package interop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	webtransport "github.com/quic-go/webtransport-go"

	"github.com/peregrine-h3/peregrine/h3"
	pquic "github.com/peregrine-h3/peregrine/quic"
	"github.com/peregrine-h3/peregrine/wt"
)

// The WebTransport interop tests run package wt against
// github.com/quic-go/webtransport-go v0.13.0 in both directions: datagram
// echo, bidi and uni stream echo, a server-initiated stream, and close codes
// both ways. The echo server behaves as tools/chromium-h3's page expects.

// wtSession is what the tests need of a session from either implementation.
type wtSession interface {
	openStream(ctx context.Context) (io.ReadWriteCloser, error)
	acceptStream(ctx context.Context) (io.ReadWriteCloser, error)
	openUni(ctx context.Context) (io.WriteCloser, error)
	acceptUni(ctx context.Context) (io.Reader, error)
	sendDatagram(b []byte) error
	receiveDatagram(ctx context.Context) ([]byte, error)
	close(code uint32, reason string) error
	done() <-chan struct{}
	// closeCode returns the code and reason the peer closed with, given the
	// error an operation failed with after the session ended.
	closeCode(err error) (uint32, string, bool)
}

type ourWT struct{ s *wt.Session }

func (o ourWT) openStream(ctx context.Context) (io.ReadWriteCloser, error) {
	return o.s.OpenStream(ctx)
}
func (o ourWT) acceptStream(ctx context.Context) (io.ReadWriteCloser, error) {
	return o.s.AcceptStream(ctx)
}
func (o ourWT) openUni(ctx context.Context) (io.WriteCloser, error) {
	return o.s.OpenUniStream(ctx)
}
func (o ourWT) acceptUni(ctx context.Context) (io.Reader, error) {
	return o.s.AcceptUniStream(ctx)
}
func (o ourWT) sendDatagram(b []byte) error { return o.s.SendDatagram(b) }
func (o ourWT) receiveDatagram(ctx context.Context) ([]byte, error) {
	return o.s.ReceiveDatagram(ctx)
}
func (o ourWT) close(code uint32, reason string) error { return o.s.CloseWithError(code, reason) }
func (o ourWT) done() <-chan struct{}                  { return o.s.Context().Done() }
func (o ourWT) closeCode(error) (uint32, string, bool) {
	var se *wt.SessionError
	if errors.As(o.s.Err(), &se) && se.Remote {
		return se.Code, se.Reason, true
	}
	return 0, "", false
}

type goWT struct{ s *webtransport.Session }

func (g goWT) openStream(ctx context.Context) (io.ReadWriteCloser, error) {
	return g.s.OpenStreamSync(ctx)
}
func (g goWT) acceptStream(ctx context.Context) (io.ReadWriteCloser, error) {
	return g.s.AcceptStream(ctx)
}
func (g goWT) openUni(ctx context.Context) (io.WriteCloser, error) {
	return g.s.OpenUniStreamSync(ctx)
}
func (g goWT) acceptUni(ctx context.Context) (io.Reader, error) {
	return g.s.AcceptUniStream(ctx)
}
func (g goWT) sendDatagram(b []byte) error { return g.s.SendDatagram(b) }
func (g goWT) receiveDatagram(ctx context.Context) ([]byte, error) {
	return g.s.ReceiveDatagram(ctx)
}
func (g goWT) close(code uint32, reason string) error {
	return g.s.CloseWithError(webtransport.SessionErrorCode(code), reason)
}
func (g goWT) done() <-chan struct{} { return g.s.Context().Done() }
func (g goWT) closeCode(err error) (uint32, string, bool) {
	var se *webtransport.SessionError
	if errors.As(err, &se) && se.Remote {
		return uint32(se.ErrorCode), se.Message, true
	}
	return 0, "", false
}

// wtEcho serves one session as tools/chromium-h3/page/h3test.html expects
// and reports how the client closed it on closed.
func wtEcho(s wtSession, closed chan<- string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.done()
		cancel()
	}()
	go func() {
		for {
			d, err := s.receiveDatagram(ctx)
			if err != nil {
				return
			}
			s.sendDatagram(d)
		}
	}()
	go func() {
		for {
			in, err := s.acceptUni(ctx)
			if err != nil {
				return
			}
			go func() {
				b, _ := io.ReadAll(io.LimitReader(in, 1<<20))
				if out, err := s.openUni(ctx); err == nil {
					out.Write(b)
					out.Close()
				}
			}()
		}
	}()
	var err error
	for {
		var st io.ReadWriteCloser
		if st, err = s.acceptStream(context.Background()); err != nil {
			break
		}
		go wtEchoStream(ctx, s, st)
	}
	if closed != nil {
		code, reason, ok := s.closeCode(err)
		closed <- fmt.Sprintf("%d %s %v", code, reason, ok)
	}
}

func wtEchoStream(ctx context.Context, s wtSession, st io.ReadWriteCloser) {
	b, err := io.ReadAll(io.LimitReader(st, 1<<20))
	if err != nil {
		return
	}
	msg := string(b)
	switch {
	case msg == "__server_bidi__":
		st.Write([]byte("opening"))
		st.Close()
		if out, err := s.openStream(ctx); err == nil {
			out.Write([]byte("from-server"))
			out.Close()
			io.ReadAll(io.LimitReader(out, 1<<20))
		}
	case strings.HasPrefix(msg, "__close__ "):
		f := strings.SplitN(msg, " ", 3)
		code, _ := strconv.ParseUint(f[1], 10, 32)
		s.close(uint32(code), f[2])
	default:
		st.Write(b)
		st.Close()
	}
}

// serveGoWT runs a webtransport-go server with the echo handler and
// returns its URL.
func serveGoWT(t *testing.T, closed chan<- string) string {
	srvTLS, _ := tlsConfigs(t, "h3")
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h3s := &http3.Server{
		TLSConfig: http3.ConfigureTLSConfig(srvTLS),
		QUICConfig: &quic.Config{EnableDatagrams: true,
			EnableStreamResetPartialDelivery: true},
	}
	webtransport.ConfigureHTTP3Server(h3s)
	s := &webtransport.Server{H3: h3s, CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	mux.HandleFunc("/wt", func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.Upgrade(w, r)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		go wtEcho(goWT{sess}, closed)
	})
	h3s.Handler = mux
	go s.Serve(pc)
	t.Cleanup(func() { s.Close(); pc.Close() })
	return "https://localhost:" + portOf(pc.LocalAddr().String()) + "/wt"
}

// serveOurWT runs package wt's server with the echo handler and returns
// its URL.
func serveOurWT(t *testing.T, closed chan<- string) string {
	srvTLS, _ := tlsConfigs(t, "h3")
	ep, err := pquic.Listen("udp", "127.0.0.1:0", &pquic.Config{TLSConfig: srvTLS,
		EnableDatagrams: true, EnableResetStreamAt: true})
	if err != nil {
		t.Fatal(err)
	}
	ws := &wt.Server{}
	mux := http.NewServeMux()
	mux.Handle("/wt", ws.Handler(func(s *wt.Session) { wtEcho(ourWT{s}, closed) }))
	hs := &h3.Server{Handler: mux}
	ws.Configure(hs)
	go hs.Serve(ep)
	t.Cleanup(func() { hs.Close(); ep.Close() })
	return "https://localhost:" + portOf(ep.LocalAddr().String()) + "/wt"
}

func dialOurWT(ctx context.Context, t *testing.T, url string) (wtSession, error) {
	_, cliTLS := tlsConfigs(t, "h3")
	d := &wt.Dialer{TLSClientConfig: cliTLS}
	_, s, err := d.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	return ourWT{s}, nil
}

func dialGoWT(ctx context.Context, t *testing.T, url string) (wtSession, error) {
	_, cliTLS := tlsConfigs(t, "h3")
	d := &webtransport.Transport{TLSClientConfig: cliTLS}
	_, s, err := d.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	return goWT{s}, nil
}

// dialGoWTOwnConn is dialGoWT on a QUIC connection that outlives the
// session. webtransport-go's Transport.Dial closes its connection as soon as
// the session ends, in the same instant that it queues
// CLOSE_WEBTRANSPORT_SESSION, and quic-go drops unsent stream data when it
// closes: most of the time the capsule never leaves the client, whichever
// server it talks to (webtransport-go's own server included). Tests of the
// close code use this dialer so that the capsule is sent.
func dialGoWTOwnConn(ctx context.Context, t *testing.T, rawURL string) (wtSession, error) {
	_, cliTLS := tlsConfigs(t, "h3")
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	qconn, err := quic.DialAddr(ctx, u.Host, cliTLS,
		&quic.Config{EnableDatagrams: true, EnableStreamResetPartialDelivery: true})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { qconn.CloseWithError(0, "") })
	cc, err := (&webtransport.Transport{}).NewClientConn(qconn)
	if err != nil {
		return nil, err
	}
	_, s, err := cc.Dial(ctx, rawURL, nil)
	if err != nil {
		return nil, err
	}
	return goWT{s}, nil
}

func wtPairings() []struct {
	name  string
	serve func(*testing.T, chan<- string) string
	dial  func(context.Context, *testing.T, string) (wtSession, error)
} {
	return []struct {
		name  string
		serve func(*testing.T, chan<- string) string
		dial  func(context.Context, *testing.T, string) (wtSession, error)
	}{
		{"ours-to-webtransport-go", serveGoWT, dialOurWT},
		{"webtransport-go-to-ours", serveOurWT, dialGoWT},
	}
}

// dialWT dials or fails the test. webtransport-go refuses a server that does
// not negotiate reset_stream_at, so a failure here may mean that
// quic.Config.EnableResetStreamAt is off.
func dialWT(t *testing.T, ctx context.Context, url string,
	dial func(context.Context, *testing.T, string) (wtSession, error)) wtSession {
	s, err := dial(ctx, t, url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func bidiEcho(ctx context.Context, s wtSession, msg string) (string, error) {
	st, err := s.openStream(ctx)
	if err != nil {
		return "", err
	}
	if _, err := st.Write([]byte(msg)); err != nil {
		return "", err
	}
	st.Close()
	b, err := io.ReadAll(st)
	return string(b), err
}

func TestWTEcho(t *testing.T) {
	for _, p := range wtPairings() {
		t.Run(p.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s := dialWT(t, ctx, p.serve(t, nil), p.dial)
			defer s.close(0, "")

			if got, err := bidiEcho(ctx, s, "hello bidi"); err != nil || got != "hello bidi" {
				t.Fatalf("bidi echo %q, %v", got, err)
			}

			u, err := s.openUni(ctx)
			if err != nil {
				t.Fatal(err)
			}
			u.Write([]byte("hello uni"))
			u.Close()
			in, err := s.acceptUni(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b, err := io.ReadAll(in); err != nil || string(b) != "hello uni" {
				t.Fatalf("uni echo %q, %v", b, err)
			}

			if got, err := bidiEcho(ctx, s, "__server_bidi__"); err != nil || got != "opening" {
				t.Fatalf("server bidi request %q, %v", got, err)
			}
			sb, err := s.acceptStream(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sb.Write([]byte("ack"))
			sb.Close()
			if b, err := io.ReadAll(sb); err != nil || string(b) != "from-server" {
				t.Fatalf("server bidi stream %q, %v", b, err)
			}

			var got []byte
			for try := 0; try < 20 && got == nil; try++ {
				if err := s.sendDatagram([]byte("dgram")); err != nil {
					t.Fatal(err)
				}
				rctx, rcancel := context.WithTimeout(ctx, 200*time.Millisecond)
				got, _ = s.receiveDatagram(rctx)
				rcancel()
			}
			if string(got) != "dgram" {
				t.Fatalf("datagram echo %q", got)
			}
		})
	}
}

func TestWTServerClose(t *testing.T) {
	for _, p := range wtPairings() {
		t.Run(p.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s := dialWT(t, ctx, p.serve(t, nil), p.dial)
			st, err := s.openStream(ctx)
			if err != nil {
				t.Fatal(err)
			}
			st.Write([]byte("__close__ 42 bye-from-server"))
			st.Close()
			select {
			case <-s.done():
			case <-ctx.Done():
				t.Fatal("session not closed")
			}
			_, err = s.acceptStream(ctx)
			if code, reason, ok := s.closeCode(err); !ok || code != 42 ||
				reason != "bye-from-server" {
				t.Fatalf("closed with %d %q (remote %v), want 42 bye-from-server",
					code, reason, ok)
			}
		})
	}
}

func TestWTClientClose(t *testing.T) {
	for _, p := range wtPairings() {
		t.Run(p.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			closed := make(chan string, 1)
			dial := p.dial
			if p.name == "webtransport-go-to-ours" {
				dial = dialGoWTOwnConn // see there: Transport.Dial may lose the capsule
			}
			s := dialWT(t, ctx, p.serve(t, closed), dial)
			if got, err := bidiEcho(ctx, s, "x"); err != nil || got != "x" {
				t.Fatalf("echo %q, %v", got, err)
			}
			if err := s.close(7, "bye-from-client"); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-closed:
				if got != "7 bye-from-client true" {
					t.Fatalf("server saw the close as %q", got)
				}
			case <-ctx.Done():
				t.Fatal("server session did not end")
			}
		})
	}
}

// TestWTResetStreamAt has webtransport-go's client reset a uni and a bidi
// stream right after opening them. It then sends RESET_STREAM_AT with the
// stream header as the reliable part, so our server must still read the
// header, hand the stream to the session, and report the reset code.
func TestWTResetStreamAt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srvTLS, _ := tlsConfigs(t, "h3")
	ep, err := pquic.Listen("udp", "127.0.0.1:0", &pquic.Config{TLSConfig: srvTLS,
		EnableDatagrams: true, EnableResetStreamAt: true})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	readReset := func(st *wt.Stream, err error) {
		if err == nil {
			_, err = io.ReadAll(st)
		}
		errs <- err
	}
	ws := &wt.Server{}
	mux := http.NewServeMux()
	mux.Handle("/wt", ws.Handler(func(s *wt.Session) {
		readReset(s.AcceptUniStream(ctx))
		readReset(s.AcceptStream(ctx))
		<-s.Context().Done()
	}))
	hs := &h3.Server{Handler: mux}
	ws.Configure(hs)
	go hs.Serve(ep)
	t.Cleanup(func() { hs.Close(); ep.Close() })

	s, err := dialGoWT(ctx, t, "https://localhost:"+portOf(ep.LocalAddr().String())+"/wt")
	if err != nil {
		t.Fatal(err)
	}
	gs := s.(goWT).s
	defer gs.CloseWithError(0, "")
	u, err := gs.OpenUniStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u.CancelWrite(77)
	b, err := gs.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.CancelWrite(78)
	for _, want := range []uint32{77, 78} {
		select {
		case err := <-errs:
			var se *wt.StreamError
			if !errors.As(err, &se) || !se.Remote || se.Code != want {
				t.Fatalf("server read error %v, want a reset with code %d", err, want)
			}
		case <-ctx.Done():
			t.Fatalf("server never got the stream reset with code %d", want)
		}
	}
}
