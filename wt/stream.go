package wt

import (
	"context"
	"time"

	"github.com/peregrine-h3/peregrine/quic"
)

// A Stream is a WebTransport stream of a session: bidirectional, or
// unidirectional, in which case only Read (streams from AcceptUniStream) or
// only Write (streams from OpenUniStream) works. The stream signal and
// session ID have already been sent or consumed. Errors with a WebTransport
// application code are *StreamError values.
//
// Read and Write may be called concurrently with each other and with the
// other methods; concurrent calls of Read (or of Write) interleave in no
// defined order.
type Stream struct {
	qs   *quic.Stream
	sess *Session
}

// StreamID returns the QUIC stream ID.
func (s *Stream) StreamID() int64 { return s.qs.ID() }

// Session returns the session the stream belongs to.
func (s *Stream) Session() *Session { return s.sess }

// Read reads data from the stream.
func (s *Stream) Read(p []byte) (int, error) {
	n, err := s.qs.Read(p)
	if err != nil {
		err = mapStreamError(err)
	}
	return n, err
}

// Write writes data to the stream.
func (s *Stream) Write(p []byte) (int, error) {
	n, err := s.qs.Write(p)
	if err != nil {
		err = mapStreamError(err)
	}
	return n, err
}

// Close closes the send side of the stream (a FIN); reading continues.
func (s *Stream) Close() error { return s.qs.Close() }

// CancelRead abandons the receive side with a WebTransport application
// error code (STOP_SENDING with the mapped HTTP/3 code).
func (s *Stream) CancelRead(code uint32) { s.qs.CancelRead(httpCode(code)) }

// CancelWrite abandons the send side with a WebTransport application error
// code (RESET_STREAM with the mapped HTTP/3 code).
func (s *Stream) CancelWrite(code uint32) { s.qs.CancelWrite(httpCode(code)) }

// SetReadDeadline sets the deadline for Read.
func (s *Stream) SetReadDeadline(t time.Time) error { return s.qs.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline for Write.
func (s *Stream) SetWriteDeadline(t time.Time) error { return s.qs.SetWriteDeadline(t) }

// Context is done when both directions of the stream have ended.
func (s *Stream) Context() context.Context { return s.qs.Context() }

// gone resets both directions because the session ended
// (draft-ietf-webtrans-http3, Section 6).
func (s *Stream) gone() {
	s.qs.CancelWrite(errCodeSessionGone)
	s.qs.CancelRead(errCodeSessionGone)
}
