package quic

import (
	"sync"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// Stream data is buffered in pooled arrays of three sizes so that what a
// stream holds stays proportional to the bytes in it: a stream holding a 60-byte
// request costs a 256-byte buffer, not a 16 KiB chunk. A queue whose live bytes
// span at most smallMax uses one small buffer (smallSize or midSize); beyond
// that it switches to streamChunkSize chunks, the bulk path, where the data is
// written and read in place without further copies.
const (
	smallSize       = 256
	midSize         = 2 << 10
	smallMax        = midSize
	streamChunkSize = 16 << 10
)

// streamChunk is one buffer of stream data on the bulk path.
type streamChunk [streamChunkSize]byte

// Pools of the three buffer sizes and of chunk lists. Steady-state transfers
// take and return buffers here and do not allocate.
var (
	streamChunkPool = sync.Pool{New: func() any { return new(streamChunk) }}
	chunkListPool   = sync.Pool{New: func() any { return new(chunkList) }}
	midBufPool      = sync.Pool{New: func() any { return new([midSize]byte) }}
	smallBufPool    = sync.Pool{New: func() any { return new([smallSize]byte) }}
)

// getStreamChunk returns a chunk from the pool; its contents are undefined.
func getStreamChunk() *streamChunk { return streamChunkPool.Get().(*streamChunk) }

// putStreamChunk returns c to the pool; the caller must not use it again.
func putStreamChunk(c *streamChunk) { streamChunkPool.Put(c) }

// getSmallBuf returns a pooled buffer of smallSize or midSize bytes, the
// smaller one that holds n bytes (n <= smallMax); its contents are undefined.
func getSmallBuf(n uint64) []byte {
	if n <= smallSize {
		return smallBufPool.Get().(*[smallSize]byte)[:]
	}
	return midBufPool.Get().(*[midSize]byte)[:]
}

// putSmallBuf returns b, which getSmallBuf returned, to its pool.
func putSmallBuf(b []byte) {
	switch len(b) {
	case smallSize:
		smallBufPool.Put((*[smallSize]byte)(b))
	case midSize:
		midBufPool.Put((*[midSize]byte)(b))
	default:
		panic("quic: internal error: foreign buffer returned to the small pools")
	}
}

// chunkList is the list of chunks of a queue on the bulk path. It is pooled
// with its backing array, so that a stream that empties and refills its queue
// does not allocate, and an idle stream holds no list.
type chunkList struct {
	c []*streamChunk
}

// chunkQueue buffers the bytes of a stream at offsets [floor, end), with gaps
// where nothing was written yet. It stores them either in one small buffer
// covering [base, base+len(small)), or on the bulk path (big not nil) in chunks
// covering [base, base+len(big.c)*streamChunkSize), base then being a multiple
// of streamChunkSize and a nil entry a chunk not yet needed. An empty queue
// holds no buffer. It is not safe for concurrent use.
//
// TODO: a fragment arriving more than smallMax bytes ahead of floor takes a
// whole chunk even if it is a few bytes long. The peer pays connection credit
// up to that offset, so this costs at most one chunk per stream beyond the
// credit spent; a compact store for sparse out-of-order fragments would save
// it.
type chunkQueue struct {
	floor uint64 // lowest offset that may still be written or read
	end   uint64 // end of the highest write; at least floor
	base  uint64 // offset of small[0] or of big.c[0]
	small []byte
	big   *chunkList
}

// held returns the bytes of buffer the queue holds, for tests and accounting.
func (q *chunkQueue) held() int {
	n := len(q.small)
	if q.big != nil {
		for _, ch := range q.big.c {
			if ch != nil {
				n += streamChunkSize
			}
		}
	}
	return n
}

// at returns the chunk holding offset off on the bulk path, allocating it (and
// the slots before it) if needed. off must be at or above base.
func (q *chunkQueue) at(off uint64) *streamChunk {
	l := q.big
	i := int((off - q.base) / streamChunkSize)
	for len(l.c) <= i {
		l.c = append(l.c, nil)
	}
	if l.c[i] == nil {
		l.c[i] = getStreamChunk()
	}
	return l.c[i]
}

// write copies p to offsets [off, off+len(p)); off must be at or above floor.
func (q *chunkQueue) write(off uint64, p []byte) {
	if len(p) == 0 {
		return
	}
	end := off + uint64(len(p))
	if q.big == nil && (q.small == nil || end-q.base > uint64(len(q.small))) {
		q.regrow(max(end, q.end))
	}
	q.end = max(q.end, end)
	if q.big == nil {
		copy(q.small[off-q.base:], p)
		return
	}
	for len(p) > 0 {
		ch := q.at(off)
		n := copy(ch[off%streamChunkSize:], p)
		p = p[n:]
		off += uint64(n)
	}
}

// regrow moves the live bytes [floor, end) of a small buffer (if any) to
// storage for [floor, newEnd): the small buffer that fits, or chunks.
func (q *chunkQueue) regrow(newEnd uint64) {
	old, oldBase := q.small, q.base
	var live []byte
	if old != nil && q.end > q.floor {
		live = old[q.floor-oldBase : q.end-oldBase]
	}
	q.small = nil
	if n := newEnd - q.floor; n <= smallMax {
		q.small = getSmallBuf(n)
		q.base = q.floor
		copy(q.small, live)
	} else {
		q.big = chunkListPool.Get().(*chunkList)
		q.base = q.floor - q.floor%streamChunkSize
		end := q.end
		q.write(q.floor, live)
		q.end = end
	}
	if old != nil {
		putSmallBuf(old)
	}
}

// read copies the bytes at [off, off+len(p)) to p. They must have been written.
func (q *chunkQueue) read(off uint64, p []byte) {
	if q.big == nil {
		copy(p, q.small[off-q.base:])
		return
	}
	for len(p) > 0 {
		ch := q.at(off)
		n := copy(p, ch[off%streamChunkSize:])
		p = p[n:]
		off += uint64(n)
	}
}

// release drops the bytes below off. A queue left empty returns its buffers to
// the pools; chunks wholly below off go back too, and once the bytes left span
// at most smallMax they move to a small buffer, so that a stream that goes
// idle after a bulk transfer keeps no chunk for a few bytes.
func (q *chunkQueue) release(off uint64) {
	if off <= q.floor {
		return
	}
	q.floor = off
	if off >= q.end {
		q.free(off)
		return
	}
	if q.big == nil {
		if len(q.small) > smallSize && q.end-q.floor <= smallSize {
			q.regrow(q.end)
		}
		return
	}
	l := q.big
	k := 0
	for k < len(l.c) && q.base+uint64(k+1)*streamChunkSize <= off {
		if l.c[k] != nil {
			putStreamChunk(l.c[k])
			l.c[k] = nil
		}
		k++
	}
	if k > 0 {
		n := copy(l.c, l.c[k:])
		clear(l.c[n:])
		l.c = l.c[:n]
		q.base += uint64(k) * streamChunkSize
	}
	if q.end-q.floor <= smallMax {
		q.compact()
	}
}

// compact moves the live bytes of the bulk path into a small buffer. Chunks
// never written (gaps) are skipped rather than read.
func (q *chunkQueue) compact() {
	small := getSmallBuf(q.end - q.floor)
	c := q.big.c
	for off := q.floor; off < q.end; {
		i := (off - q.base) / streamChunkSize
		next := min(q.base+(i+1)*streamChunkSize, q.end)
		if i < uint64(len(c)) && c[i] != nil {
			copy(small[off-q.floor:next-q.floor], c[i][off%streamChunkSize:])
		}
		off = next
	}
	q.freeChunks()
	q.small, q.base = small, q.floor
}

// freeChunks returns every chunk, and the list, to the pools and leaves the
// bulk path.
func (q *chunkQueue) freeChunks() {
	l := q.big
	if l == nil {
		return
	}
	for i, ch := range l.c {
		if ch != nil {
			putStreamChunk(ch)
			l.c[i] = nil
		}
	}
	l.c = l.c[:0]
	chunkListPool.Put(l)
	q.big = nil
}

// free returns every buffer to the pools; the queue restarts empty at offset
// floor.
func (q *chunkQueue) free(floor uint64) {
	q.freeChunks()
	if q.small != nil {
		putSmallBuf(q.small)
		q.small = nil
	}
	q.floor, q.end, q.base = floor, floor, floor
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
