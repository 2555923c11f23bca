package congestion

import (
	"math"
	"time"
)

const (
	// pacingGain is N in RFC 9002, Section 7.7: the pacer sends at N times
	// the congestion window per smoothed RTT so that it does not by itself
	// keep the window from being filled.
	pacingGain = 1.25

	// burstPackets is how many full-sized datagrams the pacer lets out back
	// to back after an idle period; it matches the initial window.
	burstPackets = 10
)

// A Pacer spaces packets over the smoothed RTT (RFC 9002, Section 7.7). It is
// a token bucket: the budget grows at pacingGain*window/srtt bytes per unit of
// time, is capped at ten max-sized datagrams, and each sent packet spends its
// size. The zero value is ready to use and does not delay anything until it is
// given an RTT with SetRTT.
//
// A Pacer is not safe for concurrent use; its controller's goroutine owns it.
type Pacer struct {
	budget  float64       // bytes that may be sent now, as of last
	last    time.Time     // when budget was last brought up to date
	srtt    time.Duration // smoothed RTT; zero means "do not pace"
	started bool          // budget and last have been initialized
}

// SetRTT gives the pacer the current smoothed RTT. Zero turns pacing off.
func (p *Pacer) SetRTT(srtt time.Duration) {
	p.srtt = max(srtt, 0)
}

// OnPacketSent spends bytes of budget for a packet sent at now with the given
// congestion window and max datagram size.
func (p *Pacer) OnPacketSent(now time.Time, bytes, window, mds int) {
	p.refill(now, window, mds)
	p.budget = max(p.budget-float64(bytes), 0)
}

// NextSendTime returns the earliest time a packet of mds bytes may be sent,
// given the congestion window. A result not after now means "send now".
func (p *Pacer) NextSendTime(now time.Time, window, mds int) time.Time {
	if p.srtt <= 0 || !p.started {
		return now
	}
	b := p.budgetAt(now, window, mds)
	need := float64(mds) - b
	if need <= 0 {
		return now
	}
	rate := p.rate(window)
	wait := time.Duration(math.Ceil(need/rate)) + 1
	return now.Add(wait)
}

// rate returns the pacing rate in bytes per nanosecond.
func (p *Pacer) rate(window int) float64 {
	return pacingGain * float64(window) / float64(p.srtt)
}

func (p *Pacer) capacity(mds int) float64 {
	return float64(burstPackets * mds)
}

// budgetAt returns the budget the pacer would have at now.
func (p *Pacer) budgetAt(now time.Time, window, mds int) float64 {
	c := p.capacity(mds)
	if p.srtt <= 0 {
		return c
	}
	elapsed := now.Sub(p.last)
	if elapsed <= 0 {
		return p.budget
	}
	return min(p.budget+p.rate(window)*float64(elapsed), c)
}

func (p *Pacer) refill(now time.Time, window, mds int) {
	if !p.started {
		p.started = true
		p.budget = p.capacity(mds)
		p.last = now
		return
	}
	p.budget = p.budgetAt(now, window, mds)
	if now.After(p.last) {
		p.last = now
	}
}
