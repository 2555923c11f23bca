package quic

import (
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// sentFrameKind names a frame kept in a sent packet's record, so that its fate
// (acknowledged or lost) can be acted on.
type sentFrameKind uint8

const (
	sentCrypto sentFrameKind = iota + 1
	sentAck
	sentHandshakeDone
	sentNewConnID
	sentRetireConnID
	sentPing
)

// sentFrame is a small record of a frame: kind plus two values (CRYPTO
// offset and length, a connection ID sequence number, the largest packet an
// ACK covered).
type sentFrame struct {
	kind sentFrameKind
	a, b uint64
}

// sentPacket is the record of a packet in flight or awaiting acknowledgement.
// Records are pooled per connection; their slices are reused.
type sentPacket struct {
	pn           wire.PacketNumber
	time         time.Time
	size         int
	ackEliciting bool
	inFlight     bool
	padded       bool // carries PADDING, so it counts in flight
	done         bool // acknowledged or lost; removed once at the front
	frames       []sentFrame
	streams      []streamFrameRecord
}

// sentList holds the sent packets of one space in packet number order.
type sentList struct {
	pkts []*sentPacket
	free []*sentPacket
}

// get returns a cleared record.
func (l *sentList) get() *sentPacket {
	if n := len(l.free); n > 0 {
		p := l.free[n-1]
		l.free = l.free[:n-1]
		return p
	}
	return &sentPacket{}
}

// put recycles a record.
func (l *sentList) put(p *sentPacket) {
	p.done, p.padded, p.ackEliciting, p.inFlight = false, false, false, false
	p.frames = p.frames[:0]
	clear(p.streams)
	p.streams = p.streams[:0]
	if len(l.free) < 4096 {
		l.free = append(l.free, p)
	}
}

// add appends a sent packet; packet numbers increase.
func (l *sentList) add(p *sentPacket) { l.pkts = append(l.pkts, p) }

// search returns the index of the first packet with number >= pn.
func (l *sentList) search(pn wire.PacketNumber) int {
	lo, hi := 0, len(l.pkts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if l.pkts[m].pn < pn {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// find returns the outstanding record of pn, or nil.
func (l *sentList) find(pn wire.PacketNumber) *sentPacket {
	i := l.search(pn)
	if i < len(l.pkts) && l.pkts[i].pn == pn && !l.pkts[i].done {
		return l.pkts[i]
	}
	return nil
}

// trim recycles finished records at the front, and compacts the list when
// most records in it are finished.
func (l *sentList) trim() {
	i := 0
	for i < len(l.pkts) && l.pkts[i].done {
		l.put(l.pkts[i])
		i++
	}
	if i > 0 {
		n := copy(l.pkts, l.pkts[i:])
		clear(l.pkts[n:])
		l.pkts = l.pkts[:n]
	}
	if len(l.pkts) < 64 {
		return
	}
	done := 0
	for _, p := range l.pkts {
		if p.done {
			done++
		}
	}
	if done < len(l.pkts)/2 {
		return
	}
	out := l.pkts[:0]
	for _, p := range l.pkts {
		if p.done {
			l.put(p)
			continue
		}
		out = append(out, p)
	}
	clear(l.pkts[len(out):])
	l.pkts = out
}

// clear drops every record.
func (l *sentList) clear() {
	for _, p := range l.pkts {
		l.put(p)
	}
	clear(l.pkts)
	l.pkts = l.pkts[:0]
}
