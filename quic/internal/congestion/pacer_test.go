package congestion

import (
	"testing"
	"time"
)

func TestPacerSpacing(t *testing.T) {
	var p Pacer
	const window = 12000
	srtt := 100 * ms
	p.SetRTT(srtt)
	now := t0
	// RFC 9002, Section 7.7: rate = 1.25 * cwnd / srtt bytes per unit time.
	rate := 1.25 * window / float64(srtt) // bytes per ns
	interval := time.Duration(float64(mds) / rate)

	var times []time.Time
	for len(times) < 30 {
		next := p.NextSendTime(now, window, mds)
		if next.After(now) {
			now = next
			continue
		}
		p.OnPacketSent(now, mds, window, mds)
		times = append(times, now)
	}
	// The first ten go out at once: a burst the size of the initial window.
	for i := 1; i < burstPackets; i++ {
		if !times[i].Equal(t0) {
			t.Fatalf("burst packet %d delayed by %v", i, times[i].Sub(t0))
		}
	}
	// Then one packet per interval (8 ms here), within a few nanoseconds of
	// rounding.
	if interval != 8*ms {
		t.Fatalf("interval = %v, want 8ms", interval)
	}
	for i := burstPackets; i < len(times); i++ {
		gap := times[i].Sub(times[i-1])
		if d := gap - interval; d < 0 || d > 10 {
			t.Fatalf("packet %d: gap %v, want %v", i, gap, interval)
		}
	}
}

func TestPacerRefillAndCap(t *testing.T) {
	var p Pacer
	p.SetRTT(100 * ms)
	const window = 12000
	now := t0
	for range 20 {
		p.OnPacketSent(now, mds, window, mds)
	}
	if !p.NextSendTime(now, window, mds).After(now) {
		t.Fatal("empty budget did not delay the next packet")
	}
	// After a long idle period the budget is capped at ten packets.
	now = now.Add(10 * time.Second)
	sent := 0
	for p.NextSendTime(now, window, mds).Equal(now) && sent < 100 {
		p.OnPacketSent(now, mds, window, mds)
		sent++
	}
	if sent != burstPackets {
		t.Fatalf("burst after idle = %d packets, want %d", sent, burstPackets)
	}
}

func TestPacerNoRTT(t *testing.T) {
	var p Pacer
	for range 100 {
		p.OnPacketSent(t0, mds, 12000, mds)
	}
	if got := p.NextSendTime(t0, 12000, mds); !got.Equal(t0) {
		t.Fatalf("pacer without RTT delayed to %v", got)
	}
}

func TestControllerPacing(t *testing.T) {
	// Through the controller: the RTT comes from OnPacketsAcked.
	c := NewNewReno(mds)
	f := newFlow(c)
	n := f.fill(t0)
	f.ack(t0.Add(100*ms), n)
	now := t0.Add(100 * ms)
	for range 20 {
		f.inFlight += mds
		c.OnPacketSent(now, mds, f.inFlight)
	}
	next := c.NextSendTime(now)
	// Window 24000, srtt 100 ms: 300 bytes per ms, 4 ms per packet.
	if d := next.Sub(now); d < 4*ms || d > 4*ms+10 {
		t.Fatalf("next send in %v, want 4ms", d)
	}
}

func BenchmarkCubicAckLoop(b *testing.B) {
	c := NewCubic(mds)
	now := t0
	inFlight := 0
	pkts := make([]Packet, 2)
	rtt := RTTStats{Latest: 20 * ms, Min: 20 * ms, Smoothed: 20 * ms}
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(10 * time.Microsecond)
		for i := range pkts {
			inFlight += mds
			c.OnPacketSent(now, mds, inFlight)
			pkts[i] = Packet{SentTime: now.Add(-20 * ms), Bytes: mds}
		}
		c.OnPacketsAcked(now, pkts, inFlight, rtt)
		inFlight -= 2 * mds
		_ = c.NextSendTime(now)
		if c.Window() > 1<<26 {
			c.OnPacketsLost(now, pkts[:1], false)
		}
	}
}
