package netsim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"testing/synctest"
	"time"
)

// pair returns a Network with two Endpoints and the Link from a to b.
func pair(t *testing.T, cfg Config) (n *Network, a, b *Endpoint, l *Link) {
	t.Helper()
	n = New(cfg)
	t.Cleanup(func() { n.Close() })
	var err error
	if a, err = n.NewEndpoint(netip.AddrPort{}); err != nil {
		t.Fatal(err)
	}
	if b, err = n.NewEndpoint(netip.AddrPort{}); err != nil {
		t.Fatal(err)
	}
	return n, a, b, n.Link(a.AddrPort(), b.AddrPort())
}

// send writes datagram number i, padded to size bytes, from a to b.
func send(t *testing.T, a, b *Endpoint, i, size int) {
	t.Helper()
	buf := make([]byte, max(size, 8))
	binary.BigEndian.PutUint64(buf, uint64(i))
	for j := 8; j < len(buf); j++ {
		buf[j] = byte(i + j)
	}
	if _, err := a.WriteToUDPAddrPort(buf, b.AddrPort()); err != nil {
		t.Fatal(err)
	}
}

// arrival is a datagram as a reader saw it.
type arrival struct {
	id   int
	data []byte
	at   time.Time
	from netip.AddrPort
}

// drain reads every datagram already queued at e without blocking on an empty
// queue: it reads exactly want datagrams, then checks nothing more is queued.
func drain(t *testing.T, e *Endpoint, want uint64) []arrival {
	t.Helper()
	var got []arrival
	buf := make([]byte, 2048)
	for range want {
		n, from, err := e.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("read %d of %d: %v", len(got), want, err)
		}
		got = append(got, arrival{
			id:   int(binary.BigEndian.Uint64(buf)),
			data: bytes.Clone(buf[:n]),
			at:   time.Now(),
			from: from,
		})
	}
	e.SetReadDeadline(time.Now())
	if _, _, err := e.ReadFromUDPAddrPort(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after the %d expected datagrams: %v, want a timeout", want, err)
	}
	e.SetReadDeadline(time.Time{})
	return got
}

// settle lets every datagram in flight arrive under synctest.
func settle(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// checkBalance verifies that every datagram is accounted for.
func checkBalance(t *testing.T, s LinkStats) {
	t.Helper()
	if s.Sent+s.Duplicated != s.Delivered+s.Dropped {
		t.Errorf("stats do not balance: %+v", s)
	}
	if s.Dropped < s.Lost+s.QueueDropped {
		t.Errorf("Dropped below Lost+QueueDropped: %+v", s)
	}
}

// within fails the test unless lo <= got <= hi.
func within(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s = %v, want within [%v, %v]", what, got, lo, hi)
	}
}

const count = 10000

func TestLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, a, b, l := pair(t, Config{Seed: 1, RecvQueue: 2 * count,
			Default: Impairment{Loss: 0.02}})
		for i := range count {
			send(t, a, b, i, 100)
		}
		settle(time.Millisecond)
		s := l.Stats()
		got := drain(t, b, s.Delivered)
		within(t, "loss rate", 1-float64(len(got))/count, 0.01, 0.03)
		if s.Lost != count-uint64(len(got)) || s.Sent != count {
			t.Errorf("stats %+v after %d of %d delivered", s, len(got), count)
		}
		checkBalance(t, s)
		for i := 1; i < len(got); i++ {
			if got[i].id <= got[i-1].id {
				t.Fatalf("datagram %d after %d without reordering", got[i].id, got[i-1].id)
			}
		}
	})
}

func TestDelayAndJitter(t *testing.T) {
	const delay, jitter = 50 * time.Millisecond, 20 * time.Millisecond
	// Spaced wider than the jitter, delays are uniform in [50ms, 70ms).
	delays := measureDelays(t, 25*time.Millisecond, Impairment{Delay: delay, Jitter: jitter})
	var sum time.Duration
	for _, d := range delays {
		if d < delay || d >= delay+jitter {
			t.Fatalf("a datagram took %v, want [%v, %v)", d, delay, delay+jitter)
		}
		sum += d
	}
	within(t, "mean delay (ms)", float64(sum/time.Duration(len(delays)))/1e6, 59, 61)

	// Spaced closer than the jitter, a datagram waits for the ones sent
	// before it (measureDelays checks the order) but never longer than the
	// largest jitter.
	delays = measureDelays(t, time.Millisecond, Impairment{Delay: delay, Jitter: jitter})
	for _, d := range delays {
		if d < delay || d >= delay+jitter {
			t.Fatalf("a datagram took %v, want [%v, %v)", d, delay, delay+jitter)
		}
	}
}

