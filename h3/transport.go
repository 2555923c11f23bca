package h3

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"time"
)

// quicStream is the part of *quic.Stream that h3 uses. *quic.Stream satisfies
// it as is.
type quicStream interface {
	ID() int64
	io.Reader
	io.Writer
	Close() error
	CancelRead(code uint64)
	CancelWrite(code uint64)
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
	Context() context.Context
}

// quicConn is the part of *quic.Conn that h3 uses. The stream-returning
// methods return the interface, so *quic.Conn needs a one-line adapter per
// method (see the adapter file that lands with package quic).
type quicConn interface {
	OpenStream(ctx context.Context) (quicStream, error)
	OpenUniStream(ctx context.Context) (quicStream, error)
	AcceptStream(ctx context.Context) (quicStream, error)
	AcceptUniStream(ctx context.Context) (quicStream, error)
	SendDatagram(b []byte) error
	ReceiveDatagram(ctx context.Context) ([]byte, error)
	MaxDatagramSize() int
	CloseWithError(code uint64, reason string) error
	Context() context.Context
	ConnectionState() tls.ConnectionState
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
	// SmoothedRTT is the connection's RTT estimate (quic.Conn.Stats).
	SmoothedRTT() time.Duration
}

// Unidirectional stream types (RFC 9114, Section 6.2; RFC 9204, Section 4.2).
const (
	streamTypeControl      = 0x00
	streamTypePush         = 0x01
	streamTypeQPACKEncoder = 0x02
	streamTypeQPACKDecoder = 0x03
)

// isClientBidi reports whether id is a client-initiated bidirectional stream
// (RFC 9000, Section 2.1).
func isClientBidi(id int64) bool { return id&0x3 == 0 }
