package quic

import (
	"errors"
	"net/netip"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/protection"
	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// wireAddr is the peer address a datagram came from.
type wireAddr = netip.AddrPort

// handleRx processes one received socket message (one or several datagrams).
func (c *Conn) handleRx(r *rxBuf, now time.Time) {
	r.segments(func(b []byte) {
		if c.state.phase == phaseDone {
			return
		}
		c.handleDatagram(b, r.addr, now)
	})
}

// handleDatagram processes the packets coalesced in one UDP datagram
// (RFC 9000, Section 12.2).
func (c *Conn) handleDatagram(b []byte, addr wireAddr, now time.Time) {
	s := &c.state
	if s.phase == phaseDraining {
		// RFC 9000, Section 10.2.2: a draining endpoint sends nothing and
		// need not process what it receives.
		return
	}
	c.stats.bytesReceived.Add(uint64(len(b)))
	if addr != c.remote {
		// TODO: connection migration (RFC 9000, Section 9) is not supported;
		// packets from another address are dropped, which also keeps an
		// attacker from redirecting the connection.
		return
	}
	s.recvBytes += uint64(len(b))
	// RFC 9000, Section 14.1: a server drops Initial packets in datagrams
	// smaller than 1200 bytes.
	if !c.isClient && len(b) < minInitialSize && len(b) > 0 && b[0]&0xb0 == 0x80 {
		return
	}
	var firstDCID []byte
	whole := b
	for len(b) > 0 {
		h, err := wire.ParseHeader(b, connIDLen, false)
		if err != nil {
			break
		}
		pkt := b[:h.PacketLen]
		b = b[h.PacketLen:]
		// RFC 9000, Section 12.2: coalesced packets share the destination ID.
		if firstDCID == nil {
			firstDCID = h.DCID
		} else if string(h.DCID) != string(firstDCID) {
			continue
		}
		if err := c.handlePacket(&h, pkt, whole, now); err != nil {
			c.closeWithTransportError(err, now)
			return
		}
		if s.phase != phaseActive {
			return
		}
	}
}

// handlePacket decrypts one packet and processes its frames.
func (c *Conn) handlePacket(h *wire.Header, pkt, datagram []byte, now time.Time) error {
	s := &c.state
	if h.Type == wire.PacketTypeVersionNegotiation {
		return c.handleVersionNegotiation(pkt)
	}
	space, ok := spaceOfPacket(h.Type)
	if !ok {
		// 0-RTT and Retry are not supported (see Limitations); drop.
		return nil
	}
	sp := &s.spaces[space]
	if sp.discarded {
		return nil
	}
	if !c.canOpen(space) {
		c.bufferUndecryptable(space, pkt)
		return nil
	}
	payload, pn, err := c.openPacket(space, h, pkt)
	if err != nil {
		if errors.Is(err, errKeyUpdate) || errors.Is(err, errAEADLimit) {
			return err
		}
		if space == appDataSpace && s.ids.isStatelessReset(tail16(datagram)) {
			// RFC 9000, Section 10.3.1: a stateless reset ends the connection.
			c.enterDraining(&TransportError{Code: errCodeNoError,
				Reason: "stateless reset", Remote: true}, now)
			return nil
		}
		return nil
	}
	// RFC 9000, Sections 17.2 and 17.3.1: reserved bits must be zero.
	if err := wire.CheckReservedBits(pkt[0]); err != nil {
		return convertWireError(err)
	}
	if sp.recv.IsDuplicate(pn) {
		return nil
	}
	if s.phase == phaseClosing {
		c.onPacketWhileClosing(now)
		return nil
	}
	if c.hooks != nil && c.hooks.recv != nil {
		c.hooks.recv(space, payload)
	}
	c.onFirstPacketOfSpace(space, h)
	s.curDCID = h.DCID
	ackEliciting, err := c.handleFrames(space, h.Type, payload, now)
	if err != nil {
		return err
	}
	if s.phase != phaseActive {
		return nil
	}
	sp.recv.OnPacketReceived(now, pn, ackEliciting)
	s.lastRecvActivity = now
	s.lastAckElicitSent = time.Time{}
	c.stats.packetsReceived.Add(1)
	return nil
}

// spaceOfPacket returns the packet number space of a packet type we process.
func spaceOfPacket(t wire.PacketType) (spaceID, bool) {
	switch t {
	case wire.PacketTypeInitial:
		return initialSpace, true
	case wire.PacketTypeHandshake:
		return handshakeSpace, true
	case wire.PacketType1RTT:
		return appDataSpace, true
	}
	return 0, false
}

// onFirstPacketOfSpace applies the rules tied to successfully processing a
// packet: the client learns the server's connection ID from its first Initial,
// and a Handshake packet validates the client's address and ends the
// server's use of Initial keys.
func (c *Conn) onFirstPacketOfSpace(space spaceID, h *wire.Header) {
	s := &c.state
	switch space {
	case initialSpace:
		if c.isClient && s.ids.peerInitialSCID == nil {
			// RFC 9000, Section 7.2: switch to the server's chosen ID.
			s.ids.peerInitialSCID = append([]byte(nil), h.SCID...)
			s.ids.setPeerHandshakeID(h.SCID)
		}
	case handshakeSpace:
		if !c.isClient {
			// RFC 9000, Section 8.1: a Handshake packet proves the address.
			s.addrValidated = true
			// RFC 9001, Section 4.9.1: a server discards Initial keys when it
			// first processes a Handshake packet.
			c.discardSpace(initialSpace)
		}
	}
}

// canOpen reports whether read keys for space exist.
func (c *Conn) canOpen(space spaceID) bool {
	if space == appDataSpace {
		return c.state.app != nil && c.state.app.CanOpen()
	}
	return c.state.spaces[space].open != nil
}

// openPacket removes packet protection.
func (c *Conn) openPacket(space spaceID, h *wire.Header, pkt []byte) ([]byte, int64, error) {
	s := &c.state
	sp := &s.spaces[space]
	largest := sp.recv.Largest()
	if space != appDataSpace {
		payload, pn, _, err := sp.open.Open(pkt, h.PNOffset, largest)
		if err != nil {
			s.integrityFailures++
		}
		return payload, pn, err
	}
	prevPhase := s.app.ReadPhase()
	weInitiated := s.app.UpdatePending()
	payload, pn, _, err := s.app.Open(pkt, h.PNOffset, largest)
	if err != nil {
		// RFC 9001, Section 6.6: too many forgeries end the connection.
		if s.app.FailedOpens()+s.integrityFailures >
			protection.IntegrityLimit(s.app.Suite()) {
			return nil, 0, errAEADLimit
		}
		return nil, 0, err
	}
	if s.app.ReadPhase() != prevPhase {
		if err := c.onPeerKeyUpdate(wire.PacketNumber(pn), weInitiated); err != nil {
			return nil, 0, err
		}
	}
	return payload, pn, nil
}

// bufferUndecryptable keeps a copy of a packet whose keys are not yet
// available (RFC 9001, Section 5.7), at most maxPendingPackets of them.
func (c *Conn) bufferUndecryptable(space spaceID, pkt []byte) {
	s := &c.state
	if space == initialSpace || len(s.pending) >= maxPendingPackets {
		return
	}
	s.pending = append(s.pending, pendingPacket{space: space,
		data: append([]byte(nil), pkt...), addr: c.remote})
}

// processPending retries buffered packets once new keys are installed.
func (c *Conn) processPending(now time.Time) {
	s := &c.state
	if len(s.pending) == 0 {
		return
	}
	var keep []pendingPacket
	for _, p := range s.pending {
		if s.phase != phaseActive {
			return
		}
		if !c.canOpen(p.space) {
			keep = append(keep, p)
			continue
		}
		h, err := wire.ParseHeader(p.data, connIDLen, false)
		if err != nil {
			continue
		}
		if err := c.handlePacket(&h, p.data[:h.PacketLen], p.data, now); err != nil {
			c.closeWithTransportError(err, now)
			return
		}
	}
	s.pending = keep
}

// tail16 returns the last 16 bytes of a datagram, where a stateless reset
// token would be.
func tail16(b []byte) []byte {
	if len(b) < minResetSize {
		return nil
	}
	return b[len(b)-16:]
}

// handleVersionNegotiation ends a client connection when the server supports
// none of our versions (RFC 9000, Section 6.2).
func (c *Conn) handleVersionNegotiation(pkt []byte) error {
	s := &c.state
	if !c.isClient || s.spaces[initialSpace].recv.Largest() >= 0 {
		return nil
	}
	_, _, versions, err := wire.ParseVersionNegotiation(pkt, nil)
	if err != nil {
		return nil
	}
	for _, v := range versions {
		if uint32(v) == quicVersion1 {
			// RFC 9000, Section 6.2: a VN listing our version is ignored.
			return nil
		}
	}
	c.enterDraining(&TransportError{Code: errCodeVersionNegotiationError,
		Reason: "server does not support QUIC v1", Remote: true}, time.Time{})
	return nil
}

// convertWireError turns an error from the wire package into the package's
// *TransportError.
func convertWireError(err error) error {
	var we *wire.TransportError
	if errors.As(err, &we) {
		return &TransportError{Code: TransportErrorCode(we.Code), Reason: we.Reason}
	}
	var te *TransportError
	if errors.As(err, &te) {
		return te
	}
	return &TransportError{Code: errCodeFrameEncoding, Reason: err.Error()}
}

// errAEADLimit reports that the integrity limit of RFC 9001, Section 6.6 was
// reached.
var errAEADLimit = &TransportError{Code: errCodeAEADLimitReached,
	Reason: "too many packets failed authentication"}

// errKeyUpdate marks key update violations (RFC 9001, Section 6.2).
var errKeyUpdate = &TransportError{Code: errCodeKeyUpdate, Reason: "invalid key update"}
