package quic

// maxStreamGaps caps the number of disjoint ranges of out-of-order data a stream
// tracks. A peer that fragments the window more than this closes the connection
// with INTERNAL_ERROR: the data of an acknowledged packet cannot be dropped.
const maxStreamGaps = 256

// recvState is the receiving part of a stream (RFC 9000, Section 3.2): the
// reassembly buffer, flow control, the final size, and reset or stop-sending
// state. It is guarded by the Stream's mutex.
type recvState struct {
	buf      chunkQueue // received bytes from readOff on
	readOff  uint64     // bytes consumed by the application
	got      spanSet    // received ranges; the first covers readOff once readable
	highest  uint64     // highest offset received, counted in connection flow control
	credited uint64     // offset up to which connection credit was returned

	win       recvWindow
	finalSize uint64 // valid when finalKnown
	resetCode uint64 // valid when resetRecvd
	stopCode  uint64 // valid when stopped
	// reliable is valid when resetRecvd: the bytes still delivered before Read
	// reports the reset (RESET_STREAM_AT); 0 for RESET_STREAM.
	reliable uint64

	// The flags come last, together, so that they share one word.
	sendLimit   bool // MAX_STREAM_DATA lost or due: send the current limit
	finalKnown  bool
	resetRecvd  bool // "Reset Recvd": the peer abandoned the stream
	stopped     bool // CancelRead: data is discarded
	stopPending bool // STOP_SENDING to be sent (again)
}

// onData records a STREAM frame. It returns by how much the highest received
// offset grew (for connection-level flow control) or a protocol error.
func (r *recvState) onData(id int64, off uint64, data []byte, fin bool) (uint64, error) {
	end := off + uint64(len(data))
	if err := r.checkFinal(id, end, fin); err != nil {
		return 0, err
	}
	// RFC 9000, Section 4.1: a receiver MUST close the connection with
	// FLOW_CONTROL_ERROR when the sender exceeds the advertised limit.
	if end > r.win.limit {
		return 0, streamErrorf(errCodeFlowControl,
			"stream %d: data to offset %d beyond limit %d", id, end, r.win.limit)
	}
	if fin {
		r.finalKnown, r.finalSize = true, end
	}
	var grew uint64
	if end > r.highest {
		grew = end - r.highest
		r.highest = end
	}
	if r.resetRecvd && end > r.reliable {
		// After RESET_STREAM_AT only the reliable part is still delivered.
		if off >= r.reliable {
			return grew, nil
		}
		data, end = data[:r.reliable-off], r.reliable
	}
	if r.stopped || end <= r.readOff {
		return grew, nil
	}
	if off < r.readOff {
		data = data[r.readOff-off:]
		off = r.readOff
	}
	r.got.add(off, end)
	if len(r.got) > maxStreamGaps {
		return grew, streamErrorf(errCodeInternal,
			"stream %d: more than %d gaps in received data", id, maxStreamGaps)
	}
	r.buf.write(off, data)
	return grew, nil
}

// checkFinal enforces the final size rules of RFC 9000, Section 4.5 for data
// ending at end.
func (r *recvState) checkFinal(id int64, end uint64, fin bool) error {
	switch {
	case r.finalKnown && end > r.finalSize:
		return streamErrorf(errCodeFinalSize,
			"stream %d: data to offset %d beyond final size %d", id, end, r.finalSize)
	case r.finalKnown && fin && end != r.finalSize:
		return streamErrorf(errCodeFinalSize,
			"stream %d: final size changed from %d to %d", id, r.finalSize, end)
	case fin && end < r.highest:
		return streamErrorf(errCodeFinalSize,
			"stream %d: final size %d below received offset %d", id, end, r.highest)
	}
	return nil
}

