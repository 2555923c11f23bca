package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"

	quicgo "github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/peregrine-h3/peregrine/h3"
	"github.com/peregrine-h3/peregrine/quic"
)

// bodyHandler answers every request with body bytes of zeros.
func bodyHandler(body int) http.Handler {
	payload := make([]byte, body)
	length := strconv.Itoa(body)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", length)
		w.Write(payload)
	})
}

// ListenH3 starts an HTTP/3 server of stack on 127.0.0.1 that answers every
// request with body bytes.
func ListenH3(stack Stack, cert *Cert, body int) (*Server, error) {
	tlsConf := cert.ServerTLS("h3")
	switch stack {
	case Peregrine:
		ep, err := quic.Listen("udp", "127.0.0.1:0", &quic.Config{TLSConfig: tlsConf})
		if err != nil {
			return nil, err
		}
		srv := &h3.Server{Handler: bodyHandler(body)}
		go srv.Serve(ep)
		closeAll := func() error { srv.Close(); return ep.Close() }
		return &Server{addr: ep.LocalAddr(), close: closeAll}, nil
	case QuicGo:
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		srv := &http3.Server{Handler: bodyHandler(body), TLSConfig: tlsConf,
			QUICConfig: &quicgo.Config{}}
		go srv.Serve(pc)
		closeAll := func() error { srv.Close(); return pc.Close() }
		return &Server{addr: pc.LocalAddr(), close: closeAll}, nil
	}
	return nil, fmt.Errorf("bench: unknown stack %q", stack)
}

// An H3Client sends GET requests with one stack's HTTP/3 client, which keeps
// one connection to the server. It is safe for concurrent use.
type H3Client struct {
	rt    http.RoundTripper
	close func() error
}

// NewH3Client returns an HTTP/3 client of stack that trusts cert.
func NewH3Client(stack Stack, cert *Cert) (*H3Client, error) {
	tlsConf := cert.ClientTLS("h3")
	switch stack {
	case Peregrine:
		tr := &h3.Transport{TLSClientConfig: tlsConf}
		return &H3Client{rt: tr, close: func() error { tr.CloseIdleConnections(); return nil }},
			nil
	case QuicGo:
		tr := &http3.Transport{TLSClientConfig: tlsConf, QUICConfig: &quicgo.Config{}}
		return &H3Client{rt: tr, close: tr.Close}, nil
	}
	return nil, fmt.Errorf("bench: unknown stack %q", stack)
}

// Close closes the client's connections.
func (c *H3Client) Close() error { return c.close() }

// NewGet returns a GET request for the root of the server at addr, to be
// passed to Get as often as wanted by one goroutine at a time.
func NewGet(ctx context.Context, addr net.Addr) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr.String()+"/", nil)
}

// Get sends req, reads the response body into buf (scratch space) and returns
// its length. A status other than 200 is an error.
func (c *H3Client) Get(req *http.Request, buf []byte) (int, error) {
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n := 0
	for {
		r, err := resp.Body.Read(buf)
		n += r
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, err
		}
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("bench: status %d", resp.StatusCode)
	}
	return n, nil
}
