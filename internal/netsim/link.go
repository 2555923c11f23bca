package netsim

import (
	"container/heap"
	"math/rand/v2"
	"sync"
	"time"
)

// LinkStats counts what a Link did. Every datagram sent is eventually either
// delivered or dropped, and so is every duplicate, so once nothing is in
// flight Sent + Duplicated == Delivered + Dropped. A LinkStats is a snapshot
// returned by value; it does not change afterwards.
type LinkStats struct {
	// Sent counts datagrams written into the Link.
	Sent uint64
	// Delivered counts datagrams placed in the receiving Endpoint's queue.
	Delivered uint64
	// Dropped counts every datagram that was not delivered: Filtered, Lost,
	// QueueDropped, and those that found no open Endpoint or a full receive
	// queue.
	Dropped uint64
	// Lost counts datagrams dropped by the Loss probability.
	Lost uint64
	// QueueDropped counts datagrams dropped because the bandwidth queue was
	// full.
	QueueDropped uint64
	// Duplicated counts extra copies made by the Duplicate probability.
	Duplicated uint64
	// Corrupted counts datagrams with a flipped byte.
	Corrupted uint64
	// Reordered counts datagrams held back by the Reorder probability.
	Reordered uint64
	// MarkedCE counts ECN-capable datagrams whose codepoint the Link
	// changed to CE.
	MarkedCE uint64
	// Filtered counts datagrams dropped by the filter of SetFilter.
	Filtered uint64
}

// A Link carries datagrams from one address to another and impairs them.
//
// A Link is safe for concurrent use.
type Link struct {
	net *Network
	key linkKey

	mu          sync.Mutex
	im          Impairment
	rng         *rand.Rand
	stats       LinkStats
	busyUntil   time.Time // when the bandwidth serializer is free
	lastArrival time.Time // arrival of the newest in-order datagram
	flight      flightQueue
	seq         uint64
	timer       *time.Timer
	timerAt     time.Time // when timer fires; zero if it is not armed
	stopped     bool
	inBurst     bool                // the loss model is in its losing state
	filter      func(b []byte) bool // drops the datagrams it returns true for
}

// datagram is one datagram in flight or queued at an Endpoint.
type datagram struct {
	data    []byte
	ecn     uint8 // ECN codepoint
	src     linkKey
	arrival time.Time
	seq     uint64
}

// datagramPool recycles datagrams and their buffers, so that a long transfer
// through the Network does not allocate per datagram.
var datagramPool = sync.Pool{New: func() any { return new(datagram) }}

// newDatagram returns a datagram from the pool holding a copy of b.
func newDatagram(b []byte) *datagram {
	d := datagramPool.Get().(*datagram)
	if cap(d.data) < len(b) {
		d.data = make([]byte, len(b), max(len(b), 1500))
	}
	d.data = d.data[:len(b)]
	copy(d.data, b)
	return d
}

// free returns d to the pool. Nothing may use d afterwards.
func (d *datagram) free() {
	*d = datagram{data: d.data[:0]}
	datagramPool.Put(d)
}

func newLink(n *Network, k linkKey, im Impairment) *Link {
	return &Link{net: n, key: k, im: im, rng: n.newRand(k)}
}

// SetImpairment replaces the Link's Impairment. Datagrams already in flight
// keep the fate they were given.
func (l *Link) SetImpairment(im Impairment) {
	l.mu.Lock()
	l.im = im
	l.mu.Unlock()
}

// SetFilter makes the Link drop every datagram for which drop returns true,
// before any other impairment applies; nil removes the filter. Tests use it
// to drop chosen packets, such as the first server Initial. drop is called
// with the Link locked, one datagram at a time in the order they are sent;
// it must not keep b or call methods of the Link.
func (l *Link) SetFilter(drop func(b []byte) bool) {
	l.mu.Lock()
	l.filter = drop
	l.mu.Unlock()
}

// Impairment returns the Link's current Impairment.
func (l *Link) Impairment() Impairment {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.im
}

// Stats returns a snapshot of the Link's counters.
func (l *Link) Stats() LinkStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// send copies b and schedules its delivery, or drops it.
func (l *Link) send(b []byte, ecn uint8) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return
	}
	l.stats.Sent++
	im := l.im
	if l.filter != nil && l.filter(b) {
		l.stats.Filtered++
		l.stats.Dropped++
		return
	}

	backlog := l.backlog(now, &im)
	depart, ok := l.serialize(now, len(b), &im)
	if !ok {
		l.stats.QueueDropped++
		l.stats.Dropped++
		return
	}
	if l.lose(&im) {
		l.stats.Lost++
		l.stats.Dropped++
		return
	}

	arrival := depart.Add(im.Delay)
	if im.Jitter > 0 {
		arrival = arrival.Add(time.Duration(l.rng.Int64N(int64(im.Jitter))))
	}
	if im.Reorder > 0 && l.rng.Float64() < im.Reorder {
		hold := im.ReorderDelay
		if hold <= 0 {
			hold = 10 * time.Millisecond
		}
		arrival = arrival.Add(hold)
		l.stats.Reordered++
	} else {
		if arrival.Before(l.lastArrival) {
			arrival = l.lastArrival
		}
		l.lastArrival = arrival
	}

	ecn = l.markECN(ecn, backlog, &im)
	dup := im.Duplicate > 0 && l.rng.Float64() < im.Duplicate
	l.schedule(l.copyMaybeCorrupt(b, ecn, arrival, &im), now)
	if dup {
		// The copy is impaired on its own: it may be corrupted when the
		// original is not.
		l.stats.Duplicated++
		l.schedule(l.copyMaybeCorrupt(b, ecn, arrival, &im), now)
	}
}

