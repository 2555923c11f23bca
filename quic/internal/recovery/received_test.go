package recovery

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAckTrackerImmediateSpaces(t *testing.T) {
	for _, space := range []Space{Initial, Handshake} {
		var a AckTracker
		a.Init(space, 0)
		a.OnPacketReceived(t0, 0, true)
		if !a.ShouldSendNow(t0) {
			t.Errorf("%v: ack-eliciting packet not acknowledged immediately", space)
		}
		if a.AckDelay(t0.Add(5*ms)) != 0 {
			t.Errorf("%v: nonzero ack delay", space)
		}
	}
}

func TestAckTrackerDelayedAndThreshold(t *testing.T) {
	var a AckTracker
	a.Init(AppData, 20*ms)
	a.OnPacketReceived(t0, 0, true)
	if a.ShouldSendNow(t0) {
		t.Fatal("first in-order packet acknowledged immediately")
	}
	if got := a.AckDeadline(); !got.Equal(t0.Add(20 * ms)) {
		t.Fatalf("ack deadline = %v, want t0+20ms", got.Sub(t0))
	}
	if a.ShouldSendNow(t0.Add(20*ms-1)) || !a.ShouldSendNow(t0.Add(20*ms)) {
		t.Fatal("delayed ACK not due exactly at max_ack_delay")
	}
	// A non-ack-eliciting packet neither triggers nor moves the deadline.
	a.OnPacketReceived(t0.Add(ms), 1, false)
	if a.ShouldSendNow(t0.Add(ms)) || !a.AckDeadline().Equal(t0.Add(20*ms)) {
		t.Fatal("non-ack-eliciting packet changed the ACK schedule")
	}
	// The second ack-eliciting packet triggers an immediate ACK.
	a.OnPacketReceived(t0.Add(2*ms), 2, true)
	if !a.ShouldSendNow(t0.Add(2 * ms)) {
		t.Fatal("second ack-eliciting packet not acknowledged immediately")
	}
	if got := a.AckDelay(t0.Add(5 * ms)); got != 3*ms {
		t.Fatalf("ack delay = %v, want 3ms since the largest arrived", got)
	}
	a.OnAckSent()
	if a.ShouldSendNow(t0.Add(time.Hour)) || !a.AckDeadline().IsZero() || a.Pending() {
		t.Fatal("state not reset after OnAckSent")
	}
	a.OnPacketReceived(t0.Add(3*ms), 3, true)
	if a.ShouldSendNow(t0.Add(3 * ms)) {
		t.Fatal("count not reset after OnAckSent")
	}
}

func TestAckTrackerOutOfOrder(t *testing.T) {
	var a AckTracker
	a.Init(AppData, 0)
	a.OnPacketReceived(t0, 0, true)
	a.OnAckSent()
	// A gap above the largest: immediate.
	a.OnPacketReceived(t0, 5, true)
	if !a.ShouldSendNow(t0) {
		t.Fatal("packet after a gap not acknowledged immediately")
	}
	a.OnAckSent()
	// Filling below the largest: immediate.
	a.OnPacketReceived(t0, 3, true)
	if !a.ShouldSendNow(t0) {
		t.Fatal("reordered packet not acknowledged immediately")
	}
	want := []AckRange{{5, 5}, {3, 3}, {0, 0}}
	if diff := cmp.Diff(want, a.Ranges()); diff != "" {
		t.Fatalf("ranges (-want +got):\n%s", diff)
	}
}

