package recovery

import (
	"fmt"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/congestion"
)

const (
	// packetThreshold is kPacketThreshold (RFC 9002, Section 6.1.1).
	packetThreshold = 3
	// timeThresholdNum/Den is kTimeThreshold = 9/8 (RFC 9002, Section 6.1.2).
	timeThresholdNum, timeThresholdDen = 9, 8
	// persistentCongestionThreshold is kPersistentCongestionThreshold
	// (RFC 9002, Section 7.6.1).
	persistentCongestionThreshold = 3
	// DefaultMaxAckDelay is the max_ack_delay transport parameter's default
	// (RFC 9000, Section 18.2).
	DefaultMaxAckDelay = 25 * time.Millisecond
	// maxPTOShift caps the PTO backoff exponent so durations cannot overflow.
	maxPTOShift = 20
)

// Config holds the parameters of a LossDetector.
type Config struct {
	// IsClient is true for the client side of the connection. Only clients
	// arm the PTO timer with nothing in flight, to avoid the amplification
	// deadlock of RFC 9002, Section 6.2.2.1.
	IsClient bool

	// InitialRTT is the RTT assumed before the first sample. Zero means
	// DefaultInitialRTT (333 ms, RFC 9002, Section 6.2.2).
	InitialRTT time.Duration

	// MaxAckDelay is the peer's max_ack_delay transport parameter. Zero means
	// DefaultMaxAckDelay (25 ms). Change it with SetPeerMaxAckDelay when the
	// peer's transport parameters arrive.
	MaxAckDelay time.Duration
}

// spaceState is the sent-packet state of one packet number space.
type spaceState struct {
	sent                 sentRing
	largestAcked         int64     // -1 until an ACK arrives
	largestSent          int64     // -1 until a packet is sent
	lastAckElicitingTime time.Time // time_of_last_ack_eliciting_packet
	lossTime             time.Time // loss_time; zero when not armed
	ackElicitingInFlight int       // in-flight ack-eliciting packets
	discarded            bool
}

// A LossDetector tracks the packets a connection sent in its three packet
// number spaces, processes the ACK frames it receives, estimates the RTT,
// detects lost packets and runs the loss detection / probe timeout timer of
// RFC 9002, Sections 5 to 7. It owns the connection's bytes-in-flight count
// and drives a congestion.Controller.
//
// The connection must call, from its single goroutine:
//   - OnPacketSent for every packet it sends, in packet number order per
//     space, including ACK-only packets (inFlight false for those);
//   - OnAckReceived for every ACK frame of a successfully decrypted packet;
//   - Deadline after each of these calls (and after DiscardSpace and the
//     Set methods), arming its one loss-detection timer to that time;
//   - OnTimeout when that timer fires, then send the probes it asks for;
//   - DiscardSpace when Initial or Handshake keys are discarded;
//   - SetHandshakeConfirmed, SetHandshakeKeysAvailable,
//     SetAmplificationLimited and SetPeerMaxAckDelay as the handshake moves.
//
// A LossDetector is not safe for concurrent use. It never reads the clock,
// and after warm-up it does not allocate.
type LossDetector struct {
	cc     congestion.Controller
	rtt    RTT
	spaces [NumSpaces]spaceState

	bytesInFlight int
	ptoCount      int
	maxAckDelay   time.Duration
	initialRTT    time.Duration

	isClient             bool
	handshakeConfirmed   bool
	peerValidated        bool // PeerCompletedAddressValidation()
	hasHandshakeKeys     bool
	amplificationLimited bool

	lastTimerEvent  time.Time // "now" of the last event that reset the timer
	firstSampleTime time.Time // when the first RTT sample was taken

	acked []congestion.Packet // scratch for OnPacketsAcked, reused
	lost  []congestion.Packet // scratch for OnPacketsLost, reused
}

// NewLossDetector returns a LossDetector that drives cc. If cc is nil, a
// CUBIC controller with a 1200-byte max datagram size is used.
func NewLossDetector(cfg Config, cc congestion.Controller) *LossDetector {
	if cc == nil {
		cc = congestion.New(congestion.Config{})
	}
	d := &LossDetector{
		cc:          cc,
		isClient:    cfg.IsClient,
		maxAckDelay: cfg.MaxAckDelay,
		// RFC 9002, Appendix A.6: a server always considers the peer's
		// address validated.
		peerValidated: !cfg.IsClient,
		acked:         make([]congestion.Packet, 0, 64),
		lost:          make([]congestion.Packet, 0, 64),
	}
	if d.maxAckDelay <= 0 {
		d.maxAckDelay = DefaultMaxAckDelay
	}
	d.initialRTT = cfg.InitialRTT
	d.rtt.Reset(cfg.InitialRTT)
	for i := range d.spaces {
		d.spaces[i].largestAcked = -1
		d.spaces[i].largestSent = -1
	}
	return d
}

// Controller returns the congestion controller the detector drives.
func (d *LossDetector) Controller() congestion.Controller { return d.cc }

// RTT returns the RTT estimator. The caller must not modify it.
func (d *LossDetector) RTT() *RTT { return &d.rtt }

// BytesInFlight returns the bytes of in-flight packets neither acknowledged,
// declared lost nor discarded.
func (d *LossDetector) BytesInFlight() int { return d.bytesInFlight }

// PTOCount returns the number of probe timeouts since the last
// acknowledgment that reset the backoff.
func (d *LossDetector) PTOCount() int { return d.ptoCount }

