package quic

import (
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// handleFrames processes the frames of a decrypted packet payload. It reports
// whether the packet was ack-eliciting.
func (c *Conn) handleFrames(space spaceID, pt wire.PacketType, p []byte,
	now time.Time) (bool, error) {
	// RFC 9000, Section 12.4: a packet without frames is a protocol violation.
	if len(p) == 0 {
		return false, &TransportError{Code: errCodeProtocolViolation, Reason: "empty packet"}
	}
	ackEliciting := false
	for len(p) > 0 {
		if p[0] == byte(wire.FrameTypePadding) {
			p = p[wire.ParsePadding(p):]
			continue
		}
		t, _, err := wire.ConsumeFrameType(p)
		if err != nil {
			return false, convertWireError(err)
		}
		// RFC 9000, Section 12.4: frames not permitted in the packet type.
		if !wire.FrameAllowed(t, pt) {
			return false, &TransportError{Code: errCodeProtocolViolation,
				Reason: t.String() + " frame not allowed in " + pt.String() + " packet"}
		}
		if t.IsAckEliciting() {
			ackEliciting = true
		}
		n, err := c.handleFrame(space, t, p, now)
		if err != nil {
			return false, err
		}
		if c.state.phase != phaseActive {
			return ackEliciting, nil
		}
		p = p[n:]
	}
	return ackEliciting, nil
}

// handleFrame processes one frame of type t at the start of p and returns its
// length.
func (c *Conn) handleFrame(space spaceID, t wire.FrameType, p []byte,
	now time.Time) (int, error) {
	switch {
	case t == wire.FrameTypePing:
		return 1, nil
	case t == wire.FrameTypeAck || t == wire.FrameTypeAckECN:
		f, n, err := wire.ParseAck(p, c.state.ackBuf[:0])
		if err != nil {
			return 0, convertWireError(err)
		}
		if cap(f.Ranges) >= wire.DefaultMaxAckRanges {
			c.state.ackBuf = f.Ranges[:0]
		}
		return n, c.handleAck(space, &f, now)
	case t == wire.FrameTypeCrypto:
		f, n, err := wire.ParseCrypto(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		return n, c.handleCryptoFrame(space, f.Offset, f.Data)
	case t == wire.FrameTypeConnectionClose || t == wire.FrameTypeConnectionCloseApp:
		f, n, err := wire.ParseConnectionClose(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		c.handleConnectionClose(&f, now)
		return n, nil
	case t == wire.FrameTypeHandshakeDone:
		if !c.isClient {
			// RFC 9000, Section 19.20: a server must not receive it.
			return 0, &TransportError{Code: errCodeProtocolViolation,
				Reason: "HANDSHAKE_DONE from client"}
		}
		c.confirmHandshake()
		return 1, nil
	case t == wire.FrameTypeNewToken:
		f, n, err := wire.ParseNewToken(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		_ = f // Tokens are not used yet (no Retry or 0-RTT).
		if !c.isClient {
			return 0, &TransportError{Code: errCodeProtocolViolation,
				Reason: "NEW_TOKEN from client"}
		}
		return n, nil
	case t == wire.FrameTypeDatagram || t == wire.FrameTypeDatagramLen:
		f, n, err := wire.ParseDatagram(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		return n, c.handleDatagramFrame(f.Data)
	}
	return c.handleAppFrame(t, p, now)
}

// handleAppFrame processes the frames only allowed in 0-RTT and 1-RTT packets.
func (c *Conn) handleAppFrame(t wire.FrameType, p []byte, now time.Time) (int, error) {
	ss := c.state.streams
	switch {
	case t.IsStream():
		f, n, err := wire.ParseStream(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		return n, ss.handleStream(int64(f.StreamID), f.Offset, f.Data, f.Fin)
	case t == wire.FrameTypeResetStream:
		f, n, err := wire.ParseResetStream(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		return n, ss.handleResetStream(int64(f.StreamID), f.ErrorCode, f.FinalSize)
	case t == wire.FrameTypeResetStreamAt:
		return c.handleResetStreamAtFrame(p) // see reset_stream_at.go
	case t == wire.FrameTypeStopSending:
		f, n, err := wire.ParseStopSending(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		return n, ss.handleStopSending(int64(f.StreamID), f.ErrorCode)
	case t == wire.FrameTypeMaxData:
		f, n, err := wire.ParseMaxData(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		ss.handleMaxData(f.Max)
		return n, nil
	case t == wire.FrameTypeMaxStreamData:
		f, n, err := wire.ParseMaxStreamData(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		return n, ss.handleMaxStreamData(int64(f.StreamID), f.Max)
	case t == wire.FrameTypeMaxStreamsBidi || t == wire.FrameTypeMaxStreamsUni:
		f, n, err := wire.ParseMaxStreams(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		return n, ss.handleMaxStreams(f.Bidi, f.Max)
	case t == wire.FrameTypeDataBlocked:
		f, n, err := wire.ParseDataBlocked(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		ss.handleDataBlocked(f.Limit)
		return n, nil
	case t == wire.FrameTypeStreamDataBlocked:
		f, n, err := wire.ParseStreamDataBlocked(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		return n, ss.handleStreamDataBlocked(int64(f.StreamID), f.Limit)
	case t == wire.FrameTypeStreamsBlockedBidi || t == wire.FrameTypeStreamsBlockedUni:
		f, n, err := wire.ParseStreamsBlocked(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		return n, ss.handleStreamsBlocked(f.Bidi, f.Limit)
	}
	return c.handleIDFrame(t, p, now)
}

// handleIDFrame processes connection ID and path frames.
func (c *Conn) handleIDFrame(t wire.FrameType, p []byte, now time.Time) (int, error) {
	s := &c.state
	switch t {
	case wire.FrameTypeNewConnectionID:
		f, n, err := wire.ParseNewConnectionID(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		if err := s.ids.handleNewConnectionID(f.SequenceNumber, f.RetirePriorTo,
			f.ConnectionID, f.StatelessResetToken); err != nil {
			return 0, err
		}
		c.registerResetToken(f.StatelessResetToken)
		return n, nil
	case wire.FrameTypeRetireConnectionID:
		f, n, err := wire.ParseRetireConnectionID(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		id, err := s.ids.handleRetireConnectionID(f.SequenceNumber, s.curDCID)
		if err != nil {
			return 0, err
		}
		if id != nil {
			c.ep.removeID(id, c)
		}
		return n, nil
	case wire.FrameTypePathChallenge:
		f, n, err := wire.ParsePathChallenge(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		// Only the newest challenge is answered; earlier ones are replaced.
		s.pathResponse = f.Data
		s.pathResponsePen = true
		return n, nil
	case wire.FrameTypePathResponse:
		_, n, err := wire.ParsePathResponse(p)
		if err != nil {
			return 0, convertWireError(err)
		}
		// We never send PATH_CHALLENGE, so any response is unsolicited; RFC
		// 9000, Section 19.18 allows ignoring it.
		return n, nil
	}
	return 0, &TransportError{Code: errCodeFrameEncoding, Reason: "unexpected frame " + t.String()}
}

// handleDatagramFrame queues a received DATAGRAM frame (RFC 9221).
func (c *Conn) handleDatagramFrame(data []byte) error {
	s := &c.state
	// RFC 9221, Section 3: DATAGRAM frames we did not advertise, or larger
	// than we advertised, are a PROTOCOL_VIOLATION.
	if s.dgramMaxLocal == 0 || uint64(len(data)) > s.dgramMaxLocal {
		return &TransportError{Code: errCodeProtocolViolation, Reason: "unexpected DATAGRAM"}
	}
	cp := append([]byte(nil), data...)
	select {
	case c.dgramIn <- cp:
	default:
		c.stats.datagramsDropped.Add(1)
	}
	return nil
}
