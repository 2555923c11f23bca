package congestion

import (
	"time"
)

// renoLossReduction is kLossReductionFactor of RFC 9002, Section 7.3.2,
// expressed as a ratio.
const renoLossNum, renoLossDen = 1, 2

// RenoController is the NewReno congestion controller of RFC 9002, Section 7
// and Appendix B: slow start, a recovery period after each congestion event,
// and congestion avoidance that adds one max datagram size per window of
// acknowledged bytes.
//
// A RenoController is not safe for concurrent use; it belongs to the
// connection's goroutine.
type RenoController struct {
	mds           int
	window        int
	ssthresh      int       // math.MaxInt until the first congestion event
	recoveryStart time.Time // zero when no recovery period has started
	ackedInCA     int       // bytes acknowledged toward the next CA increase
	limit         cwndLimit
	pacer         Pacer
}

// NewNewReno returns a NewReno controller for a max datagram size of mds
// bytes (zero means 1200).
func NewNewReno(mds int) *RenoController {
	mds = normalizeMDS(mds)
	return &RenoController{
		mds:      mds,
		window:   InitialWindow(mds),
		ssthresh: maxInt,
	}
}

// OnPacketSent implements Controller.
func (c *RenoController) OnPacketSent(now time.Time, bytes, bytesInFlight int) {
	c.limit.onSent(bytesInFlight)
	c.pacer.OnPacketSent(now, bytes, c.window, c.mds)
}

// OnPacketsAcked implements Controller (RFC 9002, Appendix B.5).
func (c *RenoController) OnPacketsAcked(
	now time.Time, acked []Packet, priorInFlight int, rtt RTTStats,
) {
	c.pacer.SetRTT(rtt.Smoothed)
	limited := c.limit.onAck(now, acked, priorInFlight, c.window, c.mds, c.InSlowStart())
	for i := range acked {
		p := &acked[i]
		// RFC 9002, Section 7.3.2: no increase for packets sent before the
		// recovery period started.
		if c.InRecovery(p.SentTime) {
			continue
		}
		// RFC 9002, Section 7.8: do not grow a window that is not used.
		if !limited {
			continue
		}
		if c.InSlowStart() {
			c.window += p.Bytes
			continue
		}
		c.ackedInCA += p.Bytes
		if c.ackedInCA >= c.window {
			c.ackedInCA -= c.window
			c.window += c.mds
		}
	}
}

// OnPacketsLost implements Controller (RFC 9002, Appendix B.8).
func (c *RenoController) OnPacketsLost(now time.Time, lost []Packet, persistent bool) {
	if len(lost) == 0 {
		return
	}
	c.onCongestionEvent(now, lastSent(lost))
	if persistent {
		// RFC 9002, Section 7.6.2: collapse to the minimum window.
		c.recoveryStart = time.Time{}
		c.window = MinimumWindow(c.mds)
		c.ackedInCA = 0
	}
}

func (c *RenoController) onCongestionEvent(now, sentTime time.Time) {
	if c.InRecovery(sentTime) {
		return
	}
	c.recoveryStart = now
	c.ssthresh = max(c.window*renoLossNum/renoLossDen, MinimumWindow(c.mds))
	c.window = c.ssthresh
	c.ackedInCA = 0
}

// CanSend implements Controller.
func (c *RenoController) CanSend(bytesInFlight int) bool {
	return bytesInFlight < c.window
}

// Window implements Controller.
func (c *RenoController) Window() int { return c.window }

// SlowStartThreshold returns the slow start threshold in bytes; it is
// math.MaxInt before the first congestion event.
func (c *RenoController) SlowStartThreshold() int { return c.ssthresh }

// InSlowStart implements Controller.
func (c *RenoController) InSlowStart() bool { return c.window < c.ssthresh }

// InRecovery implements Controller.
func (c *RenoController) InRecovery(sentTime time.Time) bool {
	return !c.recoveryStart.IsZero() && !sentTime.After(c.recoveryStart)
}

// NextSendTime implements Controller.
func (c *RenoController) NextSendTime(now time.Time) time.Time {
	return c.pacer.NextSendTime(now, c.window, c.mds)
}

// SetMaxDatagramSize implements Controller.
func (c *RenoController) SetMaxDatagramSize(n int) {
	c.mds = normalizeMDS(n)
	c.window = max(c.window, MinimumWindow(c.mds))
}

// MaxDatagramSize implements Controller.
func (c *RenoController) MaxDatagramSize() int { return c.mds }

const maxInt = int(^uint(0) >> 1)

// cwndLimit infers whether the sender has been limited by the congestion
// window (RFC 9002, Section 7.8; RFC 9438, Section 5.8). It remembers the
// largest bytes in flight over the current and the previous round trip; a
// round ends when a packet sent at or after its start is acknowledged.
type cwndLimit struct {
	peak       int       // largest bytes in flight in this round
	lastPeak   int       // in the previous round
	roundStart time.Time // when this round began
}

func (l *cwndLimit) onSent(bytesInFlight int) {
	l.peak = max(l.peak, bytesInFlight)
}

// onAck reports whether the window was used over the last round trip, and
// moves to a new round when acked shows one has passed.
func (l *cwndLimit) onAck(
	now time.Time, acked []Packet, priorInFlight, window, mds int, slowStart bool,
) bool {
	used := max(l.peak, l.lastPeak, priorInFlight)
	for i := range acked {
		if !acked[i].SentTime.Before(l.roundStart) {
			l.lastPeak, l.peak = l.peak, 0
			l.roundStart = now
			break
		}
	}
	if slowStart {
		// The window doubles over a round trip in slow start; half of it in
		// flight means the sender keeps up with it.
		return 2*used >= window
	}
	// Allow three datagrams of slack for packets that did not quite fit.
	return used+3*mds >= window
}
