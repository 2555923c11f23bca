package quic

import (
	"bytes"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// openTestStream opens a bidirectional stream on a client stream set.
func openTestStream(t testing.TB, l, peer streamLimits) (*streamsState, *Stream) {
	t.Helper()
	ss, _ := newTestStreams(true, l, peer)
	s, err := ss.open(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	return ss, s
}

// collectStream concatenates the STREAM frames of stream id in frames,
// checking that they are contiguous from off.
func collectStream(t testing.TB, frames []testFrame, id int64, off uint64) ([]byte, bool) {
	t.Helper()
	var out []byte
	fin := false
	for _, f := range frames {
		if f.typ != 0x08 || f.id != id {
			continue
		}
		if f.off != off+uint64(len(out)) {
			t.Fatalf("STREAM frame at %d, want %d", f.off, off+uint64(len(out)))
		}
		out = append(out, f.data...)
		fin = fin || f.fin
	}
	return out, fin
}

// TestSendAndAck writes, closes, drains the stream into packets and acknowledges
// them: the bytes and FIN go out once, and the buffer is freed.
func TestSendAndAck(t *testing.T) {
	ss, s := openTestStream(t, testLimits(), testLimits())
	data := bytes.Repeat([]byte("0123456789"), 4000)
	if n, err := s.Write(data); n != len(data) || err != nil {
		t.Fatalf("Write: %d %v", n, err)
	}
	must(t, s.Close())
	p := newTestPipe(t)
	var got []byte
	var fin bool
	for i := 0; i < 100; i++ {
		recs := p.send(ss, 1350)
		if len(recs) == 0 {
			break
		}
		b, f := collectStream(t, p.frames, s.id, uint64(len(got)))
		got, fin = append(got, b...), f
		for _, r := range recs {
			ss.onAcked(r)
		}
	}
	if !bytes.Equal(got, data) || !fin {
		t.Fatalf("sent %d bytes fin=%v, want %d bytes and FIN", len(got), fin, len(data))
	}
	s.mu.Lock()
	done, chunks := s.send.done(), s.send.buf.held()
	s.mu.Unlock()
	if !done || chunks != 0 {
		t.Fatalf("after acks: done=%v, %d buffer bytes held", done, chunks)
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close: %v, want net.ErrClosed", err)
	}
}

// TestLostDataFirst loses a packet and checks that the next packet starts with
// the retransmission, built from the buffer, before new data.
func TestLostDataFirst(t *testing.T) {
	ss, s := openTestStream(t, testLimits(), testLimits())
	data := make([]byte, 6000)
	for i := range data {
		data[i] = byte(i)
	}
	_, err := s.Write(data)
	must(t, err)
	p := newTestPipe(t)
	lost := append([]streamFrameRecord(nil), p.send(ss, 600)...)
	for _, r := range p.send(ss, 1350) {
		ss.onAcked(r)
	}
	for _, r := range lost {
		ss.onLost(r)
	}
	p.send(ss, 1350)
	f := p.frames[0]
	if f.typ != 0x08 || f.off != 0 {
		t.Fatalf("first frame after loss: %v, want STREAM at offset 0", f)
	}
	if !bytes.Equal(f.data, data[:len(f.data)]) {
		t.Fatal("retransmitted bytes differ")
	}
	if len(p.frames) < 2 || p.frames[1].off <= f.off {
		t.Fatalf("frames after loss: %v, want new data after the retransmission", p.frames)
	}
}

// TestCancelWrite checks RESET_STREAM with the bytes sent as final size, its
// retransmission on loss and the error Write returns.
func TestCancelWrite(t *testing.T) {
	ss, s := openTestStream(t, testLimits(), testLimits())
	_, err := s.Write(make([]byte, 3000))
	must(t, err)
	p := newTestPipe(t)
	p.send(ss, 1350)
	sent, _ := collectStream(t, p.frames, s.id, 0)
	s.CancelWrite(7)
	_, err = s.Write([]byte("x"))
	var se *StreamError
	if !errors.As(err, &se) || se.Remote || se.Code != 7 || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after CancelWrite: %v", err)
	}
	want := testFrame{typ: 0x04, id: s.id, code: 7, val: uint64(len(sent))}
	recs := p.send(ss, 1350)
	if len(p.frames) != 1 || p.frames[0].String() != want.String() {
		t.Fatalf("frames %v, want %v", p.frames, want)
	}
	ss.onLost(recs[0])
	recs = p.send(ss, 1350)
	if len(p.frames) != 1 || p.frames[0].String() != want.String() {
		t.Fatalf("after loss: frames %v, want %v", p.frames, want)
	}
	ss.onAcked(recs[0])
	s.mu.Lock()
	done := s.send.done()
	s.mu.Unlock()
	if !done {
		t.Fatal("send side not done after RESET_STREAM was acknowledged")
	}
}

// TestStopSendingResets checks that STOP_SENDING makes the stream send
// RESET_STREAM with the peer's code and Write fail with a remote StreamError.
func TestStopSendingResets(t *testing.T) {
	ss, s := openTestStream(t, testLimits(), testLimits())
	_, err := s.Write([]byte("data"))
	must(t, err)
	must(t, ss.handleStopSending(s.id, 9))
	_, err = s.Write([]byte("x"))
	var se *StreamError
	if !errors.As(err, &se) || !se.Remote || se.Code != 9 || errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after STOP_SENDING: %v", err)
	}
	p := newTestPipe(t)
	p.send(ss, 1350)
	if len(p.frames) != 1 || p.frames[0].typ != 0x04 || p.frames[0].code != 9 ||
		p.frames[0].val != 0 {
		t.Fatalf("frames %v, want one RESET_STREAM code 9 final size 0", p.frames)
	}
}

