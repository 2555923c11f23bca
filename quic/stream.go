package quic

import (
	"context"
	"time"
)

// A Stream is a QUIC stream. Read and Write may be called concurrently with each
// other and with the other methods; concurrent calls of Read (or of Write) are
// serialised.
type Stream struct {
	id  int64
	ctx context.Context
}

// ID returns the stream ID (RFC 9000, Section 2.1).
func (s *Stream) ID() int64 { return s.id }

// Read reads received data. It returns io.EOF after the peer's FIN.
func (s *Stream) Read(p []byte) (int, error) { return 0, errWriteOnly }

// Write writes data, blocking while the send buffer is full.
func (s *Stream) Write(p []byte) (int, error) { return 0, errReadOnly }

// Close closes the send side with a FIN.
func (s *Stream) Close() error { return nil }

// CancelRead abandons the receive side, sending STOP_SENDING with code.
func (s *Stream) CancelRead(code uint64) {}

// CancelWrite abandons the send side, sending RESET_STREAM with code.
func (s *Stream) CancelWrite(code uint64) {}

// SetDeadline sets the read and write deadlines.
func (s *Stream) SetDeadline(t time.Time) error { return nil }

// SetReadDeadline sets the read deadline.
func (s *Stream) SetReadDeadline(t time.Time) error { return nil }

// SetWriteDeadline sets the write deadline.
func (s *Stream) SetWriteDeadline(t time.Time) error { return nil }

// Context returns a context that is done when both directions have ended or the
// connection ends.
func (s *Stream) Context() context.Context { return s.ctx }
