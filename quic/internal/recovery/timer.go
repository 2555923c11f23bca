package recovery

import "time"

// TimeoutKind says what the connection must do after OnTimeout.
type TimeoutKind uint8

const (
	// TimeoutNone means the timer fired early or was stale: do nothing but
	// re-arm it at Deadline.
	TimeoutNone TimeoutKind = iota
	// TimeoutLoss means packets were declared lost by the time threshold
	// and reported to the Handler; rebuild their frames and send as the
	// congestion window allows.
	TimeoutLoss
	// TimeoutProbe means the probe timeout expired: send Probes
	// ack-eliciting packets in Space now, ignoring the congestion window
	// (RFC 9002, Section 6.2.4). Nothing was declared lost.
	TimeoutProbe
)

// String returns the kind's name.
func (k TimeoutKind) String() string {
	switch k {
	case TimeoutNone:
		return "none"
	case TimeoutLoss:
		return "loss"
	case TimeoutProbe:
		return "probe"
	}
	return "invalid"
}

// TimeoutAction is the result of OnTimeout.
type TimeoutAction struct {
	Kind TimeoutKind
	// Space is the packet number space the probes must be sent in.
	Space Space
	// Probes is the number of ack-eliciting probe packets to send: 2 on a
	// regular PTO (RFC 9002, Section 6.2.4), 1 for a client's anti-deadlock
	// probe (an Initial packet in a padded datagram, or a Handshake packet;
	// RFC 9002, Section 6.2.2.1). Probes should carry new data when there
	// is some, else retransmit in-flight data, else a PING.
	Probes int
}

// Deadline returns when the loss detection timer must fire, or the zero
// time if it must not be armed (RFC 9002, Appendix A.8). The connection
// calls it after every OnPacketSent, OnAckReceived, OnTimeout, DiscardSpace
// and Set call, and arms its single timer to the result.
func (d *LossDetector) Deadline() time.Time {
	if t, _ := d.earliestLossTime(); !t.IsZero() {
		return t
	}
	// RFC 9002, Section 6.2.2.1: a server at its amplification limit does
	// not arm the PTO timer.
	if d.amplificationLimited {
		return time.Time{}
	}
	if !d.ackElicitingInFlight() && d.peerValidated {
		return time.Time{}
	}
	t, _ := d.ptoTimeAndSpace()
	return t
}

// OnTimeout handles the expiry of the loss detection timer at now
// (RFC 9002, Appendix A.9). Packets declared lost are reported to h, which
// may be nil. It is harmless to call it before Deadline; it then returns
// TimeoutNone.
func (d *LossDetector) OnTimeout(now time.Time, h Handler) TimeoutAction {
	if t, space := d.earliestLossTime(); !t.IsZero() {
		if t.After(now) {
			return TimeoutAction{}
		}
		d.lastTimerEvent = now
		d.detectAndReportLost(now, space, h)
		return TimeoutAction{Kind: TimeoutLoss, Space: space}
	}
	deadline := d.Deadline()
	if deadline.IsZero() || deadline.After(now) {
		return TimeoutAction{}
	}
	_, space := d.ptoTimeAndSpace()
	d.lastTimerEvent = now
	if d.ptoCount < maxPTOShift {
		d.ptoCount++
	}
	if !d.ackElicitingInFlight() {
		// RFC 9002, Section 6.2.2.1: a client whose address is not yet
		// validated must keep the server able to send.
		return TimeoutAction{Kind: TimeoutProbe, Space: space, Probes: 1}
	}
	return TimeoutAction{Kind: TimeoutProbe, Space: space, Probes: 2}
}

// earliestLossTime returns the earliest armed loss time and its space
// (GetLossTimeAndSpace in RFC 9002, Appendix A.8).
func (d *LossDetector) earliestLossTime() (time.Time, Space) {
	var t time.Time
	space := Initial
	for i := range d.spaces {
		lt := d.spaces[i].lossTime
		if !lt.IsZero() && (t.IsZero() || lt.Before(t)) {
			t, space = lt, Space(i)
		}
	}
	return t, space
}

// ptoTimeAndSpace returns the PTO deadline and the space to probe
// (GetPtoTimeAndSpace in RFC 9002, Appendix A.8). The time is zero when no
// PTO applies.
func (d *LossDetector) ptoTimeAndSpace() (time.Time, Space) {
	backoff := time.Duration(1) << d.ptoCount
	duration := d.rtt.PTOBase() * backoff
	if !d.ackElicitingInFlight() {
		// Anti-deadlock PTO (RFC 9002, Section 6.2.2.1), counted from the
		// last event that would have re-armed the timer.
		if d.hasHandshakeKeys {
			return d.lastTimerEvent.Add(duration), Handshake
		}
		return d.lastTimerEvent.Add(duration), Initial
	}
	var t time.Time
	space := Initial
	for i := range d.spaces {
		s := &d.spaces[i]
		if s.ackElicitingInFlight == 0 {
			continue
		}
		if Space(i) == AppData {
			// RFC 9002, Section 6.2.1: no application data PTO before the
			// handshake is confirmed.
			if !d.handshakeConfirmed {
				break
			}
			duration += d.maxAckDelay * backoff
		}
		pto := s.lastAckElicitingTime.Add(duration)
		if t.IsZero() || pto.Before(t) {
			t, space = pto, Space(i)
		}
	}
	return t, space
}
