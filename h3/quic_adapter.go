package h3

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"time"

	"github.com/peregrine-h3/peregrine/quic"
)

// quicAdapter presents a *quic.Conn as a quicConn; the only work is turning
// the concrete *quic.Stream results into the interface.
type quicAdapter struct{ *quic.Conn }

func (a quicAdapter) OpenStream(ctx context.Context) (quicStream, error) {
	return streamOrNil(a.Conn.OpenStream(ctx))
}

func (a quicAdapter) OpenUniStream(ctx context.Context) (quicStream, error) {
	return streamOrNil(a.Conn.OpenUniStream(ctx))
}

func (a quicAdapter) AcceptStream(ctx context.Context) (quicStream, error) {
	return streamOrNil(a.Conn.AcceptStream(ctx))
}

func (a quicAdapter) AcceptUniStream(ctx context.Context) (quicStream, error) {
	return streamOrNil(a.Conn.AcceptUniStream(ctx))
}

func (a quicAdapter) SmoothedRTT() time.Duration { return a.Conn.Stats().SmoothedRTT }

// streamOrNil keeps a nil *quic.Stream from becoming a non-nil interface.
func streamOrNil(s *quic.Stream, err error) (quicStream, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}

func init() {
	streamResetCode = func(err error) (uint64, bool) {
		var se *quic.StreamError
		if errors.As(err, &se) {
			return se.Code, true
		}
		var c interface{ ResetCode() uint64 }
		if errors.As(err, &c) {
			return c.ResetCode(), true
		}
		return 0, false
	}
}

// ServeConn serves HTTP/3 on one established QUIC connection (its ALPN must
// be "h3") until the connection ends, and returns why it ended.
func (s *Server) ServeConn(conn *quic.Conn) error {
	return s.serveQUIC(quicAdapter{conn})
}

// Serve accepts connections on ep and serves each with ServeConn until
// Accept fails (for example because ep was closed) or the server is shut
// down; it returns ErrServerClosed after Shutdown or Close. From then on,
// until ep is closed, connections that complete a handshake on ep are closed
// at once with H3_NO_ERROR, so that clients retrying after a GOAWAY fail fast
// instead of waiting for a server that no longer answers. The endpoint's
// Config must set TLSConfig.NextProtos to include "h3" and should set
// EnableDatagrams for HTTP datagrams.
func (s *Server) Serve(ep *quic.Endpoint) error {
	ctx := s.baseContext()
	for {
		c, err := ep.Accept(ctx)
		if err != nil {
			if ctx.Err() != nil {
				go refuseConns(ep)
				return ErrServerClosed
			}
			return err
		}
		go s.ServeConn(c)
	}
}

// refuseConns closes every connection accepted on ep until ep is closed.
func refuseConns(ep *quic.Endpoint) {
	for {
		c, err := ep.Accept(context.Background())
		if err != nil {
			return
		}
		c.CloseWithError(uint64(ErrCodeNoError), "server shutting down")
	}
}

// dialQUIC is the Transport's default dialer.
func (t *Transport) dialQUIC(ctx context.Context, addr string, tlsConf *tls.Config) (quicConn,
	error) {
	var cfg quic.Config
	if t.QUICConfig != nil {
		cfg = *t.QUICConfig
	}
	cfg.TLSConfig = tlsConf
	var (
		c   *quic.Conn
		err error
	)
	if t.Dial != nil {
		c, err = t.Dial(ctx, addr, &cfg)
	} else {
		c, err = quic.Dial(ctx, "udp", addr, &cfg)
	}
	if err != nil {
		return nil, err
	}
	return quicAdapter{c}, nil
}

// serverName returns the host part of an authority for TLS.
func serverName(authority string) string {
	host, _, err := net.SplitHostPort(authority)
	if err != nil {
		return authority
	}
	return host
}
