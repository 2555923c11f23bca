package recovery

import "time"

const (
	// MaxAckRanges bounds the ranges an AckTracker remembers. When a new
	// gap would exceed it, the oldest (lowest) range is dropped and its
	// packet numbers are from then on treated as duplicates.
	MaxAckRanges = 64

	// ackElicitingThreshold is how many ack-eliciting packets may arrive
	// before an ACK is sent at once (RFC 9000, Section 13.2.2).
	ackElicitingThreshold = 2

	// DefaultLocalMaxAckDelay is the max_ack_delay this endpoint advertises
	// by default: the delay it allows itself before acknowledging
	// application data.
	DefaultLocalMaxAckDelay = 25 * time.Millisecond
)

// An AckTracker records the packet numbers received in one packet number
// space and decides when the connection must send an ACK frame and what it
// contains (RFC 9000, Section 13.2).
//
// The connection calls, for each packet of the space that decrypts:
// IsDuplicate first (and drops the packet if it is), then, after processing
// its frames, OnPacketReceived. Before building a packet it asks
// ShouldSendNow or AckDeadline (its timer) and, when it includes an ACK
// frame, writes Ranges and AckDelay, then calls OnAckSent. When a packet that
// carried an ACK frame is itself acknowledged, it calls OnAckAcknowledged
// with that frame's largest acknowledged number.
//
// The zero value is not ready for use; call Init first. An AckTracker is not
// safe for concurrent use. It never reads the clock and does not allocate
// after Init.
type AckTracker struct {
	space       Space
	maxAckDelay time.Duration

	// ranges holds the received packet numbers, largest range first. Its
	// backing array has room for MaxAckRanges+1 entries.
	ranges []AckRange
	// floor: packet numbers below it are no longer tracked and count as
	// duplicates.
	floor int64
	// largest is the largest packet number ever received, or -1. It
	// survives the trimming of ranges, since packet number decoding
	// (RFC 9000, Section 17.1) needs it.
	largest int64

	largestTime      time.Time // when the largest packet number was received
	unackedEliciting int       // ack-eliciting packets since the last ACK sent
	pending          bool      // packets received that no sent ACK covers
	immediate        bool      // an ACK must be sent now
	deadline         time.Time // when a delayed ACK is due; zero if none
}

// Init prepares t for space with a local max_ack_delay of maxAckDelay (zero
// means DefaultLocalMaxAckDelay). Initial and Handshake packets are always
// acknowledged at once (RFC 9000, Section 13.2.1).
func (t *AckTracker) Init(space Space, maxAckDelay time.Duration) {
	if maxAckDelay <= 0 {
		maxAckDelay = DefaultLocalMaxAckDelay
	}
	*t = AckTracker{
		space:       space,
		maxAckDelay: maxAckDelay,
		ranges:      make([]AckRange, 0, MaxAckRanges+1),
		largest:     -1,
	}
}

// IsDuplicate reports whether pn was already received, or is below what the
// tracker still remembers; the connection must drop such a packet without
// processing its frames (RFC 9000, Section 12.3).
func (t *AckTracker) IsDuplicate(pn int64) bool {
	if pn < t.floor {
		return true
	}
	// Ranges are largest first; most packets land at or above ranges[0].
	for _, r := range t.ranges {
		if pn > r.Largest {
			return false
		}
		if pn >= r.Smallest {
			return true
		}
	}
	return false
}

// Largest returns the largest packet number ever received in the space, or
// -1 if none was. Unlike Ranges, it is not affected by OnAckAcknowledged or
// the range bound, so it can serve packet number decoding.
func (t *AckTracker) Largest() int64 {
	return t.largest
}

// OnPacketReceived records packet pn, received at now and not a duplicate.
// ackEliciting is true if it carried a frame other than ACK, PADDING or
// CONNECTION_CLOSE. Duplicates and numbers below the floor are ignored.
func (t *AckTracker) OnPacketReceived(now time.Time, pn int64, ackEliciting bool) {
	if pn < 0 || t.IsDuplicate(pn) {
		return
	}
	prevLargest := t.largest
	t.insert(pn)
	if pn > prevLargest {
		t.largest = pn
		t.largestTime = now
	}
	t.pending = true
	if !ackEliciting {
		return
	}
	t.unackedEliciting++
	switch {
	case t.space != AppData:
		// RFC 9000, Section 13.2.1: Initial and Handshake packets are
		// acknowledged immediately.
		t.immediate = true
	case prevLargest >= 0 && (pn < prevLargest || pn > prevLargest+1):
		// RFC 9000, Section 13.2.1: an out-of-order packet (below the
		// largest, or above it with a gap) is acknowledged immediately.
		t.immediate = true
	case t.unackedEliciting >= ackElicitingThreshold:
		// RFC 9000, Section 13.2.2: acknowledge every second
		// ack-eliciting packet.
		t.immediate = true
	case t.deadline.IsZero():
		// RFC 9000, Section 13.2.1: at most max_ack_delay later.
		t.deadline = now.Add(t.maxAckDelay)
	}
}

