package recovery

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/peregrine-h3/peregrine/quic/internal/congestion"
)

// recorder is a Handler that remembers what it was told.
type recorder struct {
	acked, lost []int64
}

func (r *recorder) PacketAcked(_ Space, pn int64) { r.acked = append(r.acked, pn) }
func (r *recorder) PacketLost(_ Space, pn int64)  { r.lost = append(r.lost, pn) }

func (r *recorder) reset() { r.acked, r.lost = nil, nil }

var t0 = time.Unix(1_000_000, 0)

// confirmedDetector returns a server-side detector with a confirmed
// handshake and an RTT sample of rtt, taken on AppData packet 0. Packet
// numbers from 1 on are free.
func confirmedDetector(t testing.TB, rtt time.Duration) *LossDetector {
	t.Helper()
	d := NewLossDetector(Config{}, congestion.NewNewReno(1200))
	d.SetHandshakeConfirmed()
	d.OnPacketSent(t0, AppData, 0, 1200, true, true)
	mustAck(t, d, t0.Add(rtt), AppData, 0, 0, 0)
	return d
}

func TestLossByPacketThreshold(t *testing.T) {
	d := confirmedDetector(t, 100*ms)
	now := t0.Add(100 * ms)
	for pn := int64(1); pn <= 6; pn++ {
		d.OnPacketSent(now, AppData, pn, 1000, true, true)
	}
	var r recorder
	if err := d.OnAckReceived(now.Add(100*ms), AppData,
		[]AckRange{{6, 6}}, 0, &r); err != nil {
		t.Fatal(err)
	}
	// Largest acked 6: packets <= 6-3 are lost; 4 and 5 wait for the timer.
	if diff := cmp.Diff(&recorder{acked: []int64{6}, lost: []int64{1, 2, 3}}, &r,
		cmp.AllowUnexported(recorder{})); diff != "" {
		t.Fatalf("outcome (-want +got):\n%s", diff)
	}
	if got := d.BytesInFlight(); got != 2000 {
		t.Fatalf("bytes in flight = %d, want 2000", got)
	}
	// Packets 4 and 5 were sent at now; their loss time is
	// now + 9/8 * max(srtt, latest), and that is the timer deadline.
	rtt := d.RTT()
	want := now.Add(max(rtt.Smoothed(), rtt.Latest()) * 9 / 8)
	if got := d.Deadline(); !got.Equal(want) {
		t.Fatalf("deadline = %v, want loss time %v", got, want)
	}
}

func TestLossByTimeThreshold(t *testing.T) {
	d := confirmedDetector(t, 80*ms)
	sent := t0.Add(80 * ms)
	d.OnPacketSent(sent, AppData, 1, 1000, true, true)
	d.OnPacketSent(sent.Add(10*ms), AppData, 2, 1000, true, true)
	var r recorder
	// The sample is 75 ms, so srtt stays near 80 ms and packet 1 (sent 85 ms
	// ago) is within 9/8 of it.
	ackAt := sent.Add(85 * ms)
	if err := d.OnAckReceived(ackAt, AppData, []AckRange{{2, 2}}, 0, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.lost) != 0 {
		t.Fatalf("packet 1 declared lost too early: %v", r.lost)
	}
	// Latest RTT is 80 ms and srtt 80 ms: loss delay = 90 ms after send.
	delay := max(d.RTT().Latest(), d.RTT().Smoothed()) * 9 / 8
	lossTime := sent.Add(delay)
	if got := d.Deadline(); !got.Equal(lossTime) {
		t.Fatalf("deadline = %v, want %v", got, lossTime)
	}
	if a := d.OnTimeout(lossTime.Add(-time.Nanosecond), &r); a.Kind != TimeoutNone {
		t.Fatalf("early timeout returned %+v", a)
	}
	a := d.OnTimeout(lossTime, &r)
	if a.Kind != TimeoutLoss || a.Space != AppData {
		t.Fatalf("timeout at loss time returned %+v", a)
	}
	if !slices.Equal(r.lost, []int64{1}) {
		t.Fatalf("lost = %v, want [1]", r.lost)
	}
	if d.BytesInFlight() != 0 {
		t.Fatalf("bytes in flight = %d after all packets resolved", d.BytesInFlight())
	}
	if !d.Deadline().IsZero() {
		t.Fatalf("server with nothing in flight armed a timer: %v", d.Deadline())
	}
}

