package quic

import (
	"errors"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/congestion"
	"github.com/peregrine-h3/peregrine/quic/internal/recovery"
	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

const (
	// maxAckDelay is the max_ack_delay we advertise.
	maxAckDelay = recovery.DefaultLocalMaxAckDelay
	// ackDelayExponent is the ack_delay_exponent we advertise (the default).
	ackDelayExponent = 3
)

// lossState connects the connection to the recovery package: the loss
// detector with its congestion controller, the PTO probes it asks for, and
// scratch space to translate ACK ranges.
type lossState struct {
	det        *recovery.LossDetector
	handler    lossHandler
	probes     [numSpaces]int
	peerAckExp uint8
	recRanges  []recovery.AckRange
	wireRanges []wire.AckRange
}

// lossHandler receives per-packet acknowledgement and loss reports. It is a
// separate type so that Conn does not export the recovery.Handler methods.
type lossHandler struct{ c *Conn }

// initLoss creates the loss detector and congestion controller.
func (c *Conn) initLoss() {
	l := &c.state.loss
	alg := congestion.CUBIC
	if c.cfg.CongestionControl == NewReno {
		alg = congestion.NewReno
	}
	cc := congestion.New(congestion.Config{Algorithm: alg, MaxDatagramSize: maxSendSize})
	l.det = recovery.NewLossDetector(recovery.Config{IsClient: c.isClient}, cc)
	l.handler = lossHandler{c: c}
	l.peerAckExp = ackDelayExponent
	l.recRanges = make([]recovery.AckRange, 0, wire.DefaultMaxAckRanges)
	// ParseAck keeps at most cap(ackBuf) ranges of a received ACK frame.
	c.state.ackBuf = make([]wire.AckRange, 0, wire.DefaultMaxAckRanges)
	l.wireRanges = make([]wire.AckRange, 0, recovery.MaxAckRanges+1)
	for i := range c.state.spaces {
		c.state.spaces[i].recv.Init(recovery.Space(i), maxAckDelay)
	}
	c.updateRecoveryStats()
}

// setLossPeerParams applies the peer's ACK parameters.
func (c *Conn) setLossPeerParams(maxAckDelay time.Duration, exp uint8) {
	c.state.loss.det.SetPeerMaxAckDelay(maxAckDelay)
	c.state.loss.peerAckExp = exp
}

// largestAcked returns the largest packet number the peer acknowledged in
// space, or -1.
func (c *Conn) largestAcked(space spaceID) int64 {
	return c.state.loss.det.LargestAcked(recovery.Space(space))
}

// smoothedRTT returns the current smoothed RTT estimate.
func (c *Conn) smoothedRTT() time.Duration {
	return c.state.loss.det.RTT().Smoothed()
}

// ptoBase returns the probe timeout without backoff, for the idle and
// closing timers.
func (c *Conn) ptoBase() time.Duration {
	return c.state.loss.det.RTT().PTOBase() + c.state.peer.maxAckDelay
}

// congestionAllows reports whether new ack-eliciting data may be sent now:
// the window has room and the pacer allows it.
func (c *Conn) congestionAllows(now time.Time) bool {
	d := c.state.loss.det
	if !d.CanSend() {
		return false
	}
	return !d.Controller().NextSendTime(now).After(now)
}

// onPacketSent reports a sent packet to the loss detector.
func (c *Conn) onPacketSent(space spaceID, rec *sentPacket, now time.Time) {
	c.state.loss.det.OnPacketSent(now, recovery.Space(space), int64(rec.pn), rec.size,
		rec.ackEliciting, rec.inFlight)
	if rec.ackEliciting {
		c.keyUpdateOnSent(space, rec.pn)
		if c.state.lastAckElicitSent.IsZero() {
			c.state.lastAckElicitSent = now
		}
	}
}

// handleAck processes an ACK frame (RFC 9000, Section 19.3).
func (c *Conn) handleAck(space spaceID, f *wire.AckFrame, now time.Time) error {
	l := &c.state.loss
	rr := l.recRanges[:0]
	for _, r := range f.Ranges {
		rr = append(rr, recovery.AckRange{Smallest: int64(r.Smallest), Largest: int64(r.Largest)})
	}
	l.recRanges = rr
	delay := wire.AckDelayDuration(f.AckDelay, l.peerAckExp)
	err := l.det.OnAckReceived(now, recovery.Space(space), rr, delay, &l.handler)
	switch {
	case errors.Is(err, recovery.ErrUnsentPacketAcked):
		// RFC 9000, Section 13.1: acknowledging an unsent packet.
		return &TransportError{Code: errCodeProtocolViolation, Reason: "ACK of unsent packet"}
	case err != nil:
		return &TransportError{Code: errCodeFrameEncoding, Reason: err.Error()}
	}
	c.state.spaces[space].sent.trim()
	c.keyUpdateOnAck(space)
	c.updateRecoveryStats()
	return nil
}

// onLossTimer runs the loss detection timer when it is due.
func (c *Conn) onLossTimer(now time.Time) {
	l := &c.state.loss
	if c.state.sentBytes == 0 {
		// Nothing sent yet: there is nothing to probe for.
		return
	}
	dl := l.det.Deadline()
	if dl.IsZero() || dl.After(now) {
		return
	}
	act := l.det.OnTimeout(now, &l.handler)
	if act.Kind != recovery.TimeoutProbe {
		return
	}
	space := spaceID(act.Space)
	l.probes[space] += act.Probes
	// Probes carry unacknowledged handshake data when there is some
	// (RFC 9002, Section 6.2.4).
	if space != appDataSpace {
		c.state.spaces[space].crypto.requeueUnacked()
	}
	if c.debugEnabled() {
		c.log.Debug("quic: probe timeout", "space", space.String(), "probes", act.Probes,
			"pto_count", l.det.PTOCount())
	}
}

// updateRecoveryStats publishes the RTT and window for Stats.
func (c *Conn) updateRecoveryStats() {
	d := c.state.loss.det
	r := d.RTT()
	st := &c.stats
	st.smoothedRTT.Store(int64(r.Smoothed()))
	st.minRTT.Store(int64(r.Min()))
	st.latestRTT.Store(int64(r.Latest()))
	st.cwnd.Store(int64(d.Controller().Window()))
}

// PacketAcked handles a newly acknowledged packet: its frames are done.
func (h *lossHandler) PacketAcked(space recovery.Space, pn int64) {
	c := h.c
	sp := &c.state.spaces[space]
	rec := sp.sent.find(wire.PacketNumber(pn))
	if rec == nil {
		return
	}
	for _, f := range rec.frames {
		switch f.kind {
		case sentCrypto:
			sp.crypto.onAcked(f.a, f.b)
		case sentAck:
			sp.recv.OnAckAcknowledged(int64(f.a))
		case sentNewConnID:
			c.state.ids.onNewConnIDAcked(f.a)
		}
	}
	for _, r := range rec.streams {
		c.state.streams.onAcked(r)
	}
	rec.done = true
}

// PacketLost handles a packet declared lost: its frames are rebuilt from
// current state where still needed.
func (h *lossHandler) PacketLost(space recovery.Space, pn int64) {
	c := h.c
	s := &c.state
	sp := &s.spaces[space]
	rec := sp.sent.find(wire.PacketNumber(pn))
	if rec == nil {
		return
	}
	c.stats.packetsLost.Add(1)
	for _, f := range rec.frames {
		switch f.kind {
		case sentCrypto:
			sp.crypto.onLost(f.a, f.b)
		case sentHandshakeDone:
			s.sendHandshakeDone = true
		case sentNewConnID:
			s.ids.onNewConnIDLost(f.a)
		case sentRetireConnID:
			s.ids.queueRetire(f.a)
		}
	}
	for _, r := range rec.streams {
		s.streams.onLost(r)
	}
	rec.done = true
}

// discardSpace drops the keys and state of the Initial or Handshake space
// (RFC 9001, Section 4.9).
func (c *Conn) discardSpace(space spaceID) {
	s := &c.state
	sp := &s.spaces[space]
	if sp.discarded {
		return
	}
	sp.discarded = true
	sp.seal, sp.open = nil, nil
	s.loss.det.DiscardSpace(recovery.Space(space))
	s.loss.probes[space] = 0
	sp.sent.clear()
	sp.crypto = cryptoStream{}
}