// insert adds pn to the ranges, merging neighbors and enforcing the bound.
func (t *AckTracker) insert(pn int64) {
	// Find the first range (largest first) whose Smallest <= pn.
	i := 0
	for i < len(t.ranges) && t.ranges[i].Smallest > pn {
		i++
	}
	// pn may extend range i upward, range i-1 downward, or both.
	extendsUp := i < len(t.ranges) && t.ranges[i].Largest+1 == pn
	extendsDown := i > 0 && t.ranges[i-1].Smallest-1 == pn
	switch {
	case extendsUp && extendsDown:
		t.ranges[i-1].Smallest = t.ranges[i].Smallest
		t.ranges = append(t.ranges[:i], t.ranges[i+1:]...)
	case extendsUp:
		t.ranges[i].Largest = pn
	case extendsDown:
		t.ranges[i-1].Smallest = pn
	default:
		t.ranges = append(t.ranges, AckRange{})
		copy(t.ranges[i+1:], t.ranges[i:])
		t.ranges[i] = AckRange{Smallest: pn, Largest: pn}
		if len(t.ranges) > MaxAckRanges {
			last := t.ranges[len(t.ranges)-1]
			t.ranges = t.ranges[:len(t.ranges)-1]
			t.floor = max(t.floor, last.Largest+1)
		}
	}
}

// ShouldSendNow reports whether an ACK frame must be sent without waiting,
// either because the policy asks for one at once or the delayed ACK is due.
func (t *AckTracker) ShouldSendNow(now time.Time) bool {
	if t.immediate {
		return true
	}
	return !t.deadline.IsZero() && !now.Before(t.deadline)
}

// AckDeadline returns when a delayed ACK becomes due, or the zero time if
// none is waiting. When ShouldSendNow is true the deadline may be in the
// past or zero; the connection's timer only needs it for delayed ACKs.
func (t *AckTracker) AckDeadline() time.Time {
	return t.deadline
}

// Pending reports whether packets arrived that no sent ACK frame covers, so
// an ACK frame may be bundled with other frames if there is room.
func (t *AckTracker) Pending() bool { return t.pending }

// Ranges returns the ranges to put in an ACK frame, largest first. The
// slice is owned by the tracker and valid until its next method call. It is
// empty when nothing is tracked.
func (t *AckTracker) Ranges() []AckRange { return t.ranges }

// AckDelay returns the time since the largest packet number was received,
// the value of an ACK frame's ACK Delay field before the exponent is
// applied (RFC 9000, Section 13.2.5). It is zero for Initial and Handshake
// ACKs, whose delay the peer ignores anyway.
func (t *AckTracker) AckDelay(now time.Time) time.Duration {
	if t.space != AppData || t.largest < 0 {
		return 0
	}
	return max(now.Sub(t.largestTime), 0)
}

// OnAckSent records that an ACK frame with the current ranges was sent: the
// immediate flag, the delayed ACK deadline and the ack-eliciting count
// start over.
func (t *AckTracker) OnAckSent() {
	t.pending = false
	t.immediate = false
	t.deadline = time.Time{}
	t.unackedEliciting = 0
}

// OnAckAcknowledged records that the peer acknowledged a packet that carried
// an ACK frame whose largest acknowledged was largest. The tracker stops
// reporting packet numbers up to largest (RFC 9000, Section 13.2.4) and
// from then on treats them as duplicates.
func (t *AckTracker) OnAckAcknowledged(largest int64) {
	if largest < t.floor {
		return
	}
	t.floor = largest + 1
	n := len(t.ranges)
	for n > 0 && t.ranges[n-1].Largest <= largest {
		n--
	}
	t.ranges = t.ranges[:n]
	if n > 0 && t.ranges[n-1].Smallest <= largest {
		t.ranges[n-1].Smallest = largest + 1
	}
	if n == 0 {
		// The peer knows about every packet we received: no ACK is owed.
		t.OnAckSent()
	}
}
