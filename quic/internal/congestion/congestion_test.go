package congestion

import (
	"math"
	"testing"
	"time"
)

const (
	ms  = time.Millisecond
	mds = 1200
)

var t0 = time.Unix(1_000_000, 0)

// flow drives a Controller the way the recovery layer does: it tracks
// bytes in flight and the send times of outstanding packets.
type flow struct {
	cc       Controller
	inFlight int
	sent     []time.Time // send times of outstanding packets, oldest first
	rtt      RTTStats
	scratch  []Packet
}

func newFlow(cc Controller) *flow {
	return &flow{cc: cc, rtt: RTTStats{Latest: 100 * ms, Min: 100 * ms, Smoothed: 100 * ms}}
}

// fill sends full-sized packets at now until the window is full.
func (f *flow) fill(now time.Time) int {
	n := 0
	for f.cc.CanSend(f.inFlight) && n < 100000 {
		f.inFlight += mds
		f.sent = append(f.sent, now)
		f.cc.OnPacketSent(now, mds, f.inFlight)
		n++
	}
	return n
}

// ack acknowledges the oldest n outstanding packets, one ACK frame each.
func (f *flow) ack(now time.Time, n int) {
	for range n {
		prior := f.inFlight
		f.scratch = append(f.scratch[:0], Packet{SentTime: f.sent[0], Bytes: mds})
		f.sent = f.sent[1:]
		f.inFlight -= mds
		f.cc.OnPacketsAcked(now, f.scratch, prior, f.rtt)
	}
}

// lose declares the oldest outstanding packet lost.
func (f *flow) lose(now time.Time, persistent bool) {
	f.scratch = append(f.scratch[:0], Packet{SentTime: f.sent[0], Bytes: mds})
	f.sent = f.sent[1:]
	f.inFlight -= mds
	f.cc.OnPacketsLost(now, f.scratch, persistent)
}

func TestWindows(t *testing.T) {
	if got := InitialWindow(1200); got != 12000 {
		t.Errorf("InitialWindow(1200) = %d, want 12000", got)
	}
	if got := InitialWindow(1500); got != 14720 {
		t.Errorf("InitialWindow(1500) = %d, want 14720", got)
	}
	if got := InitialWindow(9000); got != 18000 {
		t.Errorf("InitialWindow(9000) = %d, want 18000", got)
	}
	if got := MinimumWindow(1200); got != 2400 {
		t.Errorf("MinimumWindow(1200) = %d, want 2400", got)
	}
	for _, cc := range []Controller{New(Config{}), New(Config{Algorithm: NewReno})} {
		if cc.Window() != 12000 || !cc.InSlowStart() || cc.MaxDatagramSize() != 1200 {
			t.Errorf("%T: window %d slow start %v mds %d", cc, cc.Window(),
				cc.InSlowStart(), cc.MaxDatagramSize())
		}
	}
	if _, ok := New(Config{}).(*CubicController); !ok {
		t.Error("default algorithm is not CUBIC")
	}
}

func TestNewRenoEvolution(t *testing.T) {
	c := NewNewReno(mds)
	f := newFlow(c)
	now := t0

	// Slow start: each acknowledged byte grows the window by one byte, so
	// each round trip doubles it.
	want := InitialWindow(mds)
	for round := range 3 {
		n := f.fill(now)
		if n != want/mds {
			t.Fatalf("round %d: sent %d packets into window %d", round, n, want)
		}
		now = now.Add(100 * ms)
		f.ack(now, n)
		want *= 2
		if c.Window() != want || !c.InSlowStart() {
			t.Fatalf("round %d: window %d, want %d", round, c.Window(), want)
		}
	}

	// A loss halves the window and starts a recovery period.
	f.fill(now)
	now = now.Add(100 * ms)
	f.lose(now, false)
	want /= 2
	if c.Window() != want || c.SlowStartThreshold() != want || c.InSlowStart() {
		t.Fatalf("after loss: window %d ssthresh %d, want %d", c.Window(),
			c.SlowStartThreshold(), want)
	}
	// A second loss of a packet sent before recovery began changes nothing,
	// and neither do acknowledgments of such packets.
	f.lose(now, false)
	f.ack(now, 10)
	if c.Window() != want {
		t.Fatalf("in recovery: window %d, want %d", c.Window(), want)
	}

	// Congestion avoidance: acknowledge everything old, then send new
	// packets; one window's worth of acknowledged bytes adds one mds.
	f.ack(now, len(f.sent))
	now = now.Add(ms)
	for round := range 3 {
		n := f.fill(now)
		now = now.Add(100 * ms)
		f.ack(now, n)
		want += mds
		if c.Window() != want {
			t.Fatalf("CA round %d: window %d, want %d", round, c.Window(), want)
		}
	}

	// Persistent congestion collapses the window to the minimum.
	f.fill(now)
	now = now.Add(100 * ms)
	f.lose(now, true)
	if c.Window() != MinimumWindow(mds) {
		t.Fatalf("persistent congestion: window %d", c.Window())
	}
	// Never below the minimum window, however many losses.
	for range 5 {
		now = now.Add(time.Second)
		f.fill(now)
		now = now.Add(time.Second)
		f.lose(now, false)
	}
	if c.Window() != MinimumWindow(mds) {
		t.Fatalf("after repeated losses: window %d", c.Window())
	}
}