// measureDelays sends 1000 datagrams, spaced as asked, over a link with im,
// checks they arrive in order and returns how long each took.
func measureDelays(t *testing.T, spacing time.Duration, im Impairment) []time.Duration {
	var delays []time.Duration
	synctest.Test(t, func(t *testing.T) {
		_, a, b, l := pair(t, Config{Seed: 2, Default: im})
		sent := make([]time.Time, 1000)
		done := make(chan struct{})
		go func() {
			defer close(done)
			buf := make([]byte, 100)
			last := -1
			for range len(sent) {
				n, _, err := b.ReadFromUDPAddrPort(buf)
				if err != nil {
					t.Error(err)
					return
				}
				id := int(binary.BigEndian.Uint64(buf[:n]))
				if id < last {
					t.Errorf("jitter alone reordered %d after %d", id, last)
				}
				last = id
				delays = append(delays, time.Since(sent[id]))
			}
		}()
		for i := range sent {
			sent[i] = time.Now()
			send(t, a, b, i, 100)
			time.Sleep(spacing)
		}
		<-done
		checkBalance(t, l.Stats())
	})
	return delays
}

func TestReorder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, a, b, l := pair(t, Config{Seed: 3, RecvQueue: 2 * count, Default: Impairment{
			Delay: 10 * time.Millisecond, Reorder: 0.1, ReorderDelay: 5 * time.Millisecond}})
		for i := range count {
			send(t, a, b, i, 100)
			time.Sleep(time.Millisecond)
		}
		settle(time.Second)
		s := l.Stats()
		got := drain(t, b, s.Delivered)
		if len(got) != count {
			t.Fatalf("delivered %d of %d", len(got), count)
		}
		// A datagram is late if one sent after it arrived before it.
		late, maxID := 0, -1
		for _, g := range got {
			if g.id < maxID {
				late++
			}
			maxID = max(maxID, g.id)
		}
		within(t, "reordered fraction", float64(late)/count, 0.08, 0.12)
		// A held-back datagram is overtaken unless those after it are
		// held back too, which is rare.
		if uint64(late) > s.Reordered || s.Reordered-uint64(late) > count/100 {
			t.Errorf("%d datagrams arrived late, stats say %d reordered", late, s.Reordered)
		}
		checkBalance(t, s)
	})
}

func TestDuplicate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, a, b, l := pair(t, Config{Seed: 4, RecvQueue: 2 * count,
			Default: Impairment{Duplicate: 0.05}})
		for i := range count {
			send(t, a, b, i, 100)
		}
		settle(time.Millisecond)
		s := l.Stats()
		got := drain(t, b, s.Delivered)
		seen := make(map[int]int)
		for _, g := range got {
			seen[g.id]++
		}
		dups := 0
		for i := range count {
			switch seen[i] {
			case 1:
			case 2:
				dups++
			default:
				t.Fatalf("datagram %d arrived %d times", i, seen[i])
			}
		}
		within(t, "duplicate rate", float64(dups)/count, 0.04, 0.06)
		if uint64(dups) != s.Duplicated {
			t.Errorf("%d duplicates arrived, stats say %d", dups, s.Duplicated)
		}
		checkBalance(t, s)
	})
}

