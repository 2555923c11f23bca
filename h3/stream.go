package h3

import (
	"context"
	"io"
)

// A Stream is the request stream of a CONNECT or extended CONNECT request
// used as a two-way byte stream after a 2xx response (RFC 9114, Section 4.4;
// RFC 9220): Read returns the peer's DATA frame payloads and Write sends
// DATA frames. Capsules (RFC 9297, Section 3) are carried in these bytes;
// see CapsuleReader and AppendCapsule. HTTP datagrams of the request are
// sent and received with SendDatagram and ReceiveDatagram.
//
// Read may be called concurrently with Write; neither may be called
// concurrently with itself. The datagram methods are safe for concurrent
// use.
type Stream struct {
	c    *conn
	qs   quicStream
	r    io.Reader
	flow *datagramFlow
}

// StreamID returns the QUIC stream ID of the request.
func (s *Stream) StreamID() int64 { return s.qs.ID() }

// Read reads data the peer sent on the stream.
func (s *Stream) Read(p []byte) (int, error) { return s.r.Read(p) }

// Write sends p as a DATA frame.
func (s *Stream) Write(p []byte) (int, error) {
	if err := writeDataFrame(s.qs, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close closes the send side of the stream (a QUIC FIN); reading continues.
func (s *Stream) Close() error { return s.qs.Close() }

// CancelRead abandons the receive side with code (STOP_SENDING).
func (s *Stream) CancelRead(code ErrCode) { s.qs.CancelRead(uint64(code)) }

// CancelWrite abandons the send side with code (RESET_STREAM).
func (s *Stream) CancelWrite(code ErrCode) { s.qs.CancelWrite(uint64(code)) }

// Context is done when both directions of the stream have ended or the
// connection has ended.
func (s *Stream) Context() context.Context { return s.qs.Context() }

// SendDatagram sends p as an HTTP datagram of this request (RFC 9297,
// Section 2.1). It returns ErrNoDatagrams unless both peers sent
// SETTINGS_H3_DATAGRAM=1; right after the connection opened it may wait for
// the peer's SETTINGS.
func (s *Stream) SendDatagram(p []byte) error {
	return s.c.sendDatagram(s.qs.Context(), s.qs.ID(), p)
}

// ReceiveDatagram returns the next HTTP datagram of this request, waiting
// until one arrives, ctx ends or the stream ends.
func (s *Stream) ReceiveDatagram(ctx context.Context) ([]byte, error) {
	if s.flow == nil {
		return nil, ErrNoDatagrams
	}
	return s.flow.receive(ctx, s.qs.Context().Done())
}

// DatagramsDropped returns how many HTTP datagrams of this request were
// dropped because its receive queue was full.
func (s *Stream) DatagramsDropped() uint64 {
	if s.flow == nil {
		return 0
	}
	return s.flow.dropped.Load()
}