func TestAckTrackerMergeAndDuplicates(t *testing.T) {
	var a AckTracker
	a.Init(AppData, 0)
	for _, pn := range []int64{1, 2, 6, 4, 8, 5, 0, 9, 3} {
		if a.IsDuplicate(pn) {
			t.Fatalf("fresh packet %d reported duplicate", pn)
		}
		a.OnPacketReceived(t0, pn, true)
		if !a.IsDuplicate(pn) {
			t.Fatalf("packet %d not a duplicate after receipt", pn)
		}
	}
	want := []AckRange{{8, 9}, {0, 6}}
	if diff := cmp.Diff(want, a.Ranges()); diff != "" {
		t.Fatalf("ranges (-want +got):\n%s", diff)
	}
	if a.IsDuplicate(7) || a.IsDuplicate(10) {
		t.Fatal("missing packet reported duplicate")
	}
	// Receiving a duplicate changes nothing.
	a.OnPacketReceived(t0, 5, true)
	if diff := cmp.Diff(want, a.Ranges()); diff != "" {
		t.Fatalf("duplicate changed ranges:\n%s", diff)
	}
	a.OnPacketReceived(t0, 7, true)
	if diff := cmp.Diff([]AckRange{{0, 9}}, a.Ranges()); diff != "" {
		t.Fatalf("filling the gap did not merge:\n%s", diff)
	}
}

func TestAckTrackerRangeBound(t *testing.T) {
	var a AckTracker
	a.Init(AppData, 0)
	// Every even packet number: one range each.
	n := int64(MaxAckRanges + 10)
	for i := range n {
		a.OnPacketReceived(t0, 2*i, true)
	}
	r := a.Ranges()
	if len(r) != MaxAckRanges {
		t.Fatalf("%d ranges kept, want %d", len(r), MaxAckRanges)
	}
	// The newest MaxAckRanges survive, largest first.
	if r[0].Largest != 2*(n-1) || r[len(r)-1].Smallest != 2*(n-MaxAckRanges) {
		t.Fatalf("kept ranges %v .. %v", r[0], r[len(r)-1])
	}
	// Forgotten packet numbers count as duplicates; so does anything below.
	if !a.IsDuplicate(0) || !a.IsDuplicate(1) {
		t.Fatal("packets below the dropped ranges not treated as duplicates")
	}
	if a.IsDuplicate(2*(n-MaxAckRanges) + 1) {
		t.Fatal("gap inside the kept ranges reported duplicate")
	}
}

func TestAckTrackerOnAckAcknowledged(t *testing.T) {
	var a AckTracker
	a.Init(AppData, 0)
	for _, pn := range []int64{0, 1, 2, 4, 5, 6, 9} {
		a.OnPacketReceived(t0, pn, true)
	}
	a.OnAckAcknowledged(4)
	want := []AckRange{{9, 9}, {5, 6}}
	if diff := cmp.Diff(want, a.Ranges()); diff != "" {
		t.Fatalf("ranges after peer acked our ACK (-want +got):\n%s", diff)
	}
	if !a.IsDuplicate(3) || a.IsDuplicate(7) {
		t.Fatal("floor not applied to duplicate detection")
	}
	// An older acknowledgment does not bring anything back.
	a.OnAckAcknowledged(2)
	if diff := cmp.Diff(want, a.Ranges()); diff != "" {
		t.Fatalf("older ack changed ranges:\n%s", diff)
	}
	a.OnAckAcknowledged(9)
	if len(a.Ranges()) != 0 || !a.IsDuplicate(9) || a.IsDuplicate(10) {
		t.Fatalf("after acking everything: ranges %v", a.Ranges())
	}
	if a.Pending() || a.ShouldSendNow(t0.Add(time.Hour)) {
		t.Fatal("an ACK is still owed with nothing left to acknowledge")
	}
	// The largest received survives, for packet number decoding, and the
	// next in-order packet is not mistaken for reordering.
	if a.Largest() != 9 {
		t.Fatalf("Largest = %d after trimming, want 9", a.Largest())
	}
	a.OnAckSent()
	a.OnPacketReceived(t0, 10, true)
	if a.ShouldSendNow(t0) {
		t.Fatal("in-order packet after trimming acknowledged immediately")
	}
	a.OnPacketReceived(t0, 12, true)
	if !a.ShouldSendNow(t0) {
		t.Fatal("gap after trimming not acknowledged immediately")
	}
	if diff := cmp.Diff([]AckRange{{12, 12}, {10, 10}}, a.Ranges()); diff != "" {
		t.Fatalf("ranges after trimming (-want +got):\n%s", diff)
	}
}
