package congestion

import "time"

// HyStart++ constants (RFC 9406, Section 4.3).
const (
	hsMinRTTThresh  = 4 * time.Millisecond
	hsMaxRTTThresh  = 16 * time.Millisecond
	hsMinRTTDivisor = 8
	hsNRTTSample    = 8
	hsCSSGrowthDiv  = 4
	hsCSSRounds     = 5
)

// hyStart is the HyStart++ slow start exit of RFC 9406. It watches the
// minimum RTT of each round trip during slow start; when it rises by more
// than a threshold, slow start gives way to Conservative Slow Start (CSS),
// which grows the window four times slower, and after hsCSSRounds rounds of
// CSS the sender enters congestion avoidance without having lost a packet.
// Rounds are delimited by send times: a round ends when a packet sent at or
// after its start is acknowledged.
type hyStart struct {
	roundStart   time.Time
	lastRoundMin time.Duration // zero: no complete round yet
	curRoundMin  time.Duration // zero: no sample in this round yet
	samples      int           // RTT samples in this round

	inCSS       bool
	cssBaseline time.Duration
	cssRounds   int
	done        bool // slow start has ended; HyStart++ is off
}

// onAck handles one ACK frame's worth of packets during slow start and
// returns the divisor to apply to this ACK's slow start growth (1 in slow
// start, hsCSSGrowthDiv in CSS) and whether slow start must end now. As in
// RFC 9406, Section 4.2, the window grows in the current mode before the
// new RTT sample may change the mode.
func (h *hyStart) onAck(now time.Time, acked []Packet, latest time.Duration) (int, bool) {
	if h.done {
		return 1, false
	}
	if h.newRound(acked) {
		h.roundStart = now
		h.lastRoundMin, h.curRoundMin = h.curRoundMin, 0
		h.samples = 0
		if h.inCSS {
			h.cssRounds++
			if h.cssRounds >= hsCSSRounds {
				// RFC 9406, Section 4.2: CSS lasted long enough; enter
				// congestion avoidance.
				h.stop()
				return hsCSSGrowthDiv, true
			}
		}
	}
	div := 1
	if h.inCSS {
		div = hsCSSGrowthDiv
	}
	if latest > 0 {
		if h.curRoundMin == 0 || latest < h.curRoundMin {
			h.curRoundMin = latest
		}
		h.samples++
	}
	if h.samples < hsNRTTSample || h.lastRoundMin == 0 {
		return div, false
	}
	if h.inCSS {
		// RFC 9406, Section 4.2: an RTT back below the baseline means the
		// increase was spurious; resume slow start.
		if h.curRoundMin < h.cssBaseline {
			h.inCSS = false
		}
		return div, false
	}
	thresh := min(max(h.lastRoundMin/hsMinRTTDivisor, hsMinRTTThresh), hsMaxRTTThresh)
	if h.curRoundMin >= h.lastRoundMin+thresh {
		h.inCSS = true
		h.cssBaseline = h.curRoundMin
		h.cssRounds = 0
	}
	return div, false
}

func (h *hyStart) newRound(acked []Packet) bool {
	for i := range acked {
		if !acked[i].SentTime.Before(h.roundStart) {
			return true
		}
	}
	return false
}

// stop turns HyStart++ off, on a congestion event (RFC 9406, Section 4.2).
func (h *hyStart) stop() { h.done = true; h.inCSS = false }