// lose decides whether the Link loses the next datagram. With LossBurst
// above 1 it follows a two-state (Gilbert) model: in the losing state every
// datagram is lost and each leaves it with probability 1/LossBurst; the
// chance of entering it is chosen so that the long-run loss rate is Loss.
// l.mu must be held.
func (l *Link) lose(im *Impairment) bool {
	switch {
	case im.Loss <= 0:
		l.inBurst = false
		return false
	case im.LossBurst <= 1 || im.Loss >= 1:
		return l.rng.Float64() < im.Loss
	}
	if l.inBurst {
		if l.rng.Float64() < 1/im.LossBurst {
			l.inBurst = false
		}
	} else {
		enter := min(1, im.Loss/(im.LossBurst*(1-im.Loss)))
		if l.rng.Float64() < enter {
			l.inBurst = true
		}
	}
	return l.inBurst
}

// markECN applies the Impairment's ECN rules to a datagram that found backlog
// bytes queued ahead of it. l.mu must be held.
func (l *Link) markECN(ecn uint8, backlog float64, im *Impairment) uint8 {
	if im.BleachECN {
		return ecnNotECT
	}
	if ecn != ecnECT0 && ecn != ecnECT1 {
		return ecn
	}
	if (im.CEThreshold > 0 && backlog >= float64(im.CEThreshold)) ||
		(im.MarkCE > 0 && l.rng.Float64() < im.MarkCE) {
		l.stats.MarkedCE++
		return ecnCE
	}
	return ecn
}

// backlog returns the bytes queued for the bandwidth serializer at now.
// l.mu must be held.
func (l *Link) backlog(now time.Time, im *Impairment) float64 {
	if im.Bandwidth <= 0 || !l.busyUntil.After(now) {
		return 0
	}
	return float64(l.busyUntil.Sub(now)) * float64(im.Bandwidth) / 8 / float64(time.Second)
}

// copyMaybeCorrupt returns a datagram holding a copy of b, with one byte
// flipped with probability im.Corrupt. l.mu must be held.
func (l *Link) copyMaybeCorrupt(b []byte, ecn uint8, arrival time.Time,
	im *Impairment) *datagram {
	d := newDatagram(b)
	d.ecn, d.src, d.arrival = ecn, l.key, arrival
	if im.Corrupt > 0 && len(b) > 0 && l.rng.Float64() < im.Corrupt {
		d.data[l.rng.IntN(len(b))] ^= byte(1 + l.rng.IntN(255))
		l.stats.Corrupted++
	}
	return d
}

// serialize accounts for a datagram of size bytes on a bandwidth-limited Link
// and returns when its last bit leaves, or false if the queue is full.
// l.mu must be held.
func (l *Link) serialize(now time.Time, size int, im *Impairment) (time.Time, bool) {
	if im.Bandwidth <= 0 {
		return now, true
	}
	if l.busyUntil.Before(now) {
		l.busyUntil = now
	}
	limit := im.QueueBytes
	if limit <= 0 {
		limit = DefaultQueueBytes
	}
	if l.backlog(now, im)+float64(size) > float64(limit) {
		return time.Time{}, false
	}
	tx := time.Duration(float64(size) * 8 * float64(time.Second) / float64(im.Bandwidth))
	l.busyUntil = l.busyUntil.Add(tx)
	return l.busyUntil, true
}

// schedule puts a datagram in flight and arms the timer if it is now the
// earliest. l.mu must be held.
func (l *Link) schedule(d *datagram, now time.Time) {
	l.seq++
	d.seq = l.seq
	heap.Push(&l.flight, d)
	l.arm(now)
}

// arm sets the timer for the earliest datagram in flight. l.mu must be held.
func (l *Link) arm(now time.Time) {
	if len(l.flight) == 0 || l.stopped {
		return
	}
	at := l.flight[0].arrival
	if !l.timerAt.IsZero() && !at.Before(l.timerAt) {
		return
	}
	l.timerAt = at
	d := at.Sub(now)
	if l.timer == nil {
		l.timer = time.AfterFunc(d, l.fire)
	} else {
		l.timer.Reset(d)
	}
}

// fire delivers every datagram that is due and re-arms the timer.
func (l *Link) fire() {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timerAt = time.Time{}
	if l.stopped {
		return
	}
	var dst *Endpoint
	for len(l.flight) > 0 && !l.flight[0].arrival.After(now) {
		d := heap.Pop(&l.flight).(*datagram)
		if dst == nil {
			dst = l.net.endpoint(l.key.to)
		}
		if dst != nil && dst.enqueue(d) {
			l.stats.Delivered++
		} else {
			l.stats.Dropped++
			d.free()
		}
	}
	l.arm(now)
}

// stop discards the datagrams in flight and the timer.
func (l *Link) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	l.stats.Dropped += uint64(len(l.flight))
	for _, d := range l.flight {
		d.free()
	}
	l.flight = nil
	if l.timer != nil {
		l.timer.Stop()
	}
}

// flightQueue orders datagrams by arrival, then by the order they were sent.
type flightQueue []*datagram

func (q flightQueue) Len() int { return len(q) }
func (q flightQueue) Less(i, j int) bool {
	if q[i].arrival.Equal(q[j].arrival) {
		return q[i].seq < q[j].seq
	}
	return q[i].arrival.Before(q[j].arrival)
}
func (q flightQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *flightQueue) Push(x any)   { *q = append(*q, x.(*datagram)) }
func (q *flightQueue) Pop() any {
	old := *q
	d := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return d
}