func TestCorrupt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, a, b, l := pair(t, Config{Seed: 5, RecvQueue: 2 * count,
			Default: Impairment{Corrupt: 0.1}})
		for i := range count {
			send(t, a, b, i, 200)
		}
		settle(time.Millisecond)
		s := l.Stats()
		got := drain(t, b, s.Delivered)
		if len(got) != count {
			t.Fatalf("delivered %d of %d", len(got), count)
		}
		corrupted := 0
		for i, g := range got {
			// Datagrams stay in order, so the i-th is the i-th sent; a
			// flipped byte may be in the id itself.
			want := make([]byte, 200)
			binary.BigEndian.PutUint64(want, uint64(i))
			for j := 8; j < len(want); j++ {
				want[j] = byte(i + j)
			}
			diff := 0
			for j := range want {
				if want[j] != g.data[j] {
					diff++
				}
			}
			switch diff {
			case 0:
			case 1:
				corrupted++
			default:
				t.Fatalf("datagram %d has %d bytes changed, want at most 1", i, diff)
			}
		}
		within(t, "corruption rate", float64(corrupted)/count, 0.08, 0.12)
		if uint64(corrupted) != s.Corrupted {
			t.Errorf("%d corrupted datagrams arrived, stats say %d", corrupted, s.Corrupted)
		}
	})
}

// TestBandwidth offers twice the link rate for one second and checks that the
// link delivers its rate and drops the excess at the tail of its queue.
func TestBandwidth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const size, queue = 1250, 25 * 1250 // 10,000 bits: 1 ms at 10 Mbit/s
		_, a, b, l := pair(t, Config{Seed: 6, RecvQueue: 4000, Default: Impairment{
			Bandwidth: 10_000_000, QueueBytes: queue}})
		for i := range 2000 {
			send(t, a, b, i, size)
			time.Sleep(500 * time.Microsecond)
		}
		// The last datagram accepted leaves at most 25 ms after the last send.
		settle(30 * time.Millisecond)
		s := l.Stats()
		got := drain(t, b, s.Delivered)
		// The first datagram finds an idle link, then the queue fills
		// and one datagram in two fits.
		within(t, "delivered", float64(len(got)), 1000, 1000+25+1)
		if s.QueueDropped != 2000-uint64(len(got)) {
			t.Errorf("stats %+v, want %d queue drops", s, 2000-len(got))
		}
		checkBalance(t, s)
	})
}

// TestBandwidthPacing checks that a burst leaves a limited link one
// transmission time apart.
func TestBandwidthPacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, a, b, _ := pair(t, Config{Seed: 7, Default: Impairment{
			Bandwidth: 10_000_000, Delay: 5 * time.Millisecond}})
		start := time.Now()
		for i := range 20 {
			send(t, a, b, i, 1250)
		}
		buf := make([]byte, 2000)
		for i := range 20 {
			if _, _, err := b.ReadFromUDPAddrPort(buf); err != nil {
				t.Fatal(err)
			}
			want := 5*time.Millisecond + time.Duration(i+1)*time.Millisecond
			if got := time.Since(start); got != want {
				t.Fatalf("datagram %d arrived after %v, want %v", i, got, want)
			}
		}
	})
}

// TestChangeImpairment black-holes a link for a while, then restores it.
func TestChangeImpairment(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, a, b, l := pair(t, Config{Seed: 8, Default: Impairment{Delay: time.Millisecond}})
		send(t, a, b, 0, 10)
		n.SetImpairment(Impairment{Loss: 1})
		for i := 1; i <= 100; i++ {
			send(t, a, b, i, 10)
		}
		l.SetImpairment(Impairment{Delay: time.Millisecond})
		send(t, a, b, 101, 10)
		settle(10 * time.Millisecond)
		s := l.Stats()
		got := drain(t, b, s.Delivered)
		if len(got) != 2 || got[0].id != 0 || got[1].id != 101 {
			t.Fatalf("got %v, want datagrams 0 and 101", got)
		}
		if s.Lost != 100 || s.Sent != 102 {
			t.Errorf("stats %+v, want 100 lost of 102", s)
		}
		if l.Impairment().Delay != time.Millisecond {
			t.Errorf("Impairment() = %+v", l.Impairment())
		}
		// A link created after SetImpairment gets the new default.
		c, _ := n.NewEndpoint(netip.AddrPort{})
		if im := n.Link(c.AddrPort(), a.AddrPort()).Impairment(); im.Loss != 1 {
			t.Errorf("new link impairment %+v, want the network default", im)
		}
	})
}