func TestNewRenoAppLimited(t *testing.T) {
	c := NewNewReno(mds)
	f := newFlow(c)
	// Send only two packets (a tenth of the window): their ACKs must not
	// grow the window (RFC 9002, Section 7.8).
	for range 10 {
		f.inFlight += mds
		f.sent = append(f.sent, t0)
		c.OnPacketSent(t0, mds, f.inFlight)
		f.inFlight += mds
		f.sent = append(f.sent, t0)
		c.OnPacketSent(t0, mds, f.inFlight)
		f.ack(t0.Add(100*ms), 2)
	}
	if c.Window() != InitialWindow(mds) {
		t.Fatalf("app-limited window grew to %d", c.Window())
	}
}

// cubicModel recomputes CUBIC's congestion avoidance from RFC 9438's
// formulas for one acknowledged packet at a time, in segments.
type cubicModel struct {
	cwnd, wMax, k, wEst, prior float64 // segments
	epoch                      time.Time
}

func (m *cubicModel) onAck(now time.Time, rtt time.Duration) {
	const c, beta = 0.4, 0.7
	if m.epoch.IsZero() {
		m.epoch = now
		m.wEst = m.cwnd
		m.k = math.Cbrt((m.wMax - m.cwnd) / c) // Figure 2, cwnd_epoch = cwnd
	}
	w := func(t float64) float64 { return c*math.Pow(t-m.k, 3) + m.wMax } // Figure 1
	t := now.Sub(m.epoch).Seconds()
	alpha := 3 * (1 - beta) / (1 + beta) // Figure 4
	if m.wEst >= m.prior {
		alpha = 1
	}
	m.wEst += alpha / m.cwnd // one segment acknowledged
	if w(t) < m.wEst {
		m.cwnd = m.wEst // Reno-friendly region
		return
	}
	target := math.Min(math.Max(w(t+rtt.Seconds()), m.cwnd), 1.5*m.cwnd)
	m.cwnd += (target - m.cwnd) / m.cwnd
}

func TestCubicEvolution(t *testing.T) {
	c := NewCubic(mds)
	f := newFlow(c)
	now := t0

	// Slow start as in NewReno.
	for range 2 {
		n := f.fill(now)
		now = now.Add(100 * ms)
		f.ack(now, n)
	}
	w0 := float64(4 * InitialWindow(mds))
	if float64(c.Window()) != w0 || !c.InSlowStart() {
		t.Fatalf("slow start: window %d, want %v", c.Window(), w0)
	}

	// Loss: multiplicative decrease by beta = 0.7 (RFC 9438, Section 4.6).
	f.fill(now)
	now = now.Add(100 * ms)
	f.lose(now, false)
	if want := int(w0 * 0.7); c.Window() != want || c.SlowStartThreshold() != want {
		t.Fatalf("after loss: window %d ssthresh %d, want %d", c.Window(),
			c.SlowStartThreshold(), want)
	}
	f.ack(now, len(f.sent)) // all sent before recovery: no growth
	if c.Window() != int(w0*0.7) {
		t.Fatalf("recovery grew the window to %d", c.Window())
	}

	// Congestion avoidance, packet by packet, against the model.
	m := cubicModel{cwnd: w0 * 0.7 / mds, wMax: w0 / mds, prior: w0 / mds}
	now = now.Add(ms)
	peak := 0.0
	for round := range 40 {
		n := f.fill(now)
		now = now.Add(100 * ms)
		for range n {
			f.ack(now, 1)
			m.onAck(now, f.rtt.Smoothed)
		}
		got, want := float64(c.Window()), m.cwnd*mds
		if math.Abs(got-want) > 1 {
			t.Fatalf("CA round %d: window %v, model %v", round, got, want)
		}
		peak = max(peak, got)
	}
	// After 4 s the curve has passed the plateau at W_max (K is about 2.4 s
	// here) and entered the convex region.
	if peak <= w0 {
		t.Fatalf("window %v never passed W_max %v", peak, w0)
	}
}

func TestCubicFastConvergenceAndPersistent(t *testing.T) {
	c := NewCubic(mds)
	f := newFlow(c)
	now := t0
	f.fill(now)
	now = now.Add(100 * ms)
	f.lose(now, false)
	f.ack(now, len(f.sent))
	now = now.Add(ms)

	// Fast convergence (RFC 9438, Section 4.7): a loss below W_max lowers
	// W_max to cwnd*(1+beta)/2.
	before := c.cwnd
	c.wMax = before + 10*mds // pretend the last maximum was higher
	f.fill(now)
	now = now.Add(100 * ms)
	f.lose(now, false)
	if c.wMax != before*(1+0.7)/2 {
		t.Fatalf("fast convergence: W_max %v, want %v", c.wMax, before*(1+0.7)/2)
	}
	if c.Window() != int(before*0.7) {
		t.Fatalf("window %d after second loss, want %d", c.Window(), int(before*0.7))
	}

	// Persistent congestion: minimum window, slow start again.
	f.ack(now, len(f.sent))
	now = now.Add(ms)
	f.fill(now)
	now = now.Add(time.Second)
	f.lose(now, true)
	if c.Window() != MinimumWindow(mds) || !c.InSlowStart() {
		t.Fatalf("persistent congestion: window %d slow start %v", c.Window(),
			c.InSlowStart())
	}
}
