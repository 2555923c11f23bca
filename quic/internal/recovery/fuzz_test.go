package recovery

import (
	"testing"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/congestion"
)

// FuzzLossDetector drives a LossDetector and an AckTracker with an
// arbitrary sequence of sends, ACK frames (well-formed or not), timeouts,
// space discards and state changes, and checks that nothing panics, the
// byte accounting stays consistent and memory stays bounded.
func FuzzLossDetector(f *testing.F) {
	f.Add([]byte{0, 2, 0x13, 0, 2, 0x13, 1, 2, 1, 0, 0, 3, 50, 2, 255})
	f.Add([]byte{0, 0, 0x10, 0, 0, 0x10, 4, 1, 0, 7, 0, 3, 200, 2, 0})
	f.Add([]byte{6, 0, 1, 0, 6, 2, 0, 5, 0, 2, 9, 1, 2, 3, 9, 4, 0, 1, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			data = data[:4096]
		}
		alg := congestion.CUBIC
		if len(data)%3 == 0 {
			alg = congestion.NewReno
		}
		cc := congestion.New(congestion.Config{Algorithm: alg})
		fz := fuzzState{d: NewLossDetector(Config{IsClient: len(data)%2 == 0}, cc)}
		for i := range fz.trackers {
			fz.trackers[i].Init(Space(i), 0)
		}
		fz.now = t0
		for len(data) >= 3 {
			fz.step(t, data[0], data[1], data[2])
			data = data[3:]
		}
		fz.check(t)
		fz.checkReceived(t)
	})
}

type fuzzState struct {
	d        *LossDetector
	trackers [NumSpaces]AckTracker
	now      time.Time
	nextPN   [NumSpaces]int64
	ranges   []AckRange
	h        countHandler
	// received holds the packet numbers given to each tracker.
	received [NumSpaces]map[int64]bool
}

func (fz *fuzzState) step(t *testing.T, op, a, b byte) {
	space := Space(a % NumSpaces)
	switch op % 8 {
	case 0: // send
		size := 20 + int(b)*5
		fz.d.OnPacketSent(fz.now, space, fz.nextPN[space], size, b&1 == 1, b&2 == 2)
		fz.nextPN[space] += 1 + int64(b>>6&1) // sometimes skip a number
	case 1: // ACK with a few ranges, derived from a and b
		fz.buildRanges(space, a, b)
		// Ack delays from zero to absurd (and, shifted out, negative).
		delay := time.Duration(b) << (a & 63)
		err := fz.d.OnAckReceived(fz.now, space, fz.ranges, delay, &fz.h)
		if err == nil && !fz.d.spaces[space].discarded && len(fz.ranges) > 0 &&
			fz.ranges[0].Largest >= fz.nextPN[space] {
			t.Fatalf("ACK of unsent %v accepted", fz.ranges)
		}
	case 2: // advance time
		fz.now = fz.now.Add(time.Duration(b) * ms)
	case 3: // timer
		if dl := fz.d.Deadline(); !dl.IsZero() && dl.After(fz.now) && b&1 == 0 {
			fz.now = dl
		}
		fz.d.OnTimeout(fz.now, &fz.h)
	case 4:
		if space != AppData {
			fz.d.DiscardSpace(space)
		}
	case 5:
		switch b % 4 {
		case 0:
			fz.d.SetHandshakeConfirmed()
		case 1:
			fz.d.SetHandshakeKeysAvailable()
		case 2:
			fz.d.SetAmplificationLimited(b&4 == 4)
		case 3:
			fz.d.SetPeerMaxAckDelay(time.Duration(b) * ms)
		}
	case 6: // receive a packet
		tr := &fz.trackers[space]
		pn := int64(a)<<8 | int64(b)
		if !tr.IsDuplicate(pn) {
			tr.OnPacketReceived(fz.now, pn, b&1 == 1)
			if fz.received[space] == nil {
				fz.received[space] = make(map[int64]bool)
			}
			fz.received[space][pn] = true
		}
		if tr.ShouldSendNow(fz.now) {
			tr.OnAckSent()
		}
	case 7:
		fz.trackers[space].OnAckAcknowledged(int64(b) << 4)
	}
	fz.check(t)
}