func TestReproducible(t *testing.T) {
	run := func(seed uint64) (LinkStats, []int) {
		var stats LinkStats
		var ids []int
		synctest.Test(t, func(t *testing.T) {
			_, a, b, l := pair(t, Config{Seed: seed, RecvQueue: 2000, Default: Impairment{
				Loss: 0.1, Duplicate: 0.1, Corrupt: 0.1, Reorder: 0.1,
				Delay: time.Millisecond, Jitter: time.Millisecond}})
			for i := range 1000 {
				send(t, a, b, i, 50)
				time.Sleep(100 * time.Microsecond)
			}
			settle(time.Second)
			stats = l.Stats()
			for _, g := range drain(t, b, stats.Delivered) {
				ids = append(ids, g.id)
			}
		})
		return stats, ids
	}
	s1, ids1 := run(42)
	s2, ids2 := run(42)
	s3, ids3 := run(43)
	if s1 != s2 || !slicesEqual(ids1, ids2) {
		t.Errorf("same seed, different runs: %+v vs %+v", s1, s2)
	}
	if s1 == s3 && slicesEqual(ids1, ids3) {
		t.Errorf("different seeds gave identical runs: %+v", s1)
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReadDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, a, b, _ := pair(t, Config{})
		start := time.Now()
		b.SetReadDeadline(start.Add(time.Second))
		buf := make([]byte, 10)
		_, _, err := b.ReadFrom(buf)
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("read past deadline: %v", err)
		}
		if got := time.Since(start); got != time.Second {
			t.Errorf("deadline fired after %v, want 1s", got)
		}

		// Moving the deadline while a reader waits takes effect, and
		// clearing it lets a datagram through.
		b.SetReadDeadline(time.Now().Add(time.Hour))
		errc := make(chan error, 1)
		go func() {
			_, _, err := b.ReadFrom(buf)
			errc <- err
		}()
		synctest.Wait()
		b.SetReadDeadline(time.Now().Add(time.Millisecond))
		if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read after deadline moved earlier: %v", err)
		}
		b.SetDeadline(time.Time{})
		send(t, a, b, 9, 10)
		n, from, err := b.ReadFrom(buf)
		if err != nil || n != 10 || from.String() != a.LocalAddr().String() {
			t.Fatalf("read after clearing the deadline: %d from %v, %v", n, from, err)
		}
	})
}

func TestWriteDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, a, b, _ := pair(t, Config{})
		a.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := a.WriteTo([]byte("x"), b.LocalAddr()); err != nil {
			t.Fatalf("write before deadline: %v", err)
		}
		time.Sleep(time.Second)
		_, err := a.WriteTo([]byte("x"), b.LocalAddr())
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("write after deadline: %v", err)
		}
	})
}

func TestCloseUnblocksReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, a, b, l := pair(t, Config{Default: Impairment{Delay: time.Second}})
		errc := make(chan error, 2)
		for range 2 {
			go func() {
				_, _, err := b.ReadFrom(make([]byte, 10))
				errc <- err
			}()
		}
		send(t, a, b, 1, 10) // still in flight when b closes
		synctest.Wait()
		b.Close()
		for range 2 {
			if err := <-errc; !errors.Is(err, net.ErrClosed) {
				t.Fatalf("read after Close: %v, want net.ErrClosed", err)
			}
		}
		if _, err := b.WriteTo([]byte("x"), a.LocalAddr()); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("write after Close: %v", err)
		}
		if err := b.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		settle(2 * time.Second)
		if s := l.Stats(); s.Dropped != 1 || s.Delivered != 0 {
			t.Errorf("datagram to a closed endpoint: stats %+v", s)
		}
	})
}