// TestWriteBackpressure fills the send buffer: Write blocks, honours its
// deadline, and resumes when acknowledgments free space.
func TestWriteBackpressure(t *testing.T) {
	peer := testLimits()
	peer.maxStreamDataBidiRemote = 1 << 10
	ss, s := openTestStream(t, testLimits(), peer)
	must(t, s.SetWriteDeadline(time.Now().Add(20*time.Millisecond)))
	n, err := s.Write(make([]byte, minSendBuffer+5000))
	if n != minSendBuffer || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write: %d %v, want %d and a deadline error", n, err, minSendBuffer)
	}
	must(t, s.SetWriteDeadline(time.Time{}))
	done := make(chan error, 1)
	go func() {
		_, err := s.Write(make([]byte, 1000))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Write returned %v with a full buffer", err)
	case <-time.After(10 * time.Millisecond):
	}
	must(t, ss.handleMaxStreamData(s.id, 1<<20))
	p := newTestPipe(t)
	for range 5 {
		for _, r := range p.send(ss, 1350) {
			ss.onAcked(r)
		}
	}
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Write still blocked after acknowledgments")
	}
}

// TestStreamDataBlocked checks STREAM_DATA_BLOCKED at the peer's stream limit,
// once per limit, and that MAX_STREAM_DATA resumes sending.
func TestStreamDataBlocked(t *testing.T) {
	peer := testLimits()
	peer.maxStreamDataBidiRemote = 1000
	ss, s := openTestStream(t, testLimits(), peer)
	_, err := s.Write(make([]byte, 3000))
	must(t, err)
	p := newTestPipe(t)
	p.send(ss, 1350)
	if got, _ := collectStream(t, p.frames, s.id, 0); len(got) != 1000 {
		t.Fatalf("sent %d bytes, want the 1000 allowed", len(got))
	}
	p.send(ss, 1350)
	if len(p.frames) != 1 || p.frames[0].typ != 0x15 || p.frames[0].val != 1000 {
		t.Fatalf("frames %v, want STREAM_DATA_BLOCKED 1000", p.frames)
	}
	if p.send(ss, 1350); len(p.frames) != 0 || ss.hasPending() {
		t.Fatalf("frames %v after STREAM_DATA_BLOCKED; want none and nothing pending",
			p.frames)
	}
	must(t, ss.handleMaxStreamData(s.id, 2000))
	if !ss.hasPending() {
		t.Fatal("nothing pending after MAX_STREAM_DATA")
	}
	p.send(ss, 1350)
	if got, _ := collectStream(t, p.frames, s.id, 1000); len(got) != 1000 {
		t.Fatalf("sent %d bytes after MAX_STREAM_DATA, want 1000", len(got))
	}
}

