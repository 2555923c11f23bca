package recovery_test

import (
	"fmt"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/recovery"
)

// conn stands for the connection: it keeps the frames of each packet and
// receives the outcome of ACK processing.
type conn struct{}

func (conn) PacketAcked(space recovery.Space, pn int64) {
	fmt.Printf("acked %v %d\n", space, pn)
}

func (conn) PacketLost(space recovery.Space, pn int64) {
	fmt.Printf("lost %v %d: rebuild its frames\n", space, pn)
}

// The connection's goroutine reports each sent packet and each ACK frame,
// and arms one timer at Deadline.
func ExampleLossDetector() {
	var c conn
	d := recovery.NewLossDetector(recovery.Config{}, nil)
	d.SetHandshakeConfirmed()
	start := time.Unix(0, 0)

	for pn := range int64(5) {
		d.OnPacketSent(start, recovery.AppData, pn, 1200, true, true)
	}
	// The peer acknowledges 0 and 4 only, 50 ms later.
	ranges := []recovery.AckRange{{Smallest: 4, Largest: 4}, {Smallest: 0, Largest: 0}}
	now := start.Add(50 * time.Millisecond)
	if err := d.OnAckReceived(now, recovery.AppData, ranges, 0, c); err != nil {
		fmt.Println("close with PROTOCOL_VIOLATION:", err)
		return
	}
	fmt.Println("srtt", d.RTT().Smoothed(), "in flight", d.BytesInFlight())

	// Packets 2 and 3 wait for the time threshold; the timer says when.
	deadline := d.Deadline()
	fmt.Println("timer in", deadline.Sub(now))
	action := d.OnTimeout(deadline, c)
	fmt.Println("timeout:", action.Kind, "in flight", d.BytesInFlight())

	// Output:
	// acked appdata 4
	// acked appdata 0
	// lost appdata 1: rebuild its frames
	// srtt 50ms in flight 2400
	// timer in 6.25ms
	// lost appdata 2: rebuild its frames
	// lost appdata 3: rebuild its frames
	// timeout: loss in flight 0
}

// An AckTracker per space decides when to acknowledge and what.
func ExampleAckTracker() {
	var t recovery.AckTracker
	t.Init(recovery.AppData, 25*time.Millisecond)
	now := time.Unix(0, 0)
	for _, pn := range []int64{0, 1, 3} {
		if t.IsDuplicate(pn) {
			continue // drop the packet unprocessed
		}
		t.OnPacketReceived(now, pn, true)
		fmt.Println("after", pn, "ack now:", t.ShouldSendNow(now))
	}
	fmt.Println("ranges", t.Ranges(), "delay", t.AckDelay(now.Add(time.Millisecond)))
	t.OnAckSent()

	// Output:
	// after 0 ack now: false
	// after 1 ack now: true
	// after 3 ack now: true
	// ranges [{3 3} {0 1}] delay 1ms
}
