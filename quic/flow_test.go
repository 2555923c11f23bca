package quic

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// TestSpanSetModel checks spanSet against a bitmap under random adds and subs.
func TestSpanSetModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 200 {
		var s spanSet
		var model [256]bool
		for range 40 {
			a, b := uint64(rng.IntN(256)), uint64(rng.IntN(256))
			if a > b {
				a, b = b, a
			}
			add := rng.IntN(3) > 0
			if add {
				s.add(a, b)
			} else {
				s.sub(a, b)
			}
			for i := a; i < b; i++ {
				model[i] = add
			}
		}
		var want spanSet
		for i := 0; i < len(model); i++ {
			if !model[i] {
				continue
			}
			j := i
			for j < len(model) && model[j] {
				j++
			}
			want = append(want, span{uint64(i), uint64(j)})
			i = j
		}
		if len(s) != len(want) {
			t.Fatalf("iter %d: got %v, want %v", iter, s, want)
		}
		for i := range s {
			if s[i] != want[i] {
				t.Fatalf("iter %d: got %v, want %v", iter, s, want)
			}
		}
	}
}

// TestChunkQueue writes across chunk boundaries, reads back and releases.
func TestChunkQueue(t *testing.T) {
	var q chunkQueue
	data := make([]byte, 3*streamChunkSize+100)
	for i := range data {
		data[i] = byte(i * 7)
	}
	q.write(0, data)
	got := make([]byte, len(data)-10)
	q.read(10, got)
	for i := range got {
		if got[i] != data[i+10] {
			t.Fatalf("byte %d: got %d, want %d", i+10, got[i], data[i+10])
		}
	}
	q.release(2*streamChunkSize + 1)
	if q.base != 2*streamChunkSize || q.held() != 2*streamChunkSize {
		t.Fatalf("after release: base %d, %d bytes held; want %d, 2 chunks", q.base,
			q.held(), 2*streamChunkSize)
	}
	tail := make([]byte, 100)
	q.read(3*streamChunkSize, tail)
	for i := range tail {
		if tail[i] != data[3*streamChunkSize+i] {
			t.Fatalf("tail byte %d differs after release", i)
		}
	}
}

func TestVarintRoundTrip(t *testing.T) {
	for _, v := range []uint64{0, 63, 64, 16383, 16384, 1<<30 - 1, 1 << 30, maxVarint} {
		b := wire.AppendVarint(nil, v)
		if len(b) != wire.VarintLen(v) {
			t.Errorf("%d: encoded %d bytes, frameVarintLen says %d", v, len(b), wire.VarintLen(v))
		}
		got, rest, err := readTestVarint(b)
		if err != nil || got != v || len(rest) != 0 {
			t.Errorf("%d: decoded %d, %d left, %v", v, got, len(rest), err)
		}
	}
}

// TestRecvWindowAutoTune checks that the window doubles only when half of it was
// consumed within two round trips, and never beyond the ceiling.
func TestRecvWindowAutoTune(t *testing.T) {
	rtt := 10 * time.Millisecond
	now := time.Unix(0, 0)
	w := newRecvWindow(100, 400)
	if w.wantUpdate(49) {
		t.Fatal("update wanted before half the window was consumed")
	}
	if !w.wantUpdate(50) {
		t.Fatal("no update wanted after half the window was consumed")
	}
	if got := w.update(50, now, rtt); got != 150 || w.window != 100 {
		t.Fatalf("first update: limit %d window %d, want 150 100", got, w.window)
	}
	// Slow consumption: no growth.
	now = now.Add(5 * rtt)
	if got := w.update(100, now, rtt); got != 200 || w.window != 100 {
		t.Fatalf("slow update: limit %d window %d, want 200 100", got, w.window)
	}
	// Fast consumption: doubling, up to the ceiling.
	for i, want := range []uint64{200, 400, 400} {
		now = now.Add(rtt)
		w.update(150+uint64(i)*100, now, rtt)
		if w.window != want {
			t.Fatalf("fast update %d: window %d, want %d", i, w.window, want)
		}
	}
	if w.limit != 350+400 {
		t.Fatalf("limit %d, want %d", w.limit, 350+400)
	}
}

// TestFirstUpdateGrows checks that a stream's and the connection's first
// window update can already grow the window: the auto-tuning epoch starts when
// the stream is created (at the last packet time), not at the first update.
func TestFirstUpdateGrows(t *testing.T) {
	l := testLimits()
	l.maxData, l.maxStreamDataBidiRemote = 64<<10, 64<<10
	ss, _ := newTestStreams(true, l, testLimits())
	p := newTestPipe(t)
	p.send(ss, 1350) // the connection's first packet sets the clock
	must(t, ss.handleStream(peerBidi(0), 0, make([]byte, 40<<10), false))
	s, err := ss.accept(t.Context(), true)
	must(t, err)
	_, err = s.Read(make([]byte, 40<<10))
	must(t, err)
	p.now = p.now.Add(p.rtt)
	p.send(ss, 1350)
	want := map[byte]uint64{0x10: 40<<10 + 128<<10, 0x11: 40<<10 + 128<<10}
	if len(p.frames) != 2 {
		t.Fatalf("frames %v, want MAX_DATA and MAX_STREAM_DATA", p.frames)
	}
	for _, f := range p.frames {
		if f.val != want[f.typ] {
			t.Fatalf("frame %v, want value %d (window doubled)", f, want[f.typ])
		}
	}
}
