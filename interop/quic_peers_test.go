package interop

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	quicgo "github.com/quic-go/quic-go"

	"github.com/peregrine-h3/peregrine/quic"
)

const alpnTest = "peregrine-interop"

// keyUpdateInterval makes our side initiate a 1-RTT key update every so many
// packets in every QUIC interop test, so that a 10 MB transfer crosses several
// (RFC 9001, Section 6). quic-go answers them and, at its own interval of
// 100,000 packets, never initiates one here.
const keyUpdateInterval = 1000

// keyUpdates returns how many key updates our side of c saw, or -1 when c is
// quic-go's.
func keyUpdates(c peerConn) int {
	if o, ok := c.(ourConn); ok {
		return int(o.c.Stats().KeyUpdates)
	}
	return -1
}

// peerConn is what the shared test logic needs of a QUIC connection, implemented once
// for our quic.Conn and once for quic-go's.
type peerConn interface {
	openStream(ctx context.Context) (io.ReadWriteCloser, error)
	acceptStream(ctx context.Context) (io.ReadWriteCloser, error)
	sendDatagram(b []byte) error
	receiveDatagram(ctx context.Context) ([]byte, error)
	closeWithError(code uint64, reason string) error
	done() <-chan struct{}
}

// appCloseCode reports the application error code and whether the peer sent it, if err
// is an application close from either stack.
func appCloseCode(err error) (code uint64, remote, ok bool) {
	var ours *quic.ApplicationError
	if errors.As(err, &ours) {
		return ours.Code, ours.Remote, true
	}
	var theirs *quicgo.ApplicationError
	if errors.As(err, &theirs) {
		return uint64(theirs.ErrorCode), theirs.Remote, true
	}
	return 0, false, false
}

type ourConn struct{ c *quic.Conn }

func (o ourConn) openStream(ctx context.Context) (io.ReadWriteCloser, error) {
	return o.c.OpenStream(ctx)
}

func (o ourConn) acceptStream(ctx context.Context) (io.ReadWriteCloser, error) {
	return o.c.AcceptStream(ctx)
}

func (o ourConn) sendDatagram(b []byte) error { return o.c.SendDatagram(b) }

func (o ourConn) receiveDatagram(ctx context.Context) ([]byte, error) {
	return o.c.ReceiveDatagram(ctx)
}

func (o ourConn) closeWithError(code uint64, reason string) error {
	return o.c.CloseWithError(code, reason)
}

func (o ourConn) done() <-chan struct{} { return o.c.Context().Done() }

type goConn struct{ c *quicgo.Conn }

func (g goConn) openStream(ctx context.Context) (io.ReadWriteCloser, error) {
	return g.c.OpenStreamSync(ctx)
}

func (g goConn) acceptStream(ctx context.Context) (io.ReadWriteCloser, error) {
	return g.c.AcceptStream(ctx)
}

func (g goConn) sendDatagram(b []byte) error { return g.c.SendDatagram(b) }

func (g goConn) receiveDatagram(ctx context.Context) ([]byte, error) {
	return g.c.ReceiveDatagram(ctx)
}

func (g goConn) closeWithError(code uint64, reason string) error {
	return g.c.CloseWithError(quicgo.ApplicationErrorCode(code), reason)
}

func (g goConn) done() <-chan struct{} { return g.c.Context().Done() }

// peerServer is a listening server of either stack.
type peerServer struct {
	addr   net.Addr
	accept func(ctx context.Context) (peerConn, error)
}

func listenOurs(t *testing.T) peerServer {
	srvTLS, _ := tlsConfigs(t, alpnTest)
	ep, err := quic.Listen("udp", "127.0.0.1:0",
		&quic.Config{TLSConfig: srvTLS, EnableDatagrams: true,
			KeyUpdateInterval: keyUpdateInterval})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return peerServer{addr: ep.LocalAddr(), accept: func(ctx context.Context) (peerConn, error) {
		c, err := ep.Accept(ctx)
		if err != nil {
			return nil, err
		}
		return ourConn{c}, nil
	}}
}

func listenQuicGo(t *testing.T) peerServer {
	srvTLS, _ := tlsConfigs(t, alpnTest)
	ln, err := quicgo.ListenAddr("127.0.0.1:0", srvTLS, &quicgo.Config{EnableDatagrams: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return peerServer{addr: ln.Addr(), accept: func(ctx context.Context) (peerConn, error) {
		c, err := ln.Accept(ctx)
		if err != nil {
			return nil, err
		}
		return goConn{c}, nil
	}}
}

func dialOurs(ctx context.Context, t *testing.T, addr net.Addr) (peerConn, error) {
	_, cliTLS := tlsConfigs(t, alpnTest)
	c, err := quic.Dial(ctx, "udp", addr.String(),
		&quic.Config{TLSConfig: cliTLS, EnableDatagrams: true,
			KeyUpdateInterval: keyUpdateInterval})
	if err != nil {
		return nil, err
	}
	return ourConn{c}, nil
}

func dialQuicGo(ctx context.Context, t *testing.T, addr net.Addr) (peerConn, error) {
	_, cliTLS := tlsConfigs(t, alpnTest)
	c, err := quicgo.DialAddr(ctx, addr.String(), cliTLS, &quicgo.Config{EnableDatagrams: true})
	if err != nil {
		return nil, err
	}
	return goConn{c}, nil
}
