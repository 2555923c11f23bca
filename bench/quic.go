package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"

	quicgo "github.com/quic-go/quic-go"

	"github.com/peregrine-h3/peregrine/quic"
)

// A Stack names a QUIC and HTTP/3 implementation under test.
type Stack string

// The stacks compared.
const (
	Peregrine Stack = "peregrine"
	QuicGo    Stack = "quic-go"
)

// Stacks lists every stack, ours first.
var Stacks = []Stack{Peregrine, QuicGo}

// ParseStack returns the Stack named s.
func ParseStack(s string) (Stack, error) {
	for _, st := range Stacks {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("bench: unknown stack %q", s)
}

// chunk is what the bulk server writes per call; its contents do not matter.
var chunk = make([]byte, 64<<10)

// A Server is a running benchmark server of one stack on a loopback UDP socket.
// Its methods are safe for concurrent use.
type Server struct {
	addr  net.Addr
	close func() error
}

// Addr returns the UDP address the server listens on.
func (s *Server) Addr() net.Addr { return s.addr }

// Close stops the server and closes its connections.
func (s *Server) Close() error { return s.close() }

// ListenQUIC starts a QUIC bulk server of stack on 127.0.0.1 with ALPN
// ALPNQUIC. On every stream the client opens, it reads an 8-byte big-endian
// length and the client's FIN, then sends that many bytes and its own FIN.
func ListenQUIC(stack Stack, cert *Cert) (*Server, error) {
	tlsConf := cert.ServerTLS(ALPNQUIC)
	switch stack {
	case Peregrine:
		ep, err := quic.Listen("udp", "127.0.0.1:0", &quic.Config{TLSConfig: tlsConf})
		if err != nil {
			return nil, err
		}
		go acceptLoop(func(ctx context.Context) (streamAcceptor, error) {
			c, err := ep.Accept(ctx)
			if err != nil {
				return nil, err
			}
			return ourAcceptor{c}, nil
		})
		return &Server{addr: ep.LocalAddr(), close: ep.Close}, nil
	case QuicGo:
		ln, err := quicgo.ListenAddr("127.0.0.1:0", tlsConf, &quicgo.Config{})
		if err != nil {
			return nil, err
		}
		go acceptLoop(func(ctx context.Context) (streamAcceptor, error) {
			c, err := ln.Accept(ctx)
			if err != nil {
				return nil, err
			}
			return goAcceptor{c}, nil
		})
		return &Server{addr: ln.Addr(), close: ln.Close}, nil
	}
	return nil, fmt.Errorf("bench: unknown stack %q", stack)
}

// streamAcceptor is an accepted connection of either stack.
type streamAcceptor interface {
	acceptStream(ctx context.Context) (io.ReadWriteCloser, error)
}

type ourAcceptor struct{ c *quic.Conn }

func (a ourAcceptor) acceptStream(ctx context.Context) (io.ReadWriteCloser, error) {
	return a.c.AcceptStream(ctx)
}

type goAcceptor struct{ c *quicgo.Conn }

func (a goAcceptor) acceptStream(ctx context.Context) (io.ReadWriteCloser, error) {
	return a.c.AcceptStream(ctx)
}

// acceptLoop accepts connections until accept fails and serves each stream of
// each of them with serveBulk.
func acceptLoop(accept func(ctx context.Context) (streamAcceptor, error)) {
	ctx := context.Background()
	for {
		c, err := accept(ctx)
		if err != nil {
			return
		}
		go func() {
			for {
				s, err := c.acceptStream(ctx)
				if err != nil {
					return
				}
				go serveBulk(s)
			}
		}()
	}
}

// serveBulk answers one bulk request. Errors end the stream quietly: the client
// sees them as a short transfer.
func serveBulk(s io.ReadWriteCloser) {
	defer s.Close()
	var hdr [8]byte
	if _, err := io.ReadFull(s, hdr[:]); err != nil {
		return
	}
	if _, err := s.Read(make([]byte, 1)); err != io.EOF {
		return
	}
	for n := int64(binary.BigEndian.Uint64(hdr[:])); n > 0; {
		p := chunk
		if n < int64(len(p)) {
			p = p[:n]
		}
		w, err := s.Write(p)
		if err != nil {
			return
		}
		n -= int64(w)
	}
}

// A Client dials QUIC connections of one stack from one UDP socket of its own.
// Its methods are safe for concurrent use.
type Client struct {
	dial  func(ctx context.Context, addr net.Addr) (*Conn, error)
	close func() error
}

// NewQUICClient returns a client of stack that dials with ALPN ALPNQUIC and
// trusts cert.
func NewQUICClient(stack Stack, cert *Cert) (*Client, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	tlsConf := cert.ClientTLS(ALPNQUIC)
	switch stack {
	case Peregrine:
		ep, err := quic.NewEndpoint(pc, nil)
		if err != nil {
			pc.Close()
			return nil, err
		}
		cfg := &quic.Config{TLSConfig: tlsConf}
		return &Client{close: ep.Close, dial: func(ctx context.Context, a net.Addr) (*Conn, error) {
			c, err := ep.Dial(ctx, a, cfg)
			if err != nil {
				return nil, err
			}
			open := func(ctx context.Context) (io.ReadWriteCloser, error) {
				return c.OpenStream(ctx)
			}
			return &Conn{close: c.Close, open: open}, nil
		}}, nil
	case QuicGo:
		tr := &quicgo.Transport{Conn: pc}
		cfg := &quicgo.Config{}
		closeAll := func() error { tr.Close(); return pc.Close() }
		return &Client{close: closeAll, dial: func(ctx context.Context, a net.Addr) (*Conn, error) {
			c, err := tr.Dial(ctx, a, tlsConf, cfg)
			if err != nil {
				return nil, err
			}
			return &Conn{close: func() error { return c.CloseWithError(0, "") },
				open: func(ctx context.Context) (io.ReadWriteCloser, error) {
					return c.OpenStreamSync(ctx)
				}}, nil
		}}, nil
	}
	pc.Close()
	return nil, fmt.Errorf("bench: unknown stack %q", stack)
}

// Dial opens a connection to a bulk server at addr; it returns once the
// handshake is complete.
func (c *Client) Dial(ctx context.Context, addr net.Addr) (*Conn, error) {
	return c.dial(ctx, addr)
}

// Close closes the client's socket and every connection dialled from it.
func (c *Client) Close() error { return c.close() }

// A Conn is a QUIC connection to a bulk server. Fetch may be called from
// several goroutines at once; each call uses a stream of its own.
type Conn struct {
	open  func(ctx context.Context) (io.ReadWriteCloser, error)
	close func() error
}

// Close closes the connection with application error code 0.
func (c *Conn) Close() error { return c.close() }

// Fetch asks for n bytes on a new stream, reads them into buf (which is only
// scratch space) and returns how many arrived. Fewer than n is an error.
func (c *Conn) Fetch(ctx context.Context, n int64, buf []byte) (int64, error) {
	s, err := c.open(ctx)
	if err != nil {
		return 0, err
	}
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(n))
	if _, err := s.Write(hdr[:]); err != nil {
		return 0, err
	}
	if err := s.Close(); err != nil {
		return 0, err
	}
	var got int64
	for {
		r, err := s.Read(buf)
		got += int64(r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return got, err
		}
	}
	if got != n {
		return got, fmt.Errorf("bench: received %d bytes of %d", got, n)
	}
	return got, nil
}
