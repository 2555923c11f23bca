package recovery

import (
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/congestion"
)

const (
	// DefaultInitialRTT is kInitialRtt (RFC 9002, Section 6.2.2).
	DefaultInitialRTT = 333 * time.Millisecond

	// Granularity is kGranularity, the timer granularity
	// (RFC 9002, Section 6.1.2).
	Granularity = time.Millisecond
)

// RTT is the round-trip time estimator of RFC 9002, Section 5. The zero value
// is not ready; call Reset first (LossDetector does).
//
// An RTT is not safe for concurrent use; it belongs to the connection's
// goroutine.
type RTT struct {
	latest    time.Duration
	min       time.Duration
	smoothed  time.Duration
	rttvar    time.Duration
	hasSample bool
}

// Reset puts the estimator in its initial state for an initial RTT of
// initial (RFC 9002, Section 5.3): smoothed = initial, rttvar = initial/2.
func (r *RTT) Reset(initial time.Duration) {
	if initial <= 0 {
		initial = DefaultInitialRTT
	}
	*r = RTT{smoothed: initial, rttvar: initial / 2}
}

// Update takes an RTT sample latest with the peer-reported ackDelay.
// ackDelay must already be adjusted by the caller's policy (zero for the
// Initial space, capped by max_ack_delay once the handshake is confirmed);
// Update only applies the min_rtt rule (RFC 9002, Section 5.3).
func (r *RTT) Update(latest, ackDelay time.Duration) {
	if latest <= 0 {
		// A clock that stepped back or an ACK in the same instant: still a
		// sample, but never below the granularity-free minimum of zero.
		latest = 0
	}
	ackDelay = max(ackDelay, 0)
	r.latest = latest
	if !r.hasSample {
		// RFC 9002, Section 5.3: the first sample initializes all state.
		r.hasSample = true
		r.min = latest
		r.smoothed = latest
		r.rttvar = latest / 2
		return
	}
	r.min = min(r.min, latest)

	// RFC 9002, Section 5.3: subtract the ack delay only if the result is
	// not below min_rtt.
	// Written as a difference so that a huge peer-reported delay cannot
	// overflow (latest >= min here).
	adjusted := latest
	if ackDelay <= latest-r.min {
		adjusted = latest - ackDelay
	}
	diff := r.smoothed - adjusted
	if diff < 0 {
		diff = -diff
	}
	r.rttvar = (3*r.rttvar + diff) / 4
	r.smoothed = (7*r.smoothed + adjusted) / 8
}

// Latest returns the latest RTT sample, or zero before any sample.
func (r *RTT) Latest() time.Duration { return r.latest }

// Min returns min_rtt, or zero before any sample.
func (r *RTT) Min() time.Duration { return r.min }

// Smoothed returns smoothed_rtt (the initial RTT before any sample).
func (r *RTT) Smoothed() time.Duration { return r.smoothed }

// Var returns rttvar.
func (r *RTT) Var() time.Duration { return r.rttvar }

// HasSample reports whether at least one RTT sample was taken.
func (r *RTT) HasSample() bool { return r.hasSample }

// PTOBase returns smoothed_rtt + max(4*rttvar, kGranularity), the probe
// timeout without max_ack_delay and backoff (RFC 9002, Section 6.2.1).
func (r *RTT) PTOBase() time.Duration {
	return r.smoothed + max(4*r.rttvar, Granularity)
}

// Stats returns the estimate in the form congestion controllers take.
// Before the first sample all fields are zero, so pacing stays off.
func (r *RTT) Stats() congestion.RTTStats {
	if !r.hasSample {
		return congestion.RTTStats{}
	}
	return congestion.RTTStats{Latest: r.latest, Min: r.min, Smoothed: r.smoothed}
}
