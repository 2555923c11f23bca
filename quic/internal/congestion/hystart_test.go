package congestion

import (
	"testing"
	"time"
)

// slowStartRound sends a full window at now, then acknowledges it one
// packet per ACK frame one RTT later, with every sample equal to rtt. It
// returns the time after the round.
func slowStartRound(f *flow, now time.Time, rtt time.Duration) time.Time {
	n := f.fill(now)
	f.rtt.Latest = rtt
	now = now.Add(rtt)
	f.ack(now, n)
	return now
}

func TestHyStartCSSAndExit(t *testing.T) {
	c := NewCubic(mds)
	f := newFlow(c)
	now := t0
	// Two rounds at 100 ms: plain slow start doubles the window.
	for range 2 {
		now = slowStartRound(f, now, 100*ms)
	}
	w := c.Window()
	if w != 4*InitialWindow(mds) || !c.InSlowStart() {
		t.Fatalf("slow start window %d", w)
	}
	// The RTT rises past lastRoundMin + clamp(lastRoundMin/8, 4ms, 16ms) =
	// 112.5 ms: after eight samples CSS starts and growth is a quarter of the
	// acknowledged bytes (RFC 9406, Section 4.2).
	n := f.fill(now)
	f.rtt.Latest = 120 * ms
	now = now.Add(120 * ms)
	f.ack(now, n)
	// The first 8 ACKs grow at full rate, the remaining n-8 at a quarter.
	want := w + 8*mds + (n-8)*mds/hsCSSGrowthDiv
	if c.Window() != want || !c.hystart.inCSS || !c.InSlowStart() {
		t.Fatalf("window %d (want %d), in CSS %v", c.Window(), want, c.hystart.inCSS)
	}
	// CSS lasts hsCSSRounds rounds, then congestion avoidance begins with
	// ssthresh at the window; no packet was lost.
	rounds := 0
	for c.InSlowStart() && rounds < 10 {
		now = slowStartRound(f, now, 120*ms)
		rounds++
	}
	if c.InSlowStart() || rounds != hsCSSRounds {
		t.Fatalf("left slow start after %d CSS rounds, want %d", rounds, hsCSSRounds)
	}
	// ssthresh took the window at the start of the last round; the rest of
	// that round grew it in congestion avoidance, by less than half.
	ss := c.SlowStartThreshold()
	if ss <= want || c.Window() < ss || c.Window() >= ss+ss/2 {
		t.Fatalf("ssthresh %d, window %d, window at CSS entry %d", ss, c.Window(), want)
	}
}

func TestHyStartSpuriousCSS(t *testing.T) {
	c := NewCubic(mds)
	f := newFlow(c)
	now := t0
	for range 2 {
		now = slowStartRound(f, now, 100*ms)
	}
	now = slowStartRound(f, now, 120*ms)
	if !c.hystart.inCSS {
		t.Fatal("CSS not entered")
	}
	// The RTT drops below the CSS baseline: back to full slow start.
	now = slowStartRound(f, now, 100*ms)
	if c.hystart.inCSS || !c.InSlowStart() {
		t.Fatalf("still in CSS after the RTT fell; slow start %v", c.InSlowStart())
	}
	_ = now
}

func TestHyStartDisabled(t *testing.T) {
	c := New(Config{DisableHyStart: true}).(*CubicController)
	f := newFlow(c)
	now := t0
	for range 2 {
		now = slowStartRound(f, now, 100*ms)
	}
	w := c.Window()
	slowStartRound(f, now, 200*ms)
	if c.Window() != 2*w {
		t.Fatalf("window %d, want plain doubling to %d", c.Window(), 2*w)
	}
}
