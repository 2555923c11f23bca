package recovery

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/congestion"
)

// simPath is a one-way bottleneck: packets are serialized at rate bytes
// per millisecond behind a drop-tail queue of queueMs milliseconds, then
// take delay to arrive. Random loss drops a fraction of packets before the
// queue.
type simPath struct {
	rate     int           // bytes per millisecond
	queue    time.Duration // longest queueing delay before drop-tail
	delay    time.Duration // one-way propagation delay
	loss     float64
	rng      *rand.Rand
	linkFree time.Time
	dropped  int
}

// send returns the arrival time of a packet of size bytes sent at now, or
// false if it was dropped.
func (p *simPath) send(now time.Time, size int) (time.Time, bool) {
	if p.rng.Float64() < p.loss {
		p.dropped++
		return time.Time{}, false
	}
	start := max64(now, p.linkFree)
	if start.Sub(now) > p.queue {
		p.dropped++
		return time.Time{}, false
	}
	p.linkFree = start.Add(time.Duration(size) * time.Millisecond / time.Duration(p.rate))
	return p.linkFree.Add(p.delay), true
}

func max64(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

type simPacket struct {
	pn     int64
	arrive time.Time
}

type simAck struct {
	ranges []AckRange
	delay  time.Duration
	arrive time.Time
}

// TestSimulatedTransfer runs a LossDetector, a congestion controller and
// an AckTracker against each other over a simulated bottleneck for a few
// seconds of synthetic time, then lets the flow drain. Every sent packet
// must be reported exactly once as acknowledged or lost, nothing may stay
// in flight, and the window must adapt to the path.
func TestSimulatedTransfer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alg   congestion.Algorithm
		loss  float64
		queue time.Duration
	}{
		{"cubic clean", congestion.CUBIC, 0, 40 * ms},
		{"cubic deep buffer", congestion.CUBIC, 0, 300 * ms},
		{"cubic 1% loss", congestion.CUBIC, 0.01, 40 * ms},
		{"newreno clean", congestion.NewReno, 0, 40 * ms},
		{"newreno 1% loss", congestion.NewReno, 0.01, 40 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runSim(t, tc.alg, tc.loss, tc.queue)
		})
	}
}

func runSim(t *testing.T, alg congestion.Algorithm, loss float64, queue time.Duration) {
	cc := congestion.New(congestion.Config{Algorithm: alg})
	d := NewLossDetector(Config{}, cc)
	d.SetHandshakeConfirmed()
	var recv AckTracker
	recv.Init(AppData, 0)
	path := simPath{rate: 1250, queue: queue, delay: 20 * ms, loss: loss,
		rng: rand.New(rand.NewPCG(1, 2))}
	var h recorder
	var inNet []simPacket
	var acks []simAck
	now := t0
	pn := int64(0)
	sendUntil := t0.Add(3 * time.Second)
	maxWindow := 0
	send := func() {
		d.OnPacketSent(now, AppData, pn, 1200, true, true)
		if at, ok := path.send(now, 1200); ok {
			inNet = append(inNet, simPacket{pn, at})
		}
		pn++
	}
	for tick := 0; tick < 20000; tick++ {
		now = now.Add(time.Millisecond)
		// Deliver data packets.
		kept := inNet[:0]
		for _, p := range inNet {
			if p.arrive.After(now) {
				kept = append(kept, p)
				continue
			}
			if !recv.IsDuplicate(p.pn) {
				recv.OnPacketReceived(now, p.pn, true)
			}
		}
		inNet = kept
		if recv.Pending() && recv.ShouldSendNow(now) {
			acks = append(acks, simAck{
				ranges: append([]AckRange(nil), recv.Ranges()...),
				delay:  recv.AckDelay(now),
				arrive: now.Add(path.delay),
			})
			recv.OnAckSent()
		}
		// Deliver ACKs (the reverse path is not congested).
		for len(acks) > 0 && !acks[0].arrive.After(now) {
			a := acks[0]
			acks = acks[1:]
			if err := d.OnAckReceived(now, AppData, a.ranges, a.delay, &h); err != nil {
				t.Fatalf("OnAckReceived: %v", err)
			}
		}
		if dl := d.Deadline(); !dl.IsZero() && !dl.After(now) {
			act := d.OnTimeout(now, &h)
			for range act.Probes {
				send()
			}
		}
		// Send new data as the window and the pacer allow.
		for n := 0; now.Before(sendUntil) && n < 100 && d.CanSend() &&
			!cc.NextSendTime(now).After(now); n++ {
			send()
		}
		maxWindow = max(maxWindow, cc.Window())
		if !now.Before(sendUntil) && d.BytesInFlight() == 0 && len(inNet) == 0 &&
			len(acks) == 0 {
			break
		}
	}
	if d.BytesInFlight() != 0 {
		t.Fatalf("%d bytes still in flight after draining", d.BytesInFlight())
	}
	if got := int64(len(h.acked) + len(h.lost)); got != pn {
		t.Fatalf("%d packets sent, %d acked + %d lost reported", pn, len(h.acked),
			len(h.lost))
	}
	if len(h.lost) < path.dropped {
		t.Fatalf("%d packets dropped but only %d declared lost", path.dropped, len(h.lost))
	}
	// The path carries 1250 bytes/ms for 3 s. A working controller moves
	// more than half of that on a clean path; with 1% random loss the Reno
	// response formula (1.22*MSS/(RTT*sqrt(p)), about 1.1 MB in 3 s at a
	// 40 ms RTT) bounds it lower, so ask for a quarter.
	need := int64(3 * 1250 * 1000 / 2)
	if loss > 0 {
		need /= 2
	}
	if pn*1200 < need {
		t.Fatalf("only %d packets sent in 3s over a 10 Mbit/s path", pn)
	}
	if maxWindow <= congestion.InitialWindow(1200) {
		t.Fatalf("window never grew: max %d", maxWindow)
	}
	// The bandwidth-delay product plus queue is about 50 kB + 50 kB; the
	// window must not run away far beyond it.
	if maxWindow > 1_000_000 {
		t.Fatalf("window ran away to %d bytes", maxWindow)
	}
	rtt := d.RTT()
	if rtt.Min() < 2*path.delay || rtt.Smoothed() > 2*path.delay+path.queue+50*ms {
		t.Fatalf("RTT estimate off: min %v srtt %v", rtt.Min(), rtt.Smoothed())
	}
	t.Logf("sent %d, dropped %d, lost %d, max window %d, srtt %v", pn, path.dropped,
		len(h.lost), maxWindow, rtt.Smoothed())
}