func TestAddresses(t *testing.T) {
	n := New(Config{})
	defer n.Close()
	a, _ := n.NewEndpoint(netip.AddrPort{})
	b, _ := n.NewEndpoint(netip.AddrPort{})
	if a.LocalAddr().String() != "10.0.0.1:443" || b.LocalAddr().String() != "10.0.0.2:443" {
		t.Errorf("automatic addresses %v, %v", a.LocalAddr(), b.LocalAddr())
	}
	v6 := netip.MustParseAddrPort("[2001:db8::1]:4433")
	c, err := n.NewEndpoint(v6)
	if err != nil || c.AddrPort() != v6 {
		t.Fatalf("NewEndpoint(%v) = %v, %v", v6, c, err)
	}
	if _, err := n.NewEndpoint(v6); err == nil {
		t.Error("second endpoint at the same address accepted")
	}
	if _, err := a.WriteTo(make([]byte, DefaultMTU+1), b.LocalAddr()); err == nil {
		t.Error("datagram beyond the MTU accepted")
	}
	nowhere := netip.MustParseAddrPort("10.9.9.9:1")
	if _, err := a.WriteToUDPAddrPort([]byte("x"), nowhere); err != nil {
		t.Fatal(err)
	}
	// Delivery to a missing endpoint happens on a timer; wait for it.
	l := n.Link(a.AddrPort(), nowhere)
	for end := time.Now().Add(5 * time.Second); l.Stats().Dropped == 0 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	if s := l.Stats(); s.Dropped != 1 {
		t.Errorf("datagram to nowhere: stats %+v", s)
	}
}

// TestRealTime runs the network on the real clock.
func TestRealTime(t *testing.T) {
	n, a, b, _ := pair(t, Config{Default: Impairment{Delay: 20 * time.Millisecond}})
	_ = n
	start := time.Now()
	send(t, a, b, 1, 10)
	b.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := b.ReadFrom(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("datagram arrived after %v, before the 20ms delay", d)
	}
	b.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, _, err := b.ReadFrom(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read on the real clock past the deadline: %v", err)
	}
}

// TestRebind moves a client to a new address mid-conversation, as the
// interop runner's rebinding cases do.
func TestRebind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, a, b, _ := pair(t, Config{Default: Impairment{Delay: 10 * time.Millisecond}})
		old := a.AddrPort()
		send(t, b, a, 1, 10) // in flight to the old address
		synctest.Wait()
		newAddr := netip.MustParseAddrPort("10.0.0.1:50000")
		if err := a.Rebind(newAddr); err != nil {
			t.Fatal(err)
		}
		if a.AddrPort() != newAddr || a.LocalAddr().String() != newAddr.String() {
			t.Fatalf("after Rebind: %v, %v", a.AddrPort(), a.LocalAddr())
		}
		if err := a.Rebind(b.AddrPort()); err == nil {
			t.Error("Rebind to an address in use accepted")
		}
		send(t, a, b, 2, 10)
		buf := make([]byte, 10)
		_, from, err := b.ReadFromUDPAddrPort(buf)
		if err != nil || from != newAddr {
			t.Fatalf("datagram after Rebind from %v, %v; want %v", from, err, newAddr)
		}
		for _, to := range []netip.AddrPort{old, old, newAddr} {
			if _, err := b.WriteToUDPAddrPort(buf, to); err != nil {
				t.Fatal(err)
			}
		}
		settle(20 * time.Millisecond)
		if s := n.Link(b.AddrPort(), old).Stats(); s.Delivered != 0 || s.Dropped != 3 {
			t.Errorf("to the old address: %+v, want 3 dropped", s)
		}
		got := drain(t, a, 1)
		if got[0].from != b.AddrPort() {
			t.Errorf("reply from %v", got[0].from)
		}
	})
}

// sendECN writes datagram number i with an ECN codepoint.
func sendECN(t *testing.T, a, b *Endpoint, i int, ecn uint8) {
	t.Helper()
	buf := make([]byte, 1250)
	binary.BigEndian.PutUint64(buf, uint64(i))
	if _, err := a.WriteToUDPAddrPortECN(buf, b.AddrPort(), ecn); err != nil {
		t.Fatal(err)
	}
}

// readECN reads want datagrams and returns their codepoints by id.
func readECN(t *testing.T, e *Endpoint, want int) map[int]uint8 {
	t.Helper()
	got := make(map[int]uint8)
	buf := make([]byte, 2048)
	for range want {
		_, _, ecn, err := e.ReadFromUDPAddrPortECN(buf)
		if err != nil {
			t.Fatal(err)
		}
		got[int(binary.BigEndian.Uint64(buf))] = ecn
	}
	return got
}

