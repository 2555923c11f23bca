package quic

import (
	"context"
	"encoding/binary"
	"testing"
	"time"
)

// BenchmarkStreamSend writes 1 MiB in 16 KiB writes, drains it through
// appendFrames into 1350-byte packets and acknowledges them. In steady state it
// should not allocate.
func BenchmarkStreamSend(b *testing.B) {
	peer := testLimits()
	peer.maxData = maxVarint
	peer.maxStreamDataBidiRemote = maxVarint
	ss, _ := newTestStreams(true, testLimits(), peer)
	s, err := ss.open(b.Context(), true)
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, 16<<10)
	pkt := make([]byte, 0, 1500)
	recs := make([]streamFrameRecord, 0, 16)
	now := time.Unix(0, 0)
	packets := 0
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		for range 64 {
			if _, err := s.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		for {
			pkt, recs = ss.appendFrames(pkt[:0], 1350, now, time.Millisecond, recs[:0])
			if len(recs) == 0 {
				break
			}
			packets++
			for _, r := range recs {
				ss.onAcked(r)
			}
		}
	}
	b.ReportMetric(float64(packets)/float64(b.N), "packets/op")
}

// BenchmarkStreamRecv delivers 1 MiB in 1300-byte STREAM frames, reads it in
// 16 KiB reads and sends the window updates.
func BenchmarkStreamRecv(b *testing.B) {
	l := testLimits()
	l.maxData = 1 << 22
	l.maxConnWindow = 1 << 22
	ss, _ := newTestStreams(true, l, testLimits())
	id := peerBidi(0)
	data := make([]byte, 1300)
	buf := make([]byte, 16<<10)
	pkt := make([]byte, 0, 1500)
	recs := make([]streamFrameRecord, 0, 16)
	var s *Stream
	var off uint64
	now := time.Unix(0, 0)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		for end := off + 1<<20; off < end; {
			n := min(uint64(len(data)), end-off)
			if err := ss.handleStream(id, off, data[:n], false); err != nil {
				b.Fatal(err)
			}
			off += n
			if s == nil {
				s, _ = ss.accept(b.Context(), true)
			}
			for s.recv.readable() >= uint64(len(buf)) {
				if _, err := s.Read(buf); err != nil {
					b.Fatal(err)
				}
			}
			if ss.hasPending() {
				pkt, recs = ss.appendFrames(pkt[:0], 1350, now, time.Millisecond, recs[:0])
			}
		}
	}
}

// FuzzStreamsState feeds a random sequence of stream frames, reads, writes,
// packet builds, acknowledgments and losses to a stream set: it must never panic
// and its memory must stay within the advertised windows and stream limits.
func FuzzStreamsState(f *testing.F) {
	f.Add([]byte{0x08, 0x01, 0x00, 0x10, 0x05, 0x20, 0x02, 0x03})
	f.Add([]byte{0x04, 0x05, 0x00, 0x07, 0x08, 0x05, 0x40, 0x10, 0x11, 0x02, 0x30})
	f.Add([]byte{0x20, 0x21, 0x22, 0x08, 0x09, 0x00, 0x01, 0x23, 0x24, 0x25, 0x12, 0x0f})
	f.Fuzz(func(t *testing.T, in []byte) {
		l := testLimits()
		l.maxStreamsBidi, l.maxStreamsUni = 4, 4
		l.maxStreamDataBidiLocal, l.maxStreamDataBidiRemote = 64<<10, 64<<10
		l.maxStreamDataUni, l.maxData = 64<<10, 128<<10
		l.maxStreamWindow, l.maxConnWindow = 128<<10, 256<<10
		ss, _ := newTestStreams(false, l, l)
		fz := &streamsFuzzer{t: t, ss: ss, in: in, p: newTestPipe(t)}
		for len(fz.in) > 0 && fz.steps < 2000 {
			fz.steps++
			if !fz.step() {
				return
			}
		}
		fz.checkBounds(l)
	})
}

// streamsFuzzer interprets fuzz input as operations on a stream set.
type streamsFuzzer struct {
	t     *testing.T
	ss    *streamsState
	in    []byte
	p     *testPipe
	recs  []streamFrameRecord
	data  [4096]byte
	steps int
}

func (fz *streamsFuzzer) byte() byte {
	if len(fz.in) == 0 {
		return 0
	}
	c := fz.in[0]
	fz.in = fz.in[1:]
	return c
}

// value returns a small number, sometimes a large one.
func (fz *streamsFuzzer) value() uint64 {
	c := fz.byte()
	switch c >> 6 {
	case 0, 1:
		return uint64(c)
	case 2:
		return uint64(c&0x3f) << 10
	}
	var b [8]byte
	for i := range b {
		b[i] = fz.byte()
	}
	return binary.BigEndian.Uint64(b[:]) & maxVarint
}