func TestTimeThresholdGranularity(t *testing.T) {
	// With a tiny RTT the loss delay is at least kGranularity (1 ms).
	d := confirmedDetector(t, 10*time.Microsecond)
	sent := t0.Add(time.Millisecond)
	d.OnPacketSent(sent, AppData, 1, 1000, true, true)
	d.OnPacketSent(sent, AppData, 2, 1000, true, true)
	mustAck(t, d, sent.Add(20*time.Microsecond), AppData, 2, 2, 0)
	if got, want := d.Deadline(), sent.Add(Granularity); !got.Equal(want) {
		t.Fatalf("deadline = %v, want %v", got, want)
	}
}

func TestPTODeadlineAndBackoff(t *testing.T) {
	d := NewLossDetector(Config{MaxAckDelay: 25 * ms}, nil)
	d.SetHandshakeConfirmed()
	d.OnPacketSent(t0, AppData, 0, 1200, true, true)

	// No sample yet: srtt 333 ms, rttvar 166.5 ms.
	base := DefaultInitialRTT + 4*(DefaultInitialRTT/2)
	want := t0.Add(base + 25*ms)
	if got := d.Deadline(); !got.Equal(want) {
		t.Fatalf("first PTO = %v, want %v", got.Sub(t0), want.Sub(t0))
	}
	for count := 1; count <= 3; count++ {
		a := d.OnTimeout(want, nil)
		if a.Kind != TimeoutProbe || a.Space != AppData || a.Probes != 2 {
			t.Fatalf("PTO %d returned %+v", count, a)
		}
		if d.PTOCount() != count {
			t.Fatalf("pto count = %d, want %d", d.PTOCount(), count)
		}
		// The deadline is measured from the last ack-eliciting packet, with
		// both terms doubled per PTO (RFC 9002, Section 6.2.1).
		want = t0.Add((base + 25*ms) << count)
		if got := d.Deadline(); !got.Equal(want) {
			t.Fatalf("PTO %d deadline = %v, want %v", count, got.Sub(t0), want.Sub(t0))
		}
	}
	// An acknowledgment resets the backoff.
	mustAck(t, d, want, AppData, 0, 0, 0)
	if d.PTOCount() != 0 {
		t.Fatalf("pto count after ACK = %d", d.PTOCount())
	}
}

func TestPTOSpaceSelection(t *testing.T) {
	d := NewLossDetector(Config{}, nil)
	// Before confirmation, application data has no PTO.
	d.OnPacketSent(t0, AppData, 0, 1200, true, true)
	if !d.Deadline().IsZero() {
		t.Fatalf("AppData PTO armed before handshake confirmed: %v", d.Deadline())
	}
	d.OnPacketSent(t0.Add(10*ms), Handshake, 0, 1200, true, true)
	d.OnPacketSent(t0.Add(20*ms), Initial, 0, 1200, true, true)
	base := d.RTT().PTOBase()
	if got, want := d.Deadline(), t0.Add(10*ms+base); !got.Equal(want) {
		t.Fatalf("deadline = %v, want Handshake PTO %v", got, want)
	}
	a := d.OnTimeout(t0.Add(10*ms+base), nil)
	if a.Kind != TimeoutProbe || a.Space != Handshake {
		t.Fatalf("timeout = %+v, want probe in Handshake", a)
	}
}

