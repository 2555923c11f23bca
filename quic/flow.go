package quic

import (
	"sync"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// streamChunkSize is the size of the buffers that hold stream data on both the
// send and the receive side. Chunks are recycled through streamChunkPool so that
// steady-state transfers do not allocate.
const streamChunkSize = 16 << 10

// streamChunk is one buffer of stream data.
type streamChunk [streamChunkSize]byte

var streamChunkPool = sync.Pool{New: func() any { return new(streamChunk) }}

// getStreamChunk returns a chunk from the pool; its contents are undefined.
func getStreamChunk() *streamChunk { return streamChunkPool.Get().(*streamChunk) }

// putStreamChunk returns c to the pool; the caller must not use it again.
func putStreamChunk(c *streamChunk) { streamChunkPool.Put(c) }

// chunkQueue is a sequence of chunks covering stream offsets [base, base +
// len(c)*streamChunkSize). A nil entry is a chunk not yet needed. base is always
// a multiple of streamChunkSize. It is not safe for concurrent use.
type chunkQueue struct {
	base uint64
	c    []*streamChunk
}

// at returns the chunk holding offset off, allocating it (and the slots before it)
// if needed. off must be at or above base.
func (q *chunkQueue) at(off uint64) *streamChunk {
	i := int((off - q.base) / streamChunkSize)
	for len(q.c) <= i {
		q.c = append(q.c, nil)
	}
	if q.c[i] == nil {
		q.c[i] = getStreamChunk()
	}
	return q.c[i]
}

// write copies p to offsets [off, off+len(p)).
func (q *chunkQueue) write(off uint64, p []byte) {
	for len(p) > 0 {
		ch := q.at(off)
		n := copy(ch[off%streamChunkSize:], p)
		p = p[n:]
		off += uint64(n)
	}
}

// read copies the bytes at [off, off+len(p)) to p. They must have been written.
func (q *chunkQueue) read(off uint64, p []byte) {
	for len(p) > 0 {
		ch := q.at(off)
		n := copy(p, ch[off%streamChunkSize:])
		p = p[n:]
		off += uint64(n)
	}
}

// release returns to the pool every chunk that lies wholly below off.
func (q *chunkQueue) release(off uint64) {
	k := 0
	for k < len(q.c) && q.base+uint64(k+1)*streamChunkSize <= off {
		if q.c[k] != nil {
			putStreamChunk(q.c[k])
			q.c[k] = nil
		}
		k++
	}
	if k == 0 {
		return
	}
	n := copy(q.c, q.c[k:])
	clear(q.c[n:])
	q.c = q.c[:n]
	q.base += uint64(k) * streamChunkSize
}

// free returns every chunk to the pool; the queue restarts at offset base.
func (q *chunkQueue) free(base uint64) {
	for i, ch := range q.c {
		if ch != nil {
			putStreamChunk(ch)
			q.c[i] = nil
		}
	}
	q.c = q.c[:0]
	q.base = base - base%streamChunkSize
}

// span is the half-open interval [start, end) of stream offsets.
type span struct{ start, end uint64 }

// spanSet is a sorted list of disjoint, non-adjacent spans. Its operations work in
// place, so a set that stays small does not allocate. It is not safe for
// concurrent use.
type spanSet []span

// add inserts [start, end), merging it with overlapping or adjacent spans.
func (s *spanSet) add(start, end uint64) {
	if start >= end {
		return
	}
	r := *s
	i := 0
	for i < len(r) && r[i].end < start {
		i++
	}
	j := i
	for j < len(r) && r[j].start <= end {
		start = min(start, r[j].start)
		end = max(end, r[j].end)
		j++
	}
	switch {
	case i == j:
		r = append(r, span{})
		copy(r[i+1:], r[i:])
		r[i] = span{start, end}
	default:
		r[i] = span{start, end}
		r = append(r[:i+1], r[j:]...)
	}
	*s = r
}

// sub removes [start, end) from the set.
func (s *spanSet) sub(start, end uint64) {
	if start >= end {
		return
	}
	r := *s
	for i := 0; i < len(r); i++ {
		x := r[i]
		if x.end <= start || x.start >= end {
			continue
		}
		switch {
		case x.start < start && x.end > end: // split in two
			r = append(r, span{})
			copy(r[i+2:], r[i+1:])
			r[i] = span{x.start, start}
			r[i+1] = span{end, x.end}
			*s = r
			return
		case x.start < start:
			r[i].end = start
		case x.end > end:
			r[i].start = end
		default:
			r = append(r[:i], r[i+1:]...)
			i--
		}
	}
	*s = r
}

// contiguous returns the end of the span that contains from, or from.
func (s spanSet) contiguous(from uint64) uint64 {
	for _, x := range s {
		if x.start <= from && from < x.end {
			return x.end
		}
	}
	return from
}

// maxVarint is the largest value a variable-length integer carries (RFC 9000,
// Section 16); it bounds flow-control limits and error codes.
const maxVarint = wire.MaxVarint

// recvWindow is the receive side of flow control for a stream or the connection
// (RFC 9000, Section 4.1): the limit we advertised and the window that limit is
// renewed with. The window grows with the measured bandwidth-delay product: when
// the reader consumed half a window in less than two round trips, the window
// doubles, up to ceiling. It is not safe for concurrent use.
type recvWindow struct {
	window  uint64    // current window size
	ceiling uint64    // auto-tuning never grows window past this
	limit   uint64    // highest limit advertised (MAX_DATA or MAX_STREAM_DATA)
	epoch   time.Time // when limit was last raised; zero before the first raise
}

// newRecvWindow returns a window whose initial advertised limit is initial.
func newRecvWindow(initial, ceiling uint64) recvWindow {
	return recvWindow{window: initial, ceiling: max(initial, ceiling), limit: initial}
}

// wantUpdate reports whether the reader, having consumed up to consumed, has used
// half the window since the last update, so a new limit should be sent.
func (w *recvWindow) wantUpdate(consumed uint64) bool {
	return consumed <= w.limit && w.limit-consumed <= w.window/2
}

// update raises the limit to consumed plus the window, doubling the window first
// if the last half window was consumed within two round trips. It returns the new
// limit.
func (w *recvWindow) update(consumed uint64, now time.Time, rtt time.Duration) uint64 {
	if !w.epoch.IsZero() && rtt > 0 && now.Sub(w.epoch) < 2*rtt && w.window < w.ceiling {
		w.window = min(2*w.window, w.ceiling)
	}
	w.epoch = now
	w.limit = max(w.limit, min(consumed+w.window, maxVarint))
	return w.limit
}

// atLeast grows the window to n (capped by the ceiling), so that the connection
// window keeps up with a stream window that grew.
func (w *recvWindow) atLeast(n uint64) {
	if n > w.window {
		w.window = min(n, w.ceiling)
	}
}