// buildRanges makes up to four ranges below the next packet number; when b's
// top bit is set the ranges may be out of order or reach beyond what was
// sent, to exercise validation.
func (fz *fuzzState) buildRanges(space Space, a, b byte) {
	fz.ranges = fz.ranges[:0]
	top := fz.nextPN[space] - 1 + int64(b>>7)
	n := 1 + int(a>>2)%4
	for range n {
		if top < 0 {
			break
		}
		lo := max(top-int64(b&7), 0)
		fz.ranges = append(fz.ranges, AckRange{lo, top})
		top = lo - 2 - int64(a>>4&3)
	}
}

func (fz *fuzzState) check(t *testing.T) {
	var inFlight int
	for i := range fz.d.spaces {
		s := &fz.d.spaces[i]
		if s.sent.len() > maxTracked || s.ackElicitingInFlight < 0 {
			t.Fatalf("space %d: %d tracked, %d ack-eliciting in flight",
				i, s.sent.len(), s.ackElicitingInFlight)
		}
		var eliciting int
		for j := range s.sent.len() {
			p := s.sent.at(j)
			if !p.done() && p.inFlight() {
				inFlight += int(p.size)
				if p.ackEliciting() {
					eliciting++
				}
			}
		}
		if eliciting != s.ackElicitingInFlight {
			t.Fatalf("space %d: counted %d ack-eliciting in flight, recorded %d",
				i, eliciting, s.ackElicitingInFlight)
		}
	}
	if r := fz.d.RTT(); r.Smoothed() < 0 || r.Var() < 0 || r.Min() < 0 {
		t.Fatalf("RTT went negative: srtt %v var %v min %v", r.Smoothed(), r.Var(), r.Min())
	}
	if w := fz.d.Controller().Window(); w < congestion.MinimumWindow(1200) {
		t.Fatalf("window %d below the minimum", w)
	}
	if inFlight != fz.d.BytesInFlight() {
		t.Fatalf("bytes in flight %d, ring holds %d", fz.d.BytesInFlight(), inFlight)
	}
	for i := range fz.trackers {
		r := fz.trackers[i].Ranges()
		if len(r) > 0 && fz.trackers[i].Largest() < r[0].Largest {
			t.Fatalf("tracker %d: Largest %d below range %v", i, fz.trackers[i].Largest(), r[0])
		}
		if len(r) > MaxAckRanges {
			t.Fatalf("tracker %d holds %d ranges", i, len(r))
		}
		for j := range r {
			if r[j].Smallest > r[j].Largest || (j > 0 && r[j].Largest+1 >= r[j-1].Smallest) {
				t.Fatalf("tracker %d ranges not ordered and disjoint: %v", i, r)
			}
		}
	}
}

// checkReceived compares each AckTracker with the packets it was given: an
// ACK range must never cover a packet that did not arrive, since the peer
// would then never resend its frames, and every packet that did arrive must
// from then on be a duplicate (RFC 9000, Section 12.3).
func (fz *fuzzState) checkReceived(t *testing.T) {
	for i := range fz.trackers {
		tr := &fz.trackers[i]
		for _, r := range tr.Ranges() {
			for pn := r.Smallest; pn <= r.Largest; pn++ {
				if !fz.received[i][pn] {
					t.Fatalf("tracker %d acknowledges %d, never received", i, pn)
				}
			}
		}
		for pn := range fz.received[i] {
			if !tr.IsDuplicate(pn) {
				t.Fatalf("tracker %d: received %d is not a duplicate", i, pn)
			}
		}
	}
}