func TestClientAntiDeadlock(t *testing.T) {
	d := NewLossDetector(Config{IsClient: true}, nil)
	d.OnPacketSent(t0, Initial, 0, 1200, true, true)
	mustAck(t, d, t0.Add(50*ms), Initial, 0, 0, 0)
	// Nothing in flight, but the server may be blocked by amplification: the
	// client keeps a PTO armed (RFC 9002, Section 6.2.2.1).
	base := d.RTT().PTOBase()
	want := t0.Add(50*ms + base)
	if got := d.Deadline(); !got.Equal(want) {
		t.Fatalf("anti-deadlock deadline = %v, want %v", got, want)
	}
	a := d.OnTimeout(want, nil)
	if a.Kind != TimeoutProbe || a.Space != Initial || a.Probes != 1 {
		t.Fatalf("anti-deadlock probe = %+v, want 1 Initial probe", a)
	}
	// Backoff applies; once Handshake keys exist the probe moves there.
	d.SetHandshakeKeysAvailable()
	want = want.Add(2 * base)
	if got := d.Deadline(); !got.Equal(want) {
		t.Fatalf("backed-off deadline = %v, want %v", got, want)
	}
	if a := d.OnTimeout(want, nil); a.Space != Handshake || a.Probes != 1 {
		t.Fatalf("second probe = %+v, want 1 Handshake probe", a)
	}
	// A Handshake ACK validates the address: no timer with nothing in flight.
	d.OnPacketSent(want, Handshake, 0, 1200, true, true)
	mustAck(t, d, want.Add(50*ms), Handshake, 0, 0, 0)
	if !d.Deadline().IsZero() {
		t.Fatalf("timer armed after address validation: %v", d.Deadline())
	}
	if d.PTOCount() != 0 {
		t.Fatalf("pto count = %d after Handshake ACK", d.PTOCount())
	}
}

func TestServerAmplificationLimited(t *testing.T) {
	d := NewLossDetector(Config{}, nil)
	d.OnPacketSent(t0, Initial, 0, 1200, true, true)
	if d.Deadline().IsZero() {
		t.Fatal("no PTO with an Initial packet in flight")
	}
	d.SetAmplificationLimited(true)
	if !d.Deadline().IsZero() {
		t.Fatalf("PTO armed while amplification-limited: %v", d.Deadline())
	}
	if a := d.OnTimeout(t0.Add(10*time.Second), nil); a.Kind != TimeoutNone {
		t.Fatalf("timeout while amplification-limited = %+v", a)
	}
	d.SetAmplificationLimited(false)
	if d.Deadline().IsZero() {
		t.Fatal("PTO not re-armed after the limit lifted")
	}
}

func TestPersistentCongestion(t *testing.T) {
	for _, tc := range []struct {
		name       string
		span       time.Duration // between first and last lost packet
		ackBetween bool          // an ACKed packet sits between them
		want       bool
	}{
		{"long span", 0, false, true},
		{"short span", -1, false, false},
		{"ack in between", 0, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := confirmedDetector(t, 100*ms)
			rtt := d.RTT()
			// The ACK below brings a second sample equal to srtt, so rttvar
			// becomes 3/4 of its value and srtt stays. The duration is
			// (srtt + max(4*rttvar, 1ms) + max_ack_delay) * 3.
			rttvar := 3 * rtt.Var() / 4
			pcd := (rtt.Smoothed() + max(4*rttvar, ms) + DefaultMaxAckDelay) * 3
			span := pcd + ms
			if tc.span < 0 {
				span = pcd - ms
			}
			start := t0.Add(200 * ms)
			d.OnPacketSent(start, AppData, 1, 1200, true, true)
			d.OnPacketSent(start.Add(span/2), AppData, 2, 1200, true, true)
			d.OnPacketSent(start.Add(span), AppData, 3, 1200, true, true)
			for pn := int64(4); pn <= 7; pn++ {
				d.OnPacketSent(start.Add(span), AppData, pn, 1200, true, true)
			}
			ranges := []AckRange{{7, 7}}
			if tc.ackBetween {
				ranges = append(ranges, AckRange{2, 2})
			}
			at := start.Add(span + 100*ms)
			if err := d.OnAckReceived(at, AppData, ranges, 0, nil); err != nil {
				t.Fatal(err)
			}
			// Persistent congestion: the window collapses to the minimum,
			// recovery is cleared, and the ACK of packet 7 then grows it
			// by one packet in slow start (RFC 9002, Appendix B.8 and B.5).
			// Otherwise it halves from the initial window and packet 7,
			// sent before the recovery period started, adds nothing.
			want := congestion.InitialWindow(1200) / 2
			if tc.want {
				want = congestion.MinimumWindow(1200) + 1200
			}
			if got := d.Controller().Window(); got != want {
				t.Fatalf("window = %d, want %d", got, want)
			}
		})
	}
}

