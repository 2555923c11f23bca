package quic

// maxCryptoBuffer caps the out-of-order CRYPTO data buffered per encryption
// level. Data beyond it closes the connection with CRYPTO_BUFFER_EXCEEDED
// (RFC 9000, Section 7.5).
const maxCryptoBuffer = 64 << 10

// cryptoStream is the CRYPTO frame stream of one encryption level: reassembly of
// received handshake bytes and the send buffer with its retransmission state.
// It is owned by the connection's goroutine.
type cryptoStream struct {
	// Receive side.
	recvNext uint64   // offset of the next byte handed to TLS
	recvBuf  []byte   // bytes from recvNext on, len is the buffered extent
	recvGot  rangeSet // received ranges at or above recvNext

	// Send side. sendBuf holds every byte written at this level (handshake
	// messages are small, and a Handshake level ends at confirmation).
	sendBuf     []byte
	sendPending rangeSet // ranges to (re)transmit
	sendAcked   rangeSet
}

// errCryptoBufferExceeded reports out-of-order CRYPTO data past the buffer cap.
var errCryptoBufferExceeded = &TransportError{
	Code:   errCodeCryptoBufferExceeded,
	Reason: "CRYPTO data too far ahead",
}

// receive records CRYPTO frame data at offset off. It returns the contiguous
// bytes now ready for TLS (valid until the next call) or an error.
func (s *cryptoStream) receive(off uint64, data []byte) ([]byte, error) {
	end := off + uint64(len(data))
	if end <= s.recvNext {
		return nil, nil // duplicate
	}
	if off < s.recvNext {
		data = data[s.recvNext-off:]
		off = s.recvNext
	}
	// RFC 9000, Section 7.5: buffer at most maxCryptoBuffer bytes ahead.
	if end-s.recvNext > maxCryptoBuffer {
		return nil, errCryptoBufferExceeded
	}
	rel := int(off - s.recvNext)
	if need := rel + len(data); need > len(s.recvBuf) {
		if need > cap(s.recvBuf) {
			nb := make([]byte, need, max(need, 2*cap(s.recvBuf)))
			copy(nb, s.recvBuf)
			s.recvBuf = nb
		} else {
			s.recvBuf = s.recvBuf[:need]
		}
	}
	copy(s.recvBuf[rel:], data)
	s.recvGot.add(off, end)
	ready := s.recvGot.prefixEnd(s.recvNext) - s.recvNext
	if ready == 0 {
		return nil, nil
	}
	out := s.recvBuf[:ready]
	return out, nil
}

// consume drops the n bytes returned by receive once TLS has taken them.
func (s *cryptoStream) consume(n int) {
	if n == 0 {
		return
	}
	s.recvGot.sub(s.recvNext, s.recvNext+uint64(n))
	s.recvNext += uint64(n)
	rest := copy(s.recvBuf, s.recvBuf[n:])
	s.recvBuf = s.recvBuf[:rest]
}

// write queues handshake bytes from TLS for sending.
func (s *cryptoStream) write(b []byte) {
	off := uint64(len(s.sendBuf))
	s.sendBuf = append(s.sendBuf, b...)
	s.sendPending.add(off, uint64(len(s.sendBuf)))
}

// hasPending reports whether CRYPTO data waits to be sent.
func (s *cryptoStream) hasPending() bool { return len(s.sendPending) > 0 }

// next returns the next pending range of at most n bytes and marks it sent.
func (s *cryptoStream) next(n int) (off uint64, data []byte, ok bool) {
	if len(s.sendPending) == 0 || n <= 0 {
		return 0, nil, false
	}
	r := s.sendPending[0]
	end := min(r.end, r.start+uint64(n))
	s.sendPending.sub(r.start, end)
	return r.start, s.sendBuf[r.start:end], true
}

// onAcked records that [off, off+n) reached the peer.
func (s *cryptoStream) onAcked(off, n uint64) {
	s.sendAcked.add(off, off+n)
}

// onLost queues the unacknowledged part of [off, off+n) again.
func (s *cryptoStream) onLost(off, n uint64) {
	end := off + n
	for o := off; o < end; {
		if a := s.sendAcked.prefixEnd(o); a > o {
			o = a
			continue
		}
		// Find how far the unacked part extends.
		stop := end
		for _, r := range s.sendAcked {
			if r.start > o && r.start < stop {
				stop = r.start
			}
		}
		s.sendPending.add(o, stop)
		o = stop
	}
}

// requeueUnacked queues every sent but unacknowledged byte again; it is used
// for PTO probes in the handshake spaces.
func (s *cryptoStream) requeueUnacked() {
	s.onLost(0, uint64(len(s.sendBuf)))
}