// LargestAcked returns the largest packet number acknowledged in space, or
// -1 if none was.
func (d *LossDetector) LargestAcked(space Space) int64 {
	return d.spaces[space].largestAcked
}

// LargestSent returns the largest packet number sent in space, or -1.
func (d *LossDetector) LargestSent(space Space) int64 {
	return d.spaces[space].largestSent
}

// CanSend reports whether the congestion window allows another
// ack-eliciting packet now. Probe packets ignore it.
func (d *LossDetector) CanSend() bool { return d.cc.CanSend(d.bytesInFlight) }

// OnPathChanged resets the RTT estimate and replaces the congestion
// controller after the connection moved to a new path (RFC 9000,
// Section 9.4); a change of only the peer's port does not need it. If cc is
// nil, a new CUBIC controller with the current max datagram size is used.
// Packets already in flight stay tracked and counted in bytes in flight; the
// PTO backoff is kept.
func (d *LossDetector) OnPathChanged(cc congestion.Controller) {
	if cc == nil {
		cc = congestion.New(congestion.Config{MaxDatagramSize: d.cc.MaxDatagramSize()})
	}
	d.cc = cc
	d.rtt.Reset(d.initialRTT)
	d.firstSampleTime = time.Time{}
}

// SetPeerMaxAckDelay records the peer's max_ack_delay transport parameter.
func (d *LossDetector) SetPeerMaxAckDelay(v time.Duration) {
	if v > 0 {
		d.maxAckDelay = v
	}
}

// SetHandshakeConfirmed records that the handshake is confirmed
// (RFC 9001, Section 4.1.2). From then on the ack delay is honored up to
// max_ack_delay and the application data space has a PTO.
func (d *LossDetector) SetHandshakeConfirmed() {
	d.handshakeConfirmed = true
	d.peerValidated = true
}

// SetHandshakeKeysAvailable records that Handshake keys are installed, so a
// client's anti-deadlock probe goes in the Handshake space
// (RFC 9002, Section 6.2.2.1).
func (d *LossDetector) SetHandshakeKeysAvailable() { d.hasHandshakeKeys = true }

// SetAmplificationLimited tells a server whether it is blocked by the
// anti-amplification limit (RFC 9000, Section 8.1). While it is, the PTO
// timer is not armed (RFC 9002, Section 6.2.2.1): the server could not send
// a probe anyway, and a timer would only fire in vain.
func (d *LossDetector) SetAmplificationLimited(limited bool) {
	d.amplificationLimited = limited
}

// OnPacketSent records a packet sent at now in space (RFC 9002, Appendix
// A.5). size is the packet's size in bytes as counted toward bytes in
// flight. ackEliciting is true if it carried a frame other than ACK,
// PADDING or CONNECTION_CLOSE; inFlight is true if it is ack-eliciting or
// carries PADDING. Packet numbers must increase within a space; a decrease is
// a bug in the connection and panics. Packets sent in a discarded space are
// ignored.
//
// If a space already tracks maxTracked packets, the oldest one is forgotten
// as if it had been discarded (no loss is reported for it).
func (d *LossDetector) OnPacketSent(
	now time.Time, space Space, pn int64, size int, ackEliciting, inFlight bool,
) {
	s := &d.spaces[space]
	if s.discarded {
		return
	}
	if pn <= s.largestSent {
		panic(fmt.Sprintf("recovery: packet number %d sent after %d in %v space",
			pn, s.largestSent, space))
	}
	s.largestSent = pn
	if s.sent.full() {
		d.forget(s, s.sent.at(0))
		s.sent.popFront()
		s.sent.trim()
	}
	p := sentPacket{timeSent: now, pn: pn, size: int32(min(max(size, 0), 1<<30))}
	if ackEliciting {
		p.flags |= flagAckEliciting
	}
	if inFlight {
		p.flags |= flagInFlight
		if ackEliciting {
			s.lastAckElicitingTime = now
			s.ackElicitingInFlight++
		}
		d.bytesInFlight += int(p.size)
		d.cc.OnPacketSent(now, int(p.size), d.bytesInFlight)
	}
	s.sent.push(p)
	d.lastTimerEvent = now
}

// forget removes an outstanding packet from in-flight accounting without
// reporting it.
func (d *LossDetector) forget(s *spaceState, p *sentPacket) {
	if p.done() || !p.inFlight() {
		return
	}
	d.bytesInFlight -= int(p.size)
	if p.ackEliciting() {
		s.ackElicitingInFlight--
	}
}

// DiscardSpace drops every packet tracked in space when its keys are
// discarded (RFC 9002, Section 6.4): their bytes leave bytes in flight,
// nothing is reported as acknowledged or lost, the space's timers are reset
// and so is the PTO backoff. Later calls for the space are ignored.
// Discarding the Initial space implies Handshake keys are available.
func (d *LossDetector) DiscardSpace(space Space) {
	s := &d.spaces[space]
	if s.discarded {
		return
	}
	for i := range s.sent.len() {
		d.forget(s, s.sent.at(i))
	}
	s.sent.clear()
	s.sent.buf = nil
	s.discarded = true
	s.lastAckElicitingTime = time.Time{}
	s.lossTime = time.Time{}
	s.ackElicitingInFlight = 0
	d.ptoCount = 0
	if space == Initial {
		d.hasHandshakeKeys = true
	}
}

// ackElicitingInFlight reports whether any space has an ack-eliciting
// packet in flight.
func (d *LossDetector) ackElicitingInFlight() bool {
	for i := range d.spaces {
		if d.spaces[i].ackElicitingInFlight > 0 {
			return true
		}
	}
	return false
}
