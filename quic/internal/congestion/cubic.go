package congestion

import (
	"math"
	"time"
)

const (
	// cubicBeta is β_cubic, the multiplicative decrease factor
	// (RFC 9438, Section 4.6).
	cubicBeta = 0.7
	// cubicC is C, the scaling constant of the cubic function in segments
	// per second cubed (RFC 9438, Section 5).
	cubicC = 0.4
	// cubicAlpha is α_cubic = 3*(1-β)/(1+β), the additive increase of the
	// Reno-friendly estimate until it reaches the window before the last
	// reduction (RFC 9438, Section 4.3).
	cubicAlpha = 3 * (1 - cubicBeta) / (1 + cubicBeta)
)

// CubicController is the CUBIC congestion controller of RFC 9438 with the
// slow start, recovery period and minimum window of RFC 9002. Internally it
// keeps the window in fractional bytes; Window rounds down.
//
// A CubicController is not safe for concurrent use; it belongs to the
// connection's goroutine.
type CubicController struct {
	mds           int
	cwnd          float64   // congestion window, bytes
	ssthresh      float64   // slow start threshold; +Inf before any loss
	recoveryStart time.Time // zero when no recovery period has started

	// Congestion avoidance epoch (RFC 9438, Section 4.2). epoch is zero
	// until the first window-limited ACK of a congestion avoidance stage.
	epoch     time.Time
	wMax      float64 // window before the last reduction, after fast convergence
	k         float64 // seconds until W_cubic reaches wMax
	wEst      float64 // Reno-friendly estimate (RFC 9438, Section 4.3), bytes
	cwndPrior float64 // window just before the last reduction, bytes

	hystart   hyStart
	noHyStart bool

	limit cwndLimit
	pacer Pacer
}

// NewCubic returns a CUBIC controller for a max datagram size of mds bytes
// (zero means 1200), with HyStart++ (RFC 9406) ending its first slow start.
func NewCubic(mds int) *CubicController {
	mds = normalizeMDS(mds)
	return &CubicController{
		mds:      mds,
		cwnd:     float64(InitialWindow(mds)),
		ssthresh: math.Inf(1),
	}
}

// OnPacketSent implements Controller.
func (c *CubicController) OnPacketSent(now time.Time, bytes, bytesInFlight int) {
	c.limit.onSent(bytesInFlight)
	c.pacer.OnPacketSent(now, bytes, c.Window(), c.mds)
}

// OnPacketsAcked implements Controller.
func (c *CubicController) OnPacketsAcked(
	now time.Time, acked []Packet, priorInFlight int, rtt RTTStats,
) {
	c.pacer.SetRTT(rtt.Smoothed)
	growthDiv := 1
	if c.InSlowStart() && !c.noHyStart {
		var exit bool
		growthDiv, exit = c.hystart.onAck(now, acked, rtt.Latest)
		if exit {
			// RFC 9406, Section 4.2: leave CSS for congestion avoidance.
			c.ssthresh = c.cwnd
		}
	}
	limited := c.limit.onAck(now, acked, priorInFlight, c.Window(), c.mds, c.InSlowStart())
	if !limited {
		// RFC 9438, Section 5.8: no growth while application-limited; the
		// cubic curve restarts at the next window-limited ACK.
		c.epoch = time.Time{}
		return
	}
	for i := range acked {
		p := &acked[i]
		// RFC 9002, Section 7.3.2: no increase during a recovery period.
		if c.InRecovery(p.SentTime) {
			continue
		}
		if c.InSlowStart() {
			c.cwnd += float64(p.Bytes / growthDiv)
			continue
		}
		c.avoid(now, p.Bytes, rtt.Smoothed)
	}
}