func TestECNMarkCE(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, a, b, l := pair(t, Config{Seed: 9, RecvQueue: 2 * count,
			Default: Impairment{MarkCE: 0.1}})
		codepoints := []uint8{ecnNotECT, ecnECT0, ecnECT1, ecnCE}
		for i := range count {
			sendECN(t, a, b, i, codepoints[i%4])
		}
		settle(time.Millisecond)
		got := readECN(t, b, count)
		marked := 0
		for i := range count {
			sent := codepoints[i%4]
			switch {
			case got[i] == sent:
			case got[i] == ecnCE && (sent == ecnECT0 || sent == ecnECT1):
				marked++
			default:
				t.Fatalf("datagram %d sent %02b arrived %02b", i, sent, got[i])
			}
		}
		// Half the datagrams are ECN-capable.
		within(t, "CE rate", float64(marked)/(count/2), 0.08, 0.12)
		if s := l.Stats(); s.MarkedCE != uint64(marked) {
			t.Errorf("%d marked, stats say %d", marked, s.MarkedCE)
		}
	})
}

func TestECNBleach(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, a, b, _ := pair(t, Config{Default: Impairment{BleachECN: true}})
		for i, ecn := range []uint8{ecnECT0, ecnECT1, ecnCE} {
			sendECN(t, a, b, i, ecn)
		}
		settle(time.Millisecond)
		for id, ecn := range readECN(t, b, 3) {
			if ecn != ecnNotECT {
				t.Errorf("datagram %d kept codepoint %02b through a bleaching link", id, ecn)
			}
		}
	})
}

// TestECNQueueThreshold checks that a burst into a bandwidth-limited link is
// marked CE once the queue passes the threshold.
func TestECNQueueThreshold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, a, b, l := pair(t, Config{Default: Impairment{
			Bandwidth: 10_000_000, CEThreshold: 4000}})
		for i := range 20 {
			sendECN(t, a, b, i, ecnECT0)
		}
		settle(time.Second)
		got := readECN(t, b, 20)
		// Datagrams 0-3 find 0, 1250, 2500 and 3750 bytes queued.
		for i := range 20 {
			want := uint8(ecnECT0)
			if i >= 4 {
				want = ecnCE
			}
			if got[i] != want {
				t.Errorf("datagram %d arrived %02b, want %02b", i, got[i], want)
			}
		}
		if s := l.Stats(); s.MarkedCE != 16 {
			t.Errorf("stats %+v, want 16 marked", s)
		}
	})
}

func TestBurstLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const total = 2 * count
		_, a, b, l := pair(t, Config{Seed: 10, RecvQueue: total,
			Default: Impairment{Loss: 0.05, LossBurst: 4}})
		for i := range total {
			send(t, a, b, i, 20)
		}
		settle(time.Millisecond)
		s := l.Stats()
		got := drain(t, b, s.Delivered)
		// Measure the runs of missing ids.
		runs, lost, next := 0, 0, 0
		for _, g := range append(got, arrival{id: total}) {
			if g.id > next {
				runs++
				lost += g.id - next
			}
			next = g.id + 1
		}
		within(t, "loss rate", float64(lost)/total, 0.035, 0.065)
		t.Logf("lost %d in %d runs", lost, runs)
		within(t, "mean burst length", float64(lost)/float64(runs), 3, 5)
		if s.Lost != uint64(lost) {
			t.Errorf("%d lost, stats say %d", lost, s.Lost)
		}
	})
}

func TestFilter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, a, b, l := pair(t, Config{})
		// Drop the first two datagrams and any whose id is odd.
		seen := 0
		l.SetFilter(func(d []byte) bool {
			seen++
			return seen <= 2 || binary.BigEndian.Uint64(d)%2 == 1
		})
		for i := range 10 {
			send(t, a, b, i, 8)
		}
		l.SetFilter(nil)
		send(t, a, b, 11, 8)
		settle(time.Millisecond)
		s := l.Stats()
		var ids []int
		for _, g := range drain(t, b, s.Delivered) {
			ids = append(ids, g.id)
		}
		if !slicesEqual(ids, []int{2, 4, 6, 8, 11}) {
			t.Errorf("delivered %v, want [2 4 6 8 11]", ids)
		}
		if s.Filtered != 6 || s.Dropped != 6 {
			t.Errorf("stats %+v, want 6 filtered", s)
		}
	})
}
