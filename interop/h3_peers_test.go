package interop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/peregrine-h3/peregrine/h3"
	"github.com/peregrine-h3/peregrine/quic"
)

// datagramStream is what both stacks' extended CONNECT streams offer for HTTP datagrams.
type datagramStream interface {
	SendDatagram(b []byte) error
	ReceiveDatagram(ctx context.Context) ([]byte, error)
}

// h3Server is a running HTTP/3 server of either stack.
type h3Server struct {
	addr     string
	shutdown func(ctx context.Context) error
	handled  *atomic.Int64 // requests the handler started
}

// testHandler serves the routes every HTTP/3 interop test uses. stream returns the
// datagram stream of an extended CONNECT request in the server's own stack.
func testHandler(handled *atomic.Int64,
	stream func(w http.ResponseWriter) datagramStream) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		handled.Add(1)
		io.WriteString(w, "hello "+r.Proto)
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		handled.Add(1)
		time.Sleep(20 * time.Millisecond)
		io.WriteString(w, "slow")
	})
	mux.HandleFunc("GET /kib", func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 1024))
	})
	mux.HandleFunc("POST /sha", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Resp-Trailer")
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d %s %s", n, hex.EncodeToString(h.Sum(nil)),
			r.Trailer.Get("X-Req-Trailer"))
		w.Header().Set("X-Resp-Trailer", "resp-"+r.Trailer.Get("X-Req-Trailer"))
	})
	mux.HandleFunc("CONNECT /dgram", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
		s := stream(w)
		for {
			d, err := s.ReceiveDatagram(r.Context())
			if err != nil {
				return
			}
			s.SendDatagram(d)
		}
	})
	return mux
}

func serveOurH3(t *testing.T) h3Server {
	srvTLS, _ := tlsConfigs(t, "h3")
	ep, err := quic.Listen("udp", "127.0.0.1:0",
		&quic.Config{TLSConfig: srvTLS, EnableDatagrams: true})
	if err != nil {
		t.Fatal(err)
	}
	handled := new(atomic.Int64)
	srv := &h3.Server{Handler: testHandler(handled, func(w http.ResponseWriter) datagramStream {
		return w.(h3.HTTPStreamer).HTTPStream()
	})}
	go srv.Serve(ep)
	t.Cleanup(func() { srv.Close(); ep.Close() })
	return h3Server{addr: ep.LocalAddr().String(), shutdown: srv.Shutdown, handled: handled}
}

func serveQuicGoH3(t *testing.T) h3Server {
	srvTLS, _ := tlsConfigs(t, "h3")
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	handled := new(atomic.Int64)
	srv := &http3.Server{
		TLSConfig:       http3.ConfigureTLSConfig(srvTLS),
		QUICConfig:      &quicgo.Config{EnableDatagrams: true},
		EnableDatagrams: true,
		Handler: testHandler(handled, func(w http.ResponseWriter) datagramStream {
			return w.(http3.HTTPStreamer).HTTPStream()
		}),
	}
	go srv.Serve(pc)
	t.Cleanup(func() { srv.Close(); pc.Close() })
	return h3Server{addr: pc.LocalAddr().String(), shutdown: srv.Shutdown, handled: handled}
}

// h3Client is an HTTP/3 client of either stack.
type h3Client struct {
	rt http.RoundTripper
	// connectDatagrams opens an extended CONNECT request with :protocol "datagrams"
	// to url and returns its datagram stream.
	connectDatagrams func(ctx context.Context, url string) (datagramStream, error)
}

func ourH3Client(t *testing.T) h3Client {
	_, cliTLS := tlsConfigs(t, "h3")
	// A short handshake timeout: after a graceful shutdown, the retry of a refused
	// request dials a server that is gone.
	tr := &h3.Transport{TLSClientConfig: cliTLS,
		QUICConfig: &quic.Config{EnableDatagrams: true, HandshakeTimeout: 3 * time.Second}}
	t.Cleanup(tr.CloseIdleConnections)
	return h3Client{rt: tr, connectDatagrams: func(ctx context.Context, url string) (
		datagramStream, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodConnect, url, nil)
		if err != nil {
			return nil, err
		}
		req.Header[":protocol"] = []string{"datagrams"}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("CONNECT: status %d", resp.StatusCode)
		}
		return resp.Body.(*h3.Stream), nil
	}}
}

func quicGoH3Client(t *testing.T) h3Client {
	_, cliTLS := tlsConfigs(t, "h3")
	tr := &http3.Transport{TLSClientConfig: cliTLS,
		QUICConfig: &quicgo.Config{EnableDatagrams: true}, EnableDatagrams: true}
	t.Cleanup(func() { tr.Close() })
	return h3Client{rt: tr, connectDatagrams: func(ctx context.Context, url string) (
		datagramStream, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodConnect, url, nil)
		if err != nil {
			return nil, err
		}
		req.Proto = "datagrams"
		conn, err := quicgo.DialAddr(ctx, req.URL.Host, http3.ConfigureTLSConfig(cliTLS),
			&quicgo.Config{EnableDatagrams: true})
		if err != nil {
			return nil, err
		}
		cc := tr.NewClientConn(conn)
		select {
		case <-cc.ReceivedSettings():
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		rs, err := cc.OpenRequestStream(ctx)
		if err != nil {
			return nil, err
		}
		if err := rs.SendRequestHeader(req); err != nil {
			return nil, err
		}
		resp, err := rs.ReadResponse()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("CONNECT: status %d", resp.StatusCode)
		}
		return rs, nil
	}}
}

// h3Pairings lists both directions: the peer's client against our server, and ours
// against the peer's server.
func h3Pairings() []struct {
	name   string
	server func(t *testing.T) h3Server
	client func(t *testing.T) h3Client
} {
	return []struct {
		name   string
		server func(t *testing.T) h3Server
		client func(t *testing.T) h3Client
	}{
		{"quicgo-client/our-server", serveOurH3, quicGoH3Client},
		{"our-client/our-server", serveOurH3, ourH3Client},
		{"our-client/quicgo-server", serveQuicGoH3, ourH3Client},
	}
}
