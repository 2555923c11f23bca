package quic

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// TestChunkQueueModel applies random writes, reads and releases to a queue and
// to a plain byte slice, and checks that they agree and that the buffers held
// stay proportional to the live bytes: a small buffer while they span at most
// smallMax bytes, nothing when the queue is empty.
func TestChunkQueueModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for iter := range 20 {
		var q chunkQueue
		const size = 96 << 10
		want := make([]byte, size)
		written := make([]bool, size)
		floor, hi := 0, 0 // lowest live offset, end of the highest write
		for step := 0; step < 200 && floor < size; step++ {
			switch rng.IntN(3) {
			case 0, 1: // write, mostly near the end of the data, small or not
				off := min(hi, size-1)
				switch rng.IntN(4) {
				case 0: // far ahead, leaving a gap
					off = floor + rng.IntN(min(size-floor, 40<<10))
				case 1: // overlapping what came before
					off = floor + rng.IntN(off-floor+1)
				}
				n := min(1+rng.IntN(300), size-off)
				if rng.IntN(3) == 0 {
					n = min(1+rng.IntN(3000), size-off)
				}
				p := make([]byte, n)
				for i := range p {
					p[i] = byte(rng.Uint32())
				}
				q.write(uint64(off), p)
				copy(want[off:], p)
				for i := off; i < off+n; i++ {
					written[i] = true
				}
				hi = max(hi, off+n)
			case 2: // release what is contiguous, maybe not all of it
				end := floor
				for end < size && written[end] {
					end++
				}
				to := floor + rng.IntN(end-floor+1)
				if to > floor {
					got := make([]byte, to-floor)
					q.read(uint64(floor), got)
					if !bytes.Equal(got, want[floor:to]) {
						t.Fatalf("iter %d step %d: bytes [%d, %d) differ", iter, step,
							floor, to)
					}
				}
				floor = to
				q.release(uint64(floor))
			}
			checkHeld(t, &q, max(hi, floor)-floor)
		}
	}
}

// checkHeld checks the buffer bytes q holds against span, the distance from
// the lowest live offset to the end of the highest write.
func checkHeld(t *testing.T, q *chunkQueue, span int) {
	t.Helper()
	held := q.held()
	switch {
	case span == 0 && held != 0:
		t.Fatalf("empty queue holds %d bytes", held)
	case span > 0 && span <= smallSize && held != smallSize && q.big == nil:
		t.Fatalf("%d live bytes held in %d bytes", span, held)
	case span > 0 && span <= smallMax && held > smallMax:
		t.Fatalf("%d live bytes held in %d bytes", span, held)
	case held > span+2*streamChunkSize:
		t.Fatalf("%d live bytes held in %d bytes", span, held)
	}
}

// idleStreams opens n peer streams on a fresh stream set and sends 60 bytes on
// each, the start of a request whose rest never comes. If read, the
// application consumes the bytes, as an HTTP/3 server reading the HEADERS frame
// would.
func idleStreams(t testing.TB, n int, read bool) (*streamsState, []*Stream) {
	l := testLimits()
	l.maxStreamsBidi = uint64(n)
	l.maxData = uint64(n) * 1024
	ss, _ := newTestStreams(false, l, testLimits())
	data := bytes.Repeat([]byte("h"), 60)
	list := make([]*Stream, 0, n)
	buf := make([]byte, 100)
	for i := range n {
		must(t, ss.handleStream(int64(i)<<2, 0, data, false))
		s, err := ss.accept(t.Context(), true)
		if err != nil {
			t.Fatal(err)
		}
		if read {
			if k, err := s.Read(buf); k != len(data) || err != nil {
				t.Fatalf("Read: %d, %v", k, err)
			}
		}
		list = append(list, s)
	}
	return ss, list
}

// TestIdleStreamBuffers checks that streams each holding a 60-byte request
// hold buffers proportional to it: at most 1 KiB per stream (it was one 16 KiB
// chunk), nothing once the application read the bytes, and that total heap per
// such stream, all state included, stays under 2 KiB.
func TestIdleStreamBuffers(t *testing.T) {
	const n = 2000
	for _, read := range []bool{false, true} {
		var before, after runtime.MemStats
		// Two collections empty the buffer pools, so that the buffers the
		// streams take count as new heap.
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&before)
		ss, list := idleStreams(t, n, read)
		runtime.GC()
		runtime.ReadMemStats(&after)
		perStream := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n

		held := 0
		for _, s := range list {
			s.mu.Lock()
			held += s.recv.buf.held() + s.send.buf.held()
			s.mu.Unlock()
		}
		limit := 1024
		if read {
			limit = 0
		}
		if held > limit*n {
			t.Errorf("read=%v: %d streams hold %d buffer bytes, %d each; want <= %d",
				read, n, held, held/n, limit)
		}
		if perStream > 2048 {
			t.Errorf("read=%v: heap grew by %d bytes per idle stream; want <= 2048",
				read, perStream)
		}
		t.Logf("read=%v: %d buffer bytes and %d heap bytes per idle stream",
			read, held/n, perStream)
		runtime.KeepAlive(ss)
	}
}

// TestSendBufferProportional checks the send side: streams each holding a
// 60-byte write not yet acknowledged hold one small buffer, a bulk write
// moves to chunks, and nothing is held once everything was acknowledged.
func TestSendBufferProportional(t *testing.T) {
	const n = 50
	peer := testLimits()
	peer.maxStreamsBidi = n
	ss, _ := newTestStreams(true, testLimits(), peer)
	data := bytes.Repeat([]byte("w"), 60)
	var list []*Stream
	for range n {
		s, err := ss.open(t.Context(), true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write(data); err != nil {
			t.Fatal(err)
		}
		list = append(list, s)
	}
	pkt, recs := make([]byte, 0, 1500), make([]streamFrameRecord, 0, 64)
	now := time.Unix(0, 0)
	sendAll := func(ack bool) {
		for range 1000 {
			pkt, recs = ss.appendFrames(pkt[:0], 1350, now, time.Millisecond, recs[:0])
			if len(recs) == 0 {
				return
			}
			for _, r := range recs {
				if ack {
					ss.onAcked(r)
				}
			}
		}
		t.Fatal("still sending after 1000 packets")
	}
	sendAll(false) // sent, not acknowledged: the bytes stay buffered
	for _, s := range list {
		if h := s.send.buf.held(); h > 1024 {
			t.Fatalf("stream %d holds %d bytes for 60 unacknowledged", s.id, h)
		}
	}
	big := make([]byte, 40<<10)
	if _, err := list[0].Write(big); err != nil {
		t.Fatal(err)
	}
	if h := list[0].send.buf.held(); h < len(big) || h > len(big)+2*streamChunkSize {
		t.Fatalf("%d bytes buffered in %d", len(big)+len(data), h)
	}
	for _, s := range list {
		ss.onAcked(streamFrameRecord{id: s.id, n: uint32(len(data)), kind: recStream})
	}
	sendAll(true)
	for _, s := range list {
		if h := s.send.buf.held(); h != 0 {
			t.Fatalf("stream %d holds %d bytes with everything acknowledged", s.id, h)
		}
	}
}
