package quic

import "github.com/peregrine-h3/peregrine/quic/internal/wire"

// This file holds the receiving side of RESET_STREAM_AT
// (draft-ietf-quic-reliable-stream-reset): a reset that still promises the
// first Reliable Size bytes of the stream. The stream state lives in
// recvState (stream_recv.go), which treats a RESET_STREAM as a RESET_STREAM_AT
// with a reliable size of 0.

// handleResetStreamAtFrame parses and processes a RESET_STREAM_AT frame at the
// start of p and returns its length.
func (c *Conn) handleResetStreamAtFrame(p []byte) (int, error) {
	// draft-ietf-quic-reliable-stream-reset, Section 3: a peer MUST NOT send
	// the frame unless we advertised reset_stream_at. Without it the type is
	// unknown to us, a FRAME_ENCODING_ERROR (RFC 9000, Section 12.4).
	if !c.cfg.EnableResetStreamAt {
		return 0, &TransportError{Code: errCodeFrameEncoding,
			Reason: "RESET_STREAM_AT without reset_stream_at"}
	}
	// Reliable Size above Final Size is a FRAME_ENCODING_ERROR (Section 4),
	// which the parser reports.
	f, n, err := wire.ParseResetStreamAt(p)
	if err != nil {
		return 0, convertWireError(err)
	}
	return n, c.state.streams.handleResetStreamAt(int64(f.StreamID), f.ErrorCode,
		f.FinalSize, f.ReliableSize)
}

// handleResetStreamAt processes a RESET_STREAM_AT frame: like RESET_STREAM
// (RFC 9000, Section 19.4), with the same stream and final size rules, except
// that Read still returns the first reliable bytes before the reset.
func (ss *streamsState) handleResetStreamAt(id int64, code, finalSize, reliable uint64) error {
	s, err := ss.recvStreamFor(id, "RESET_STREAM_AT")
	if s == nil {
		return err
	}
	return ss.applyReset(s, id, code, finalSize, reliable)
}

// applyReset records a reset of the receiving part of s, with reliable the
// number of bytes still delivered (0 for RESET_STREAM), and updates connection
// flow control.
func (ss *streamsState) applyReset(s *Stream, id int64, code, finalSize, reliable uint64) error {
	s.mu.Lock()
	grew, err := s.recv.onReset(id, code, finalSize, reliable)
	credit := s.recv.takeCredit()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := ss.countReceived(grew); err != nil {
		return err
	}
	signal(s.readGate)
	ss.afterRead(s, credit, false)
	ss.maybeRemove(s)
	return nil
}
