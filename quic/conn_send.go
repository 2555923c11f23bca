package quic

import (
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/protection"
	"github.com/peregrine-h3/peregrine/quic/internal/udpio"
	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

const (
	// maxDatagramsPerSend bounds the datagrams built in one pass of the loop,
	// so that received packets are not starved by a long send.
	maxDatagramsPerSend = 64
	// minPacketRoom is the smallest datagram worth building.
	minPacketRoom = 64
	// tagLen is the AEAD tag appended to every packet.
	tagLen = protection.TagLen
)

// txMessage is a GSO message under construction: datagrams of seg bytes each,
// the last possibly shorter.
type txMessage struct {
	buf    *[]byte
	n      int
	seg    int
	closed bool // a shorter datagram ended it
}

// builtPacket describes a packet written in plaintext into a datagram buffer,
// to be sealed once the datagram is complete.
type builtPacket struct {
	space     spaceID
	start     int // offset in the datagram
	pnOffset  int // relative to start
	pnLen     int
	lenOffset int // relative to start; long headers only
	hdrLen    int
	payload   int // plaintext payload length
	pn        wire.PacketNumber
	rec       *sentPacket
}

// sendAll builds and sends everything the connection may send now, in one
// batch of GSO messages.
func (c *Conn) sendAll(now time.Time) {
	s := &c.state
	switch s.phase {
	case phaseClosing:
		c.sendClosePacket(now)
		return
	case phaseDraining, phaseDone:
		return
	}
	c.takeUserDatagrams()
	msgs := s.txMsgs[:0]
	var cur *txMessage
	built := 0
	for ; built < maxDatagramsPerSend; built++ {
		limit := c.datagramLimit()
		if limit < minPacketRoom {
			break
		}
		if cur == nil || cur.closed || len(*cur.buf)-cur.n < limit ||
			cur.n/max(cur.seg, 1) >= udpio.MaxSegments {
			msgs = append(msgs, txMessage{buf: txPool.Get().(*[]byte)})
			cur = &msgs[len(msgs)-1]
			*cur.buf = (*cur.buf)[:cap(*cur.buf)]
		}
		n := c.buildDatagram((*cur.buf)[cur.n:cur.n+limit], now)
		if n == 0 {
			break
		}
		if cur.seg == 0 {
			cur.seg = n
		} else if n > cur.seg {
			// A larger datagram cannot join this GSO message: move it.
			moved := txPool.Get().(*[]byte)
			*moved = (*moved)[:cap(*moved)]
			copy(*moved, (*cur.buf)[cur.n:cur.n+n])
			msgs = append(msgs, txMessage{buf: moved, n: n, seg: n})
			cur = &msgs[len(msgs)-1]
			s.sentBytes += uint64(n)
			c.stats.bytesSent.Add(uint64(n))
			continue
		}
		if n < cur.seg {
			cur.closed = true
		}
		cur.n += n
		s.sentBytes += uint64(n)
		c.stats.bytesSent.Add(uint64(n))
	}
	c.flushMessages(msgs)
	s.txMsgs = msgs[:0]
	if built == maxDatagramsPerSend {
		// More may be ready: run the loop again after checking for input.
		c.wake()
	}
}

// flushMessages writes the messages to the socket and recycles the buffers.
func (c *Conn) flushMessages(msgs []txMessage) {
	if len(msgs) == 0 {
		return
	}
	out := c.state.udpMsgs[:0]
	for _, m := range msgs {
		if m.n == 0 {
			continue
		}
		seg := m.seg
		if seg >= m.n {
			seg = 0
		}
		out = append(out, udpio.Message{Buf: (*m.buf)[:m.n], N: m.n, Addr: c.remote,
			SegmentSize: seg})
	}
	c.ep.send(out)
	clear(out)
	c.state.udpMsgs = out[:0]
	for _, m := range msgs {
		*m.buf = (*m.buf)[:0]
		txPool.Put(m.buf)
	}
}

// datagramLimit returns the size allowed for the next datagram: the packet
// size, reduced by the anti-amplification budget of an unvalidated server.
func (c *Conn) datagramLimit() int {
	s := &c.state
	size := uint64(maxSendSize)
	if s.peerParamsSeen {
		// RFC 9000, Section 18.2: respect the peer's max_udp_payload_size.
		size = min(size, s.peer.maxUDPPayload)
	}
	if s.addrValidated {
		return int(size)
	}
	// RFC 9000, Section 8.1: at most three times the bytes received.
	budget := 3*s.recvBytes - min(s.sentBytes, 3*s.recvBytes)
	return int(min(budget, size))
}

// buildDatagram writes one datagram of coalesced packets into b and returns
// its length, or 0 when there is nothing to send.
func (c *Conn) buildDatagram(b []byte, now time.Time) int {
	s := &c.state
	var pkts [numSpaces]builtPacket
	np, off, padTo := 0, 0, 0
	for sp := initialSpace; sp < numSpaces; sp++ {
		if !c.canSeal(sp) {
			continue
		}
		bp, ok := c.buildPacket(sp, b[off:], now)
		if !ok {
			continue
		}
		bp.start = off
		off += bp.hdrLen + bp.payload + tagLen
		// RFC 9000, Section 14.1: a client pads every datagram with an
		// Initial, a server those with an ack-eliciting Initial.
		if sp == initialSpace && (c.isClient || bp.rec.ackEliciting) {
			padTo = minInitialSize
		}
		pkts[np] = bp
		np++
	}
	if np == 0 {
		return 0
	}
	if off < padTo && padTo <= len(b) {
		last := &pkts[np-1]
		extra := padTo - off
		clear(b[last.start+last.hdrLen+last.payload:][:extra])
		last.payload += extra
		off = padTo
	}
	for i := 0; i < np; i++ {
		if !c.sealPacket(b, &pkts[i], now) {
			return 0
		}
	}
	s.lastSend = now
	return off
}

// canSeal reports whether we have write keys for space.
func (c *Conn) canSeal(space spaceID) bool {
	s := &c.state
	if space == appDataSpace {
		return s.app != nil && s.app.CanSeal() && s.handshakeComplete
	}
	return s.spaces[space].seal != nil && !s.spaces[space].discarded
}

// writeHeader writes the plaintext header of a packet in space into b.
func (c *Conn) writeHeader(space spaceID, b []byte, pn wire.PacketNumber,
	pnLen int) (hdr []byte, lenOffset int) {
	s := &c.state
	if space == appDataSpace {
		h := wire.ShortHeader{DCID: s.ids.dcid(), PacketNumber: pn, PacketNumberLen: pnLen,
			KeyPhase: s.app.WritePhase()}
		return wire.AppendShortHeader(b[:0], &h), 0
	}
	h := wire.LongHeader{Type: space.packetType(), Version: wire.Version1,
		DCID: s.ids.dcid(), SCID: s.ids.initialSCID, PacketNumber: pn,
		PacketNumberLen: pnLen}
	return wire.AppendLongHeader(b[:0], &h)
}

// buildPacket writes the plaintext of one packet of space at the start of b,
// leaving room for the AEAD tag. It returns false when there is nothing to
// send in the space.
func (c *Conn) buildPacket(space spaceID, b []byte, now time.Time) (builtPacket, bool) {
	s := &c.state
	sp := &s.spaces[space]
	pn := sp.nextPN
	pnLen := wire.PacketNumberLen(pn, wire.PacketNumber(c.largestAcked(space)))
	if len(b) < 1+4+1+20+1+20+2+pnLen+tagLen+16 {
		return builtPacket{}, false
	}
	hdr, lenOff := c.writeHeader(space, b, pn, pnLen)
	hdrLen := len(hdr)
	room := len(b) - hdrLen - tagLen
	if room < 16 {
		return builtPacket{}, false
	}
	rec := sp.sent.get()
	payload := b[hdrLen : hdrLen : hdrLen+room]
	if c.hooks != nil && c.hooks.extra != nil {
		if x := c.hooks.extra(space); len(x) > 0 && len(x) <= room {
			payload = append(payload, x...)
			rec.ackEliciting = true
		}
	}
	payload = c.appendFrames(space, payload, rec, now)
	if len(payload) == 0 {
		sp.sent.put(rec)
		return builtPacket{}, false
	}
	// RFC 9001, Section 5.4.2: the header protection sample needs at least
	// 4 bytes of packet number and payload.
	if pnLen+len(payload) < 4 {
		payload = wire.AppendPadding(payload, 4-pnLen-len(payload))
	}
	return builtPacket{space: space, pnOffset: hdrLen - pnLen, pnLen: pnLen,
		lenOffset: lenOff, hdrLen: hdrLen, payload: len(payload), pn: pn, rec: rec}, true
}

// sealPacket fills the Length field, protects the packet and records it.
func (c *Conn) sealPacket(d []byte, bp *builtPacket, now time.Time) bool {
	s := &c.state
	sp := &s.spaces[bp.space]
	end := bp.start + bp.hdrLen + bp.payload
	pkt := d[bp.start:end:min(end+tagLen, len(d))]
	if bp.space != appDataSpace {
		wire.PutVarintN(pkt[bp.lenOffset:], uint64(bp.pnLen+bp.payload+tagLen), 2)
	}
	if c.hooks != nil && c.hooks.sent != nil {
		c.hooks.sent(bp.space, pkt[bp.hdrLen:])
	}
	var err error
	if bp.space == appDataSpace {
		_, err = s.app.Seal(pkt, bp.pnOffset, bp.pnLen, int64(bp.pn))
	} else {
		_, err = sp.seal.Seal(pkt, bp.pnOffset, bp.pnLen, int64(bp.pn))
	}
	if err != nil {
		// Our own packet is malformed: a bug, but never crash the process.
		c.log.Warn("quic: seal failed", "err", err)
		sp.sent.put(bp.rec)
		return false
	}
	rec := bp.rec
	rec.pn = bp.pn
	rec.time = now
	rec.size = bp.hdrLen + bp.payload + tagLen
	rec.inFlight = rec.ackEliciting || rec.padded
	sp.nextPN++
	sp.sent.add(rec)
	c.onPacketSent(bp.space, rec, now)
	c.stats.packetsSent.Add(1)
	if bp.space == handshakeSpace && c.isClient {
		// RFC 9001, Section 4.9.1: a client discards Initial keys when it
		// first sends a Handshake packet.
		c.discardSpace(initialSpace)
	}
	return true
}