func TestAckErrors(t *testing.T) {
	d := NewLossDetector(Config{}, nil)
	d.SetHandshakeConfirmed()
	for pn := int64(0); pn < 10; pn++ {
		if pn == 5 {
			continue // skipped packet number
		}
		d.OnPacketSent(t0, AppData, pn, 1000, true, true)
	}
	var r recorder
	cases := []struct {
		ranges []AckRange
		want   error
	}{
		{[]AckRange{{8, 10}}, ErrUnsentPacketAcked},
		{[]AckRange{{4, 6}}, ErrUnsentPacketAcked},
		{[]AckRange{{7, 9}, {5, 5}}, ErrUnsentPacketAcked},
		{nil, ErrBadAckRanges},
		{[]AckRange{{3, 2}}, ErrBadAckRanges},
		{[]AckRange{{-1, 2}}, ErrBadAckRanges},
		{[]AckRange{{1, 2}, {3, 4}}, ErrBadAckRanges},
		{[]AckRange{{3, 4}, {2, 3}}, ErrBadAckRanges},
	}
	for _, c := range cases {
		err := d.OnAckReceived(t0.Add(ms), AppData, c.ranges, 0, &r)
		if !errors.Is(err, c.want) {
			t.Errorf("ranges %v: err = %v, want %v", c.ranges, err, c.want)
		}
	}
	if len(r.acked)+len(r.lost) != 0 || d.BytesInFlight() != 9000 {
		t.Fatalf("rejected ACKs changed state: %+v, in flight %d", r, d.BytesInFlight())
	}
	// Valid ACK around the skipped number.
	if err := d.OnAckReceived(t0.Add(ms), AppData,
		[]AckRange{{6, 9}, {0, 4}}, 0, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.acked) != 9 || d.BytesInFlight() != 0 {
		t.Fatalf("acked %v, in flight %d", r.acked, d.BytesInFlight())
	}
	// A repeated ACK reports nothing new.
	r.reset()
	if err := d.OnAckReceived(t0.Add(2*ms), AppData,
		[]AckRange{{6, 9}, {0, 4}}, 0, &r); err != nil || len(r.acked) != 0 {
		t.Fatalf("duplicate ACK: err %v, acked %v", err, r.acked)
	}
}

func TestDiscardSpace(t *testing.T) {
	d := NewLossDetector(Config{IsClient: true}, nil)
	d.OnPacketSent(t0, Initial, 0, 1200, true, true)
	d.OnPacketSent(t0, Initial, 1, 1200, true, true)
	d.OnPacketSent(t0.Add(ms), Handshake, 0, 500, true, true)
	before := d.Deadline()
	var r recorder
	d.DiscardSpace(Initial)
	if d.BytesInFlight() != 500 {
		t.Fatalf("bytes in flight = %d, want 500", d.BytesInFlight())
	}
	// The Handshake packet now sets the timer, one ms later than before.
	if got := d.Deadline(); !got.Equal(before.Add(ms)) {
		t.Fatalf("deadline = %v, want %v", got, before.Add(ms))
	}
	// ACKs and sends in the discarded space are ignored.
	if err := d.OnAckReceived(t0.Add(ms), Initial, []AckRange{{0, 1}}, 0, &r); err != nil {
		t.Fatal(err)
	}
	d.OnPacketSent(t0, Initial, 0, 1200, true, true)
	if len(r.acked)+len(r.lost) != 0 || d.BytesInFlight() != 500 {
		t.Fatalf("discarded space still active: %+v, in flight %d", r, d.BytesInFlight())
	}
	d.DiscardSpace(Handshake)
	if d.BytesInFlight() != 0 {
		t.Fatalf("bytes in flight = %d after discarding all", d.BytesInFlight())
	}
}