// onReset records a RESET_STREAM frame, or a RESET_STREAM_AT frame whose first
// reliable bytes still reach the reader before the reset does (a RESET_STREAM
// is one with reliable 0). It returns by how much the highest received offset
// grew or a protocol error.
func (r *recvState) onReset(id int64, code, finalSize, reliable uint64) (uint64, error) {
	if err := r.checkFinal(id, finalSize, true); err != nil {
		return 0, err
	}
	if finalSize > r.win.limit {
		return 0, streamErrorf(errCodeFlowControl,
			"stream %d: final size %d beyond limit %d", id, finalSize, r.win.limit)
	}
	// The reader already reached a FIN: it saw the clean end, and a reset
	// changes nothing. Without a FIN, a reset surfaces even when every byte
	// was read, since the stream did not end cleanly.
	finRead := r.finalKnown && !r.resetRecvd && r.readOff == r.finalSize
	r.finalKnown, r.finalSize = true, finalSize
	grew := finalSize - r.highest
	r.highest = finalSize
	switch {
	case finRead:
		return grew, nil
	case r.resetRecvd:
		// draft-ietf-quic-reliable-stream-reset, Section 4: a later reset can
		// lower the reliable size but not raise it.
		r.reliable = min(r.reliable, reliable)
	default:
		r.resetRecvd, r.resetCode, r.reliable = true, code, reliable
		r.stopPending = false
	}
	if r.readOff >= r.reliable {
		r.buf.free(r.readOff)
	}
	return grew, nil
}

// stop abandons the receive side (CancelRead): buffered data is freed and
// STOP_SENDING is queued unless the peer already finished or reset the stream.
// It reports false if the receive side had already ended.
func (r *recvState) stop(code uint64) bool {
	if r.resetRecvd && !r.stopped && r.readOff < r.reliable {
		// The reliable part of a RESET_STREAM_AT is not wanted any more: drop
		// it; the peer already reset, so no STOP_SENDING is needed.
		r.stopped, r.stopCode = true, code
		r.buf.free(r.readOff)
		r.got = r.got[:0]
		return true
	}
	if r.stopped || r.resetRecvd || r.finalKnown && r.readOff == r.finalSize {
		return false
	}
	r.stopped, r.stopCode = true, code
	r.stopPending = !r.allReceived()
	r.buf.free(r.readOff)
	r.got = r.got[:0]
	return true
}

// allReceived reports whether every byte up to the final size arrived.
func (r *recvState) allReceived() bool {
	return r.finalKnown && r.got.contiguous(r.readOff) >= r.finalSize
}

// readable returns the number of contiguous bytes ready at readOff.
func (r *recvState) readable() uint64 {
	if r.stopped {
		return 0
	}
	end := r.got.contiguous(r.readOff)
	if r.resetRecvd {
		end = min(end, max(r.reliable, r.readOff))
	}
	return end - r.readOff
}

// read copies ready bytes into p and returns the count.
func (r *recvState) read(p []byte) int {
	n := int(min(uint64(len(p)), r.readable()))
	if n == 0 {
		return 0
	}
	r.buf.read(r.readOff, p[:n])
	r.readOff += uint64(n)
	if r.finalKnown && r.readOff == r.finalSize || r.resetRecvd && r.readOff >= r.reliable {
		r.buf.free(r.readOff)
	} else {
		r.buf.release(r.readOff)
	}
	return n
}

// eof reports whether every byte was read and the peer finished the stream.
func (r *recvState) eof() bool {
	return r.finalKnown && r.readOff == r.finalSize && !r.resetRecvd && !r.stopped
}

// creditTo returns the offset up to which the connection may count the stream's
// bytes as consumed: what was read, or everything received once data is
// discarded after a reset or CancelRead (RFC 9000, Section 4.5).
func (r *recvState) creditTo() uint64 {
	if r.resetRecvd || r.stopped {
		return r.highest
	}
	return r.readOff
}

// takeCredit returns the connection-level credit not yet returned.
func (r *recvState) takeCredit() uint64 {
	to := r.creditTo()
	if to <= r.credited {
		return 0
	}
	n := to - r.credited
	r.credited = to
	return n
}

// wantLimitUpdate reports whether a MAX_STREAM_DATA frame should be sent: the
// reader consumed half the window (or the last one was lost) and more data may
// still come (RFC 9000, Section 4.2).
func (r *recvState) wantLimitUpdate() bool {
	if r.finalKnown || r.resetRecvd || r.stopped {
		return false
	}
	return r.sendLimit || r.win.wantUpdate(r.readOff)
}

// done reports whether the receive side reached a terminal state from the
// connection's point of view: all data read, reset (once the reliable part of a
// RESET_STREAM_AT was read), or abandoned with the final size known.
func (r *recvState) done() bool {
	if r.resetRecvd {
		return r.stopped || r.readOff >= r.reliable
	}
	return r.finalKnown && (r.stopped || r.readOff == r.finalSize)
}