// avoid grows the window in congestion avoidance for bytes newly
// acknowledged (RFC 9438, Sections 4.2 to 4.4).
func (c *CubicController) avoid(now time.Time, bytes int, srtt time.Duration) {
	mds := float64(c.mds)
	if c.epoch.IsZero() {
		c.epoch = now
		c.wEst = c.cwnd
		if c.wMax <= c.cwnd {
			// Slow start ended without loss, or the window already passed
			// the old maximum: start on the plateau.
			c.wMax = c.cwnd
			c.k = 0
		} else {
			c.k = math.Cbrt((c.wMax - c.cwnd) / mds / cubicC)
		}
	}
	t := now.Sub(c.epoch).Seconds()

	// Reno-friendly estimate (RFC 9438, Section 4.3).
	alpha := cubicAlpha
	if c.wEst >= c.cwndPrior {
		alpha = 1
	}
	c.wEst += alpha * float64(bytes) * mds / c.cwnd

	if c.wCubic(t) < c.wEst {
		c.cwnd = c.wEst
		return
	}
	// Concave and convex regions (RFC 9438, Sections 4.4 and 4.5): aim for
	// the cubic window one RTT ahead, clamped to [cwnd, 1.5*cwnd].
	target := c.wCubic(t + srtt.Seconds())
	target = min(max(target, c.cwnd), 1.5*c.cwnd)
	c.cwnd += (target - c.cwnd) * float64(bytes) / c.cwnd
}

// wCubic returns W_cubic(t) in bytes (RFC 9438, Section 4.2, Figure 1).
func (c *CubicController) wCubic(t float64) float64 {
	d := t - c.k
	return cubicC*d*d*d*float64(c.mds) + c.wMax
}

// OnPacketsLost implements Controller.
func (c *CubicController) OnPacketsLost(now time.Time, lost []Packet, persistent bool) {
	if len(lost) == 0 {
		return
	}
	c.onCongestionEvent(now, lastSent(lost))
	if persistent {
		// RFC 9002, Section 7.6.2 and RFC 9438, Section 4.8: collapse to the
		// minimum window and slow-start back toward ssthresh.
		c.recoveryStart = time.Time{}
		c.cwnd = float64(MinimumWindow(c.mds))
		c.epoch = time.Time{}
	}
}

func (c *CubicController) onCongestionEvent(now, sentTime time.Time) {
	if c.InRecovery(sentTime) {
		return
	}
	c.recoveryStart = now
	c.epoch = time.Time{}
	c.hystart.stop()

	// Fast convergence (RFC 9438, Section 4.7).
	if c.cwnd < c.wMax {
		c.wMax = c.cwnd * (1 + cubicBeta) / 2
	} else {
		c.wMax = c.cwnd
	}
	c.cwndPrior = c.cwnd

	// Multiplicative decrease (RFC 9438, Section 4.6).
	c.ssthresh = max(c.cwnd*cubicBeta, float64(MinimumWindow(c.mds)))
	c.cwnd = c.ssthresh
}

// CanSend implements Controller.
func (c *CubicController) CanSend(bytesInFlight int) bool {
	return bytesInFlight < c.Window()
}

// Window implements Controller.
func (c *CubicController) Window() int { return int(c.cwnd) }

// SlowStartThreshold returns the slow start threshold in bytes; it is
// math.MaxInt before the first congestion event.
func (c *CubicController) SlowStartThreshold() int {
	if math.IsInf(c.ssthresh, 1) {
		return maxInt
	}
	return int(c.ssthresh)
}

// InSlowStart implements Controller.
func (c *CubicController) InSlowStart() bool { return c.cwnd < c.ssthresh }

// InRecovery implements Controller.
func (c *CubicController) InRecovery(sentTime time.Time) bool {
	return !c.recoveryStart.IsZero() && !sentTime.After(c.recoveryStart)
}

// NextSendTime implements Controller.
func (c *CubicController) NextSendTime(now time.Time) time.Time {
	return c.pacer.NextSendTime(now, c.Window(), c.mds)
}

// SetMaxDatagramSize implements Controller.
func (c *CubicController) SetMaxDatagramSize(n int) {
	c.mds = normalizeMDS(n)
	c.cwnd = max(c.cwnd, float64(MinimumWindow(c.mds)))
}

// MaxDatagramSize implements Controller.
func (c *CubicController) MaxDatagramSize() int { return c.mds }