func TestNonInFlightPackets(t *testing.T) {
	d := confirmedDetector(t, 50*ms)
	now := t0.Add(50 * ms)
	// ACK-only packets count for nothing in flight and arm no PTO.
	d.OnPacketSent(now, AppData, 1, 50, false, false)
	if d.BytesInFlight() != 0 || !d.Deadline().IsZero() {
		t.Fatalf("ACK-only packet: in flight %d deadline %v", d.BytesInFlight(), d.Deadline())
	}
	var r recorder
	if err := d.OnAckReceived(now.Add(50*ms), AppData,
		[]AckRange{{1, 1}}, 0, &r); err != nil || !slices.Equal(r.acked, []int64{1}) {
		t.Fatalf("err %v acked %v", err, r.acked)
	}
	// Not ack-eliciting: no RTT sample from it.
	if d.RTT().Latest() != 50*ms {
		t.Fatalf("latest rtt = %v, want unchanged 50ms", d.RTT().Latest())
	}
}

func TestRingGrowthAndTrim(t *testing.T) {
	d := confirmedDetector(t, 10*ms)
	now := t0.Add(10 * ms)
	var r recorder
	pn := int64(1)
	for round := 0; round < 50; round++ {
		first := pn
		for range 100 {
			d.OnPacketSent(now, AppData, pn, 1200, true, true)
			pn++
		}
		now = now.Add(10 * ms)
		if err := d.OnAckReceived(now, AppData,
			[]AckRange{{first, pn - 1}}, 0, &r); err != nil {
			t.Fatal(err)
		}
	}
	s := &d.spaces[AppData]
	if s.sent.len() != 0 || len(s.sent.buf) > 128 {
		t.Fatalf("ring holds %d entries in a buffer of %d", s.sent.len(), len(s.sent.buf))
	}
	if len(r.acked) != 5000 || d.BytesInFlight() != 0 {
		t.Fatalf("acked %d, in flight %d", len(r.acked), d.BytesInFlight())
	}
}

func TestSentPacketsBounded(t *testing.T) {
	d := NewLossDetector(Config{}, nil)
	d.SetHandshakeConfirmed()
	// A peer that never acknowledges anything: tracking stays bounded and
	// the forgotten packets leave bytes in flight.
	total := maxTracked + 100
	for pn := range int64(total) {
		d.OnPacketSent(t0, AppData, pn, 10, true, true)
	}
	s := &d.spaces[AppData]
	if s.sent.len() != maxTracked || len(s.sent.buf) != maxTracked {
		t.Fatalf("tracking %d packets in a buffer of %d, want %d", s.sent.len(),
			len(s.sent.buf), maxTracked)
	}
	if d.BytesInFlight() != 10*maxTracked || s.ackElicitingInFlight != maxTracked {
		t.Fatalf("in flight %d bytes, %d ack-eliciting", d.BytesInFlight(),
			s.ackElicitingInFlight)
	}
	// The newest packets are still tracked and can be acknowledged.
	var r recorder
	last := int64(total - 1)
	if err := d.OnAckReceived(t0.Add(ms), AppData,
		[]AckRange{{last - 1, last}}, 0, &r); err != nil || len(r.acked) != 2 {
		t.Fatalf("err %v acked %v", err, r.acked)
	}
}

func TestOnPathChanged(t *testing.T) {
	d := confirmedDetector(t, 30*ms)
	d.OnPacketSent(t0.Add(30*ms), AppData, 1, 1000, true, true)
	old := d.Controller()
	fresh := congestion.NewNewReno(1200)
	d.OnPathChanged(fresh)
	if d.Controller() != fresh || d.Controller() == old {
		t.Fatal("controller not replaced")
	}
	r := d.RTT()
	if r.HasSample() || r.Smoothed() != DefaultInitialRTT {
		t.Fatalf("RTT not reset: sample %v srtt %v", r.HasSample(), r.Smoothed())
	}
	if d.BytesInFlight() != 1000 {
		t.Fatalf("in-flight packet forgotten: %d", d.BytesInFlight())
	}
	// The packet sent on the old path can still be acknowledged, and gives
	// the first sample on the new path.
	mustAck(t, d, t0.Add(80*ms), AppData, 1, 1, 0)
	if !r.HasSample() || r.Smoothed() != 50*ms || d.BytesInFlight() != 0 {
		t.Fatalf("after ACK: srtt %v in flight %d", r.Smoothed(), d.BytesInFlight())
	}
	d.OnPathChanged(nil)
	if _, ok := d.Controller().(*congestion.CubicController); !ok {
		t.Fatalf("nil controller gave %T", d.Controller())
	}
}
