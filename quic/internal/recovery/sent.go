package recovery

import "time"

// sentPacket is the metadata kept for one sent packet. The connection keeps
// the frames; loss recovery needs only this.
type sentPacket struct {
	timeSent time.Time
	pn       int64
	size     int32
	flags    uint8
}

const (
	flagAckEliciting uint8 = 1 << iota
	flagInFlight
	flagAcked // acknowledged; kept until it reaches the head of the ring
	flagLost  // declared lost; kept until it reaches the head of the ring
)

func (p *sentPacket) ackEliciting() bool { return p.flags&flagAckEliciting != 0 }
func (p *sentPacket) inFlight() bool     { return p.flags&flagInFlight != 0 }
func (p *sentPacket) done() bool         { return p.flags&(flagAcked|flagLost) != 0 }

// sentRing holds the sent packets of one space in increasing packet number
// order. Acknowledged and lost packets are only marked; they leave the ring
// when every older packet has left too, so the ring is a window from the
// oldest outstanding packet to the newest sent. Its capacity is a power of
// two that doubles when full, up to maxTracked; after warm-up it no longer
// allocates.
type sentRing struct {
	buf  []sentPacket
	head int // index in buf of the oldest entry
	n    int // number of entries
}

const (
	initialRingSize = 64
	// maxTracked bounds the packets tracked per space. At 1200-byte packets
	// it covers a 150 MB window, beyond any window this stack reaches.
	maxTracked = 1 << 17
)

func (r *sentRing) len() int { return r.n }

// at returns the i-th oldest entry.
func (r *sentRing) at(i int) *sentPacket {
	return &r.buf[(r.head+i)&(len(r.buf)-1)]
}

func (r *sentRing) full() bool { return r.n == maxTracked }

// push appends p, growing the ring if needed. The caller must check full
// first; a full ring drops nothing by itself.
func (r *sentRing) push(p sentPacket) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = p
	r.n++
}

func (r *sentRing) grow() {
	size := max(2*len(r.buf), initialRingSize)
	buf := make([]sentPacket, size)
	for i := range r.n {
		buf[i] = *r.at(i)
	}
	r.buf = buf
	r.head = 0
}

// popFront removes the oldest entry.
func (r *sentRing) popFront() {
	r.buf[r.head] = sentPacket{}
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
}

// trim removes acknowledged and lost entries from the front.
func (r *sentRing) trim() {
	for r.n > 0 && r.at(0).done() {
		r.popFront()
	}
}

// search returns the index of the first entry with pn >= target, or r.n.
func (r *sentRing) search(target int64) int {
	lo, hi := 0, r.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.at(mid).pn < target {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// clear empties the ring, keeping its buffer.
func (r *sentRing) clear() {
	for r.n > 0 {
		r.popFront()
	}
	r.head = 0
}