// TestDataBlocked checks DATA_BLOCKED at the connection limit and that MAX_DATA
// resumes the parked streams.
func TestDataBlocked(t *testing.T) {
	peer := testLimits()
	peer.maxData = 1500
	ss, _ := newTestStreams(true, testLimits(), peer)
	var streams []*Stream
	for range 2 {
		s, err := ss.open(t.Context(), true)
		must(t, err)
		_, err = s.Write(make([]byte, 1000))
		must(t, err)
		streams = append(streams, s)
	}
	p := newTestPipe(t)
	total := 0
	blocked := false
	for range 6 {
		p.send(ss, 1350)
		for _, f := range p.frames {
			total += len(f.data)
			blocked = blocked || (f.typ == 0x14 && f.val == 1500)
		}
	}
	if total != 1500 {
		t.Fatalf("sent %d bytes, want the 1500 allowed", total)
	}
	if !blocked || ss.hasPending() {
		t.Fatalf("DATA_BLOCKED sent: %v, pending %v", blocked, ss.hasPending())
	}
	ss.handleMaxData(5000)
	p.send(ss, 1350)
	for _, f := range p.frames {
		total += len(f.data)
	}
	if total != 2000 {
		t.Fatalf("sent %d bytes after MAX_DATA, want 2000", total)
	}
}

// TestLostFinAlone loses a STREAM frame that carried only the FIN and checks
// that the FIN is sent again.
func TestLostFinAlone(t *testing.T) {
	ss, s := openTestStream(t, testLimits(), testLimits())
	_, err := s.Write([]byte("abc"))
	must(t, err)
	p := newTestPipe(t)
	for _, r := range p.send(ss, 1350) {
		ss.onAcked(r)
	}
	must(t, s.Close())
	recs := p.send(ss, 1350)
	want := testFrame{typ: 0x08, id: s.id, off: 3, fin: true}
	if len(p.frames) != 1 || p.frames[0].String() != want.String() {
		t.Fatalf("frames %v, want %v", p.frames, want)
	}
	ss.onLost(recs[0])
	p.send(ss, 1350)
	if len(p.frames) != 1 || p.frames[0].String() != want.String() {
		t.Fatalf("after loss: frames %v, want %v", p.frames, want)
	}
}

// TestWakeOnWrite checks that the first Write wakes the connection, that
// further Writes before the stream is served do not, and that hasPending
// follows.
func TestWakeOnWrite(t *testing.T) {
	ss, wakes := newTestStreams(true, testLimits(), testLimits())
	s, err := ss.open(t.Context(), true)
	must(t, err)
	if ss.hasPending() {
		t.Fatal("pending before any Write")
	}
	w0 := wakes.Load()
	_, err = s.Write([]byte("a"))
	must(t, err)
	if wakes.Load() != w0+1 || !ss.hasPending() {
		t.Fatalf("after Write: %d wakes (want %d), pending %v", wakes.Load(), w0+1,
			ss.hasPending())
	}
	_, err = s.Write([]byte("b"))
	must(t, err)
	if wakes.Load() != w0+1 {
		t.Fatalf("second Write woke the connection again")
	}
	newTestPipe(t).send(ss, 1350)
	if ss.hasPending() {
		t.Fatal("pending after everything was sent")
	}
}
