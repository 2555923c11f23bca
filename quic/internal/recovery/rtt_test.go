package recovery

import (
	"math"
	"testing"
	"time"
)

const ms = time.Millisecond

func TestRTTInitialState(t *testing.T) {
	var r RTT
	r.Reset(0)
	if r.Smoothed() != DefaultInitialRTT || r.Var() != DefaultInitialRTT/2 || r.HasSample() {
		t.Fatalf("initial state: srtt %v var %v sample %v", r.Smoothed(), r.Var(), r.HasSample())
	}
	r.Reset(100 * ms)
	if r.Smoothed() != 100*ms || r.Var() != 50*ms {
		t.Fatalf("configured initial RTT: srtt %v var %v", r.Smoothed(), r.Var())
	}
	if got, want := r.PTOBase(), 100*ms+200*ms; got != want {
		t.Fatalf("PTOBase = %v, want %v", got, want)
	}
}

// TestRTTSequence checks the estimator against RFC 9002, Section 5.3,
// recomputing the expected values from the formulas for each step.
func TestRTTSequence(t *testing.T) {
	samples := []struct{ latest, ackDelay time.Duration }{
		{100 * ms, 0},       // first sample: srtt = latest, var = latest/2
		{140 * ms, 20 * ms}, // 140 >= min+20: adjusted = 120
		{110 * ms, 20 * ms}, // 110 < min+20: ack delay not subtracted
		{90 * ms, 5 * ms},   // new min_rtt: 90 < 90+5, delay not subtracted
		{300 * ms, 50 * ms}, // large sample: adjusted = 250
	}
	var r RTT
	r.Reset(DefaultInitialRTT)
	var srtt, rttvar, minRTT time.Duration
	for i, s := range samples {
		r.Update(s.latest, s.ackDelay)
		if i == 0 {
			minRTT, srtt, rttvar = s.latest, s.latest, s.latest/2
		} else {
			minRTT = min(minRTT, s.latest)
			adj := s.latest
			if s.latest >= minRTT+s.ackDelay {
				adj = s.latest - s.ackDelay
			}
			d := srtt - adj
			if d < 0 {
				d = -d
			}
			rttvar = (3*rttvar + d) / 4
			srtt = (7*srtt + adj) / 8
		}
		if r.Smoothed() != srtt || r.Var() != rttvar || r.Min() != minRTT ||
			r.Latest() != s.latest {
			t.Fatalf("step %d: got srtt %v var %v min %v latest %v, "+
				"want %v %v %v %v", i, r.Smoothed(), r.Var(), r.Min(), r.Latest(),
				srtt, rttvar, minRTT, s.latest)
		}
	}
	// Spot-check the second step by hand: (7*100 + 120)/8 = 102.5 ms and
	// (3*50 + 20)/4 = 42.5 ms.
	var h RTT
	h.Reset(0)
	h.Update(100*ms, 0)
	h.Update(140*ms, 20*ms)
	if h.Smoothed() != 102500*time.Microsecond || h.Var() != 42500*time.Microsecond {
		t.Fatalf("hand-computed step: srtt %v var %v", h.Smoothed(), h.Var())
	}
}

// TestAckDelayPolicy checks how the detector adjusts the peer's ack delay
// before sampling (RFC 9002, Section 5.3).
func TestAckDelayPolicy(t *testing.T) {
	t0 := time.Unix(1000, 0)
	cases := []struct {
		name      string
		space     Space
		confirmed bool
		ackDelay  time.Duration
		wantSRTT  time.Duration
	}{
		// Second sample latest 200 ms after a first of 100 ms; min is 100.
		{"initial ignores delay", Initial, false, 50 * ms, (7*100*ms + 200*ms) / 8},
		{"unconfirmed uses full delay", Handshake, false, 50 * ms,
			(7*100*ms + 150*ms) / 8},
		{"confirmed caps at max_ack_delay", AppData, true, 50 * ms,
			(7*100*ms + 175*ms) / 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewLossDetector(Config{MaxAckDelay: 25 * ms}, nil)
			if c.confirmed {
				d.SetHandshakeConfirmed()
			}
			d.OnPacketSent(t0, c.space, 0, 1200, true, true)
			mustAck(t, d, t0.Add(100*ms), c.space, 0, 0, c.ackDelay)
			d.OnPacketSent(t0.Add(100*ms), c.space, 1, 1200, true, true)
			mustAck(t, d, t0.Add(300*ms), c.space, 1, 1, c.ackDelay)
			if got := d.RTT().Smoothed(); got != c.wantSRTT {
				t.Fatalf("srtt = %v, want %v", got, c.wantSRTT)
			}
		})
	}
}

func mustAck(t testing.TB, d *LossDetector, now time.Time, space Space,
	smallest, largest int64, ackDelay time.Duration) {
	t.Helper()
	err := d.OnAckReceived(now, space, []AckRange{{smallest, largest}}, ackDelay, nil)
	if err != nil {
		t.Fatalf("OnAckReceived(%d-%d): %v", smallest, largest, err)
	}
}

func TestRTTHugeAckDelay(t *testing.T) {
	var r RTT
	r.Reset(0)
	r.Update(100*ms, 0)
	for _, delay := range []time.Duration{math.MaxInt64, math.MaxInt64 - 50*ms, -time.Hour} {
		r.Update(120*ms, delay)
		if r.Smoothed() <= 0 || r.Smoothed() > 120*ms || r.Var() < 0 {
			t.Fatalf("ack delay %v: srtt %v var %v", delay, r.Smoothed(), r.Var())
		}
	}
}
