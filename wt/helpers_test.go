package wt

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/peregrine-h3/peregrine/h3"
	"github.com/peregrine-h3/peregrine/internal/testcert"
	"github.com/peregrine-h3/peregrine/quic"
)

// testEnv is a WebTransport server on a loopback QUIC endpoint and a Dialer
// that trusts it.
type testEnv struct {
	url    string
	h3     *h3.Server
	wt     *Server
	dialer *Dialer
}

// startServer serves fn at /wt on loopback. The WebTransport server may be
// adjusted by cfg before it is configured.
func startServer(t testing.TB, cfg func(*Server), fn func(*Session)) *testEnv {
	return startServerWith(t, cfg, fn, true)
}

// startServerWith is startServer that may leave the h3.Server without
// WebTransport (configure false).
func startServerWith(t testing.TB, cfg func(*Server), fn func(*Session),
	configure bool) *testEnv {
	cert, pool := testcert.Localhost(t)
	ep, err := quic.Listen("udp", "127.0.0.1:0", &quic.Config{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert},
			NextProtos: []string{"h3"}},
		EnableDatagrams: true, EnableResetStreamAt: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ws := &Server{}
	if cfg != nil {
		cfg(ws)
	}
	mux := http.NewServeMux()
	mux.Handle("/wt", ws.Handler(fn))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	})
	hs := &h3.Server{Handler: mux}
	if configure {
		ws.Configure(hs)
	}
	done := make(chan struct{})
	go func() {
		hs.Serve(ep)
		close(done)
	}()
	t.Cleanup(func() {
		hs.Close()
		ep.Close()
		<-done
	})
	return &testEnv{
		url: "https://" + ep.LocalAddr().String() + "/wt",
		h3:  hs,
		wt:  ws,
		dialer: &Dialer{
			TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"},
		},
	}
}

// dial opens a session or fails the test.
func (e *testEnv) dial(t testing.TB) *Session {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, sess, err := e.dialer.Dial(ctx, e.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.CloseWithError(0, "") })
	return sess
}

// echoSession is the behaviour tools/chromium-h3/page/h3test.html expects:
// datagrams and bidi streams are echoed, a uni stream is answered on a new
// uni stream, "__server_bidi__" opens a server bidi stream, "__drain__"
// drains and "__close__ CODE REASON" closes the session.
func echoSession(s *Session) {
	ctx := s.Context()
	go func() {
		for {
			d, err := s.ReceiveDatagram(ctx)
			if err != nil {
				return
			}
			s.SendDatagram(d)
		}
	}()
	go func() {
		for {
			st, err := s.AcceptUniStream(ctx)
			if err != nil {
				return
			}
			go func() {
				b, err := io.ReadAll(io.LimitReader(st, 1<<20))
				if err != nil {
					return
				}
				out, err := s.OpenUniStream(ctx)
				if err != nil {
					return
				}
				out.Write(b)
				out.Close()
			}()
		}
	}()
	for {
		st, err := s.AcceptStream(ctx)
		if err != nil {
			return
		}
		go echoStream(s, st)
	}
}

func echoStream(s *Session, st *Stream) {
	b, err := io.ReadAll(io.LimitReader(st, 1<<20))
	if err != nil {
		return
	}
	msg := string(b)
	switch {
	case msg == "__server_bidi__":
		st.Write([]byte("opening"))
		st.Close()
		out, err := s.OpenStream(s.Context())
		if err != nil {
			return
		}
		out.Write([]byte("from-server"))
		out.Close()
		io.ReadAll(io.LimitReader(out, 1<<20))
	case msg == "__drain__":
		s.Drain()
		st.Write([]byte("draining"))
		st.Close()
	case strings.HasPrefix(msg, "__close__ "):
		f := strings.SplitN(msg, " ", 3)
		code, _ := strconv.ParseUint(f[1], 10, 32)
		reason := ""
		if len(f) == 3 {
			reason = f[2]
		}
		s.CloseWithError(uint32(code), reason)
	default:
		st.Write(b)
		st.Close()
	}
}