// step applies one operation; it reports false once the connection would have
// closed with an error.
func (fz *streamsFuzzer) step() bool {
	ss := fz.ss
	op := fz.byte()
	id := int64(fz.byte() & 0x1f) // streams 0-7 of each type
	var err error
	switch op % 12 {
	case 0:
		off, n := fz.value(), int(fz.value()%uint64(len(fz.data)))
		err = ss.handleStream(id, off, fz.data[:n], fz.byte()&1 == 1)
	case 1:
		err = ss.handleResetStream(id, fz.value(), fz.value())
	case 2:
		err = ss.handleStopSending(id, fz.value())
	case 3:
		err = ss.handleMaxStreamData(id, fz.value())
	case 4:
		ss.handleMaxData(fz.value())
	case 5:
		err = ss.handleMaxStreams(fz.byte()&1 == 1, fz.value())
	case 6:
		err = ss.handleStreamsBlocked(fz.byte()&1 == 1, fz.value())
	case 7:
		fz.recs = append(fz.recs[:0], fz.p.send(ss, int(fz.value()%1500))...)
	case 8:
		for _, r := range fz.recs {
			if fz.byte()&1 == 0 {
				ss.onAcked(r)
			} else {
				ss.onLost(r)
			}
		}
		fz.recs = fz.recs[:0]
	case 9:
		fz.userOp(id)
	case 10:
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if s, _ := ss.accept(ctx, fz.byte()&1 == 1); s != nil {
			s.SetDeadline(time.Unix(1, 0))
		}
	case 11:
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, _ = ss.open(ctx, fz.byte()&1 == 1)
	}
	return err == nil
}

// userOp runs an application call on stream id if it exists.
func (fz *streamsFuzzer) userOp(id int64) {
	s := fz.ss.lookup(id)
	if s == nil {
		return
	}
	s.SetDeadline(time.Unix(1, 0)) // never block
	switch fz.byte() % 5 {
	case 0:
		s.Read(fz.data[:fz.value()%uint64(len(fz.data))])
	case 1:
		s.Write(fz.data[:fz.value()%uint64(len(fz.data))])
	case 2:
		s.Close()
	case 3:
		s.CancelRead(fz.value())
	case 4:
		s.CancelWrite(fz.value())
	}
}

// checkBounds verifies that buffered data stays within the receive windows
// and the stream count within the limits.
func (fz *streamsFuzzer) checkBounds(l streamLimits) {
	ss := fz.ss
	ss.mu.Lock()
	streams := make([]*Stream, 0, len(ss.streams))
	for _, s := range ss.streams {
		streams = append(streams, s)
	}
	ss.mu.Unlock()
	remote := 0
	for _, s := range streams {
		if !ss.isLocal(s.id) {
			remote++
		}
	}
	// Peer streams are bounded by our limits; ours by the application's opens.
	if remote > int(l.maxStreamsBidi+l.maxStreamsUni) {
		fz.t.Fatalf("%d live peer streams, limits allow %d", remote,
			l.maxStreamsBidi+l.maxStreamsUni)
	}
	for _, s := range streams {
		s.mu.Lock()
		held := uint64(s.recv.buf.held())
		limit := s.recv.win.limit - s.recv.buf.base
		s.mu.Unlock()
		if held > limit+streamChunkSize {
			fz.t.Fatalf("stream %d holds %d bytes, window allows %d", s.id, held, limit)
		}
	}
}

// BenchmarkStreamSendMany writes 16 KiB on each of 100 streams and drains them
// through appendFrames into 1350-byte packets, acknowledging each: the cost per
// packet should not grow with the number of queued streams.
func BenchmarkStreamSendMany(b *testing.B) {
	const streams = 100
	peer := testLimits()
	peer.maxData = maxVarint
	peer.maxStreamsBidi = streams
	peer.maxStreamDataBidiRemote = maxVarint
	ss, _ := newTestStreams(true, testLimits(), peer)
	var list []*Stream
	for range streams {
		s, err := ss.open(b.Context(), true)
		if err != nil {
			b.Fatal(err)
		}
		list = append(list, s)
	}
	chunk := make([]byte, 16<<10)
	pkt := make([]byte, 0, 1500)
	recs := make([]streamFrameRecord, 0, 16)
	now := time.Unix(0, 0)
	packets := 0
	b.SetBytes(streams * 16 << 10)
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range list {
			if _, err := s.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		for {
			pkt, recs = ss.appendFrames(pkt[:0], 1350, now, time.Millisecond, recs[:0])
			if len(recs) == 0 {
				break
			}
			packets++
			for _, r := range recs {
				ss.onAcked(r)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(packets), "ns/packet")
}
