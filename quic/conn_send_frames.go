package quic

import (
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// appendFrames fills the payload of one packet of space. b has length 0 and
// the packet's room as capacity. The frames are recorded in rec.
func (c *Conn) appendFrames(space spaceID, b []byte, rec *sentPacket,
	now time.Time) []byte {
	s := &c.state
	sp := &s.spaces[space]
	room := cap(b)
	if s.phase == phaseClosing {
		return c.appendCloseFrame(space, b, room)
	}
	probe := s.loss.probes[space] > 0
	mayElicit := probe || c.congestionAllows(now)

	// Reserve room for an ACK frame; it is written last.
	ackSize := 0
	if sp.recv.Pending() {
		ackSize = min(c.ackFrameSize(sp, now), room/2)
	}
	limit := room - ackSize
	if mayElicit {
		b = c.appendControlFrames(space, b, limit, rec)
		b = c.appendCryptoFrames(sp, b, limit, rec)
		if space == appDataSpace {
			b = c.appendDatagrams(b, limit, rec)
			n0 := len(b)
			var recs []streamFrameRecord
			b, recs = s.streams.appendFrames(b, limit-len(b), now, c.smoothedRTT(),
				rec.streams[:0])
			rec.streams = recs
			if len(b) > n0 {
				rec.ackEliciting = true
			}
		}
		if probe && !rec.ackEliciting && len(b) < limit {
			// RFC 9002, Section 6.2.4: a probe must be ack-eliciting.
			b = append(b, byte(wire.FrameTypePing))
			rec.frames = append(rec.frames, sentFrame{kind: sentPing})
			rec.ackEliciting = true
		}
	}
	if rec.ackEliciting && probe {
		s.loss.probes[space]--
	}
	if ackSize > 0 && (rec.ackEliciting || sp.recv.ShouldSendNow(now)) {
		b = c.appendAck(sp, b, room, now, rec)
	}
	return b
}

// ackFrame returns the ACK frame for sp, its ranges in the loss state's
// scratch slice.
func (c *Conn) ackFrame(sp *pnSpace, now time.Time) wire.AckFrame {
	l := &c.state.loss
	wr := l.wireRanges[:0]
	for _, r := range sp.recv.Ranges() {
		wr = append(wr, wire.AckRange{Smallest: wire.PacketNumber(r.Smallest),
			Largest: wire.PacketNumber(r.Largest)})
	}
	l.wireRanges = wr
	return wire.AckFrame{Ranges: wr,
		AckDelay: wire.EncodeAckDelay(sp.recv.AckDelay(now), ackDelayExponent)}
}

// ackFrameSize returns the size of the ACK frame for sp.
func (c *Conn) ackFrameSize(sp *pnSpace, now time.Time) int {
	f := c.ackFrame(sp, now)
	return f.Size()
}

// appendAck appends the ACK frame of sp, dropping the oldest ranges if it does
// not fit in the packet's room.
func (c *Conn) appendAck(sp *pnSpace, b []byte, room int, now time.Time,
	rec *sentPacket) []byte {
	f := c.ackFrame(sp, now)
	if len(f.Ranges) == 0 {
		return b
	}
	for len(f.Ranges) > 1 && len(b)+f.Size() > room {
		f.Ranges = f.Ranges[:len(f.Ranges)-1]
	}
	if len(b)+f.Size() > room {
		return b
	}
	b = f.Append(b)
	sp.recv.OnAckSent()
	if sp.id == appDataSpace {
		c.keyUpdateOnAckSent(f.Ranges[0].Largest)
	}
	rec.frames = append(rec.frames, sentFrame{kind: sentAck, a: uint64(f.Ranges[0].Largest)})
	return b
}

// appendControlFrames adds the connection-level frames of the application
// space: HANDSHAKE_DONE, PATH_RESPONSE, connection ID frames, keep-alive PING.
func (c *Conn) appendControlFrames(space spaceID, b []byte, limit int,
	rec *sentPacket) []byte {
	s := &c.state
	if space != appDataSpace {
		return b
	}
	if s.sendHandshakeDone && len(b)+1 <= limit {
		b = append(b, byte(wire.FrameTypeHandshakeDone))
		rec.frames = append(rec.frames, sentFrame{kind: sentHandshakeDone})
		rec.ackEliciting = true
		s.sendHandshakeDone = false
	}
	if s.pathResponsePen && len(b)+9 <= limit {
		b = wire.PathResponseFrame{Data: s.pathResponse}.Append(b)
		rec.ackEliciting = true
		s.pathResponsePen = false
	}
	b = c.appendConnIDFrames(b, limit, rec)
	if s.pingPending && len(b)+1 <= limit {
		b = append(b, byte(wire.FrameTypePing))
		rec.frames = append(rec.frames, sentFrame{kind: sentPing})
		rec.ackEliciting = true
		s.pingPending = false
	}
	return b
}

// appendConnIDFrames adds NEW_CONNECTION_ID and RETIRE_CONNECTION_ID frames.
func (c *Conn) appendConnIDFrames(b []byte, limit int, rec *sentPacket) []byte {
	s := &c.state
	if !s.handshakeConfirmed && c.isClient {
		return b
	}
	for s.ids.wantIssue() {
		l := s.ids.newLocalConnID(c.ep.resetToken)
		c.ep.addID(l.id[:], c)
	}
	for i := range s.ids.local {
		l := &s.ids.local[i]
		if l.sent || l.retired {
			continue
		}
		f := wire.NewConnectionIDFrame{SequenceNumber: l.seq, ConnectionID: l.id[:],
			StatelessResetToken: l.token}
		if len(b)+f.Size() > limit {
			return b
		}
		b = f.Append(b)
		l.sent = true
		rec.frames = append(rec.frames, sentFrame{kind: sentNewConnID, a: l.seq})
		rec.ackEliciting = true
	}
	for len(s.ids.toRetire) > 0 {
		f := wire.RetireConnectionIDFrame{SequenceNumber: s.ids.toRetire[0]}
		if len(b)+f.Size() > limit {
			return b
		}
		b = f.Append(b)
		rec.frames = append(rec.frames, sentFrame{kind: sentRetireConnID, a: f.SequenceNumber})
		rec.ackEliciting = true
		s.ids.toRetire = s.ids.toRetire[1:]
	}
	return b
}

// appendCryptoFrames adds pending CRYPTO data of the space.
func (c *Conn) appendCryptoFrames(sp *pnSpace, b []byte, limit int, rec *sentPacket) []byte {
	for sp.crypto.hasPending() {
		free := limit - len(b)
		off := uint64(0)
		if len(sp.crypto.sendPending) > 0 {
			off = sp.crypto.sendPending[0].start
		}
		n := free - wire.CryptoHeaderLen(off, free)
		if n <= 0 {
			return b
		}
		off, data, ok := sp.crypto.next(n)
		if !ok {
			return b
		}
		b = wire.CryptoFrame{Offset: off, Data: data}.Append(b)
		rec.frames = append(rec.frames, sentFrame{kind: sentCrypto, a: off,
			b: uint64(len(data))})
		rec.ackEliciting = true
	}
	return b
}

// appendDatagrams adds queued DATAGRAM frames that fit; one too large for the
// remaining room waits for the next packet.
func (c *Conn) appendDatagrams(b []byte, limit int, rec *sentPacket) []byte {
	s := &c.state
	for len(s.dgramOut) > 0 {
		d := s.dgramOut[0]
		f := wire.DatagramFrame{Data: d}
		if len(b)+f.Size() > limit {
			if f.Size() > cap(b) {
				// It can never fit: drop it rather than block the queue.
				s.dgramOut = s.dgramOut[1:]
				c.stats.datagramsDropped.Add(1)
				continue
			}
			return b
		}
		b = f.Append(b)
		rec.ackEliciting = true
		s.dgramOut[0] = nil
		s.dgramOut = s.dgramOut[1:]
	}
	return b
}

// takeUserDatagrams moves datagrams queued by SendDatagram to the loop.
func (c *Conn) takeUserDatagrams() {
	c.userMu.Lock()
	if len(c.dgramOut) > 0 {
		c.state.dgramOut = append(c.state.dgramOut, c.dgramOut...)
		clear(c.dgramOut)
		c.dgramOut = c.dgramOut[:0]
	}
	c.userMu.Unlock()
	if n := len(c.state.dgramOut); n > maxDatagramSendQueue {
		c.stats.datagramsDropped.Add(uint64(n - maxDatagramSendQueue))
		c.state.dgramOut = c.state.dgramOut[n-maxDatagramSendQueue:]
	}
}
