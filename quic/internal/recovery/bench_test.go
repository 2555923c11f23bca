package recovery

import (
	"testing"
	"time"
)

// countHandler is a Handler that only counts, as a connection would update
// its per-packet records in place.
type countHandler struct{ acked, lost int }

func (c *countHandler) PacketAcked(Space, int64) { c.acked++ }
func (c *countHandler) PacketLost(Space, int64)  { c.lost++ }

// BenchmarkSendAck measures the per-packet cost in steady state: each
// iteration sends one packet, and every second iteration an ACK frame with
// two ranges (one gap) acknowledges the last two packets.
func BenchmarkSendAck(b *testing.B) {
	d := NewLossDetector(Config{}, nil)
	d.SetHandshakeConfirmed()
	var h countHandler
	now := t0
	ranges := make([]AckRange, 2)
	// Warm up so the ring and scratch slices reach their working size.
	pn := int64(0)
	step := func() {
		now = now.Add(10 * time.Microsecond)
		d.OnPacketSent(now, AppData, pn, 1200, true, true)
		if pn%2 == 1 {
			ranges[0] = AckRange{pn, pn}
			ranges[1] = AckRange{pn - 1, pn - 1}
			if pn >= 3 {
				ranges[1] = AckRange{0, pn - 2}
			}
			if err := d.OnAckReceived(now.Add(time.Millisecond), AppData,
				ranges[:2], 0, &h); err != nil {
				b.Fatal(err)
			}
			_ = d.Deadline()
		}
		pn++
	}
	for range 1000 {
		step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		step()
	}
	if h.acked == 0 {
		b.Fatal("nothing acknowledged")
	}
}

// BenchmarkAckTracker measures receiving a packet and building an ACK for
// every second one.
func BenchmarkAckTracker(b *testing.B) {
	var a AckTracker
	a.Init(AppData, 0)
	now := t0
	pn := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(10 * time.Microsecond)
		if !a.IsDuplicate(pn) {
			a.OnPacketReceived(now, pn, true)
		}
		if a.ShouldSendNow(now) {
			_ = a.Ranges()
			_ = a.AckDelay(now)
			a.OnAckSent()
			a.OnAckAcknowledged(pn - 8)
		}
		pn++
	}
}
