package quic

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
)

// peerBidi returns the ID of the n-th bidirectional stream the peer of a client
// opens.
func peerBidi(n int64) int64 { return n<<2 | 0x1 }

// TestReassemblyRandom delivers a stream in random, overlapping, duplicated
// pieces and checks the bytes read, and that memory stays within the window.
func TestReassemblyRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for iter := range 20 {
		ss, _ := newTestStreams(true, testLimits(), testLimits())
		size := 1 + rng.IntN(200<<10)
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		type piece struct{ off, end int }
		var pieces []piece
		for off := 0; off < size; {
			n := 1 + rng.IntN(3000)
			end := min(off+n, size)
			pieces = append(pieces, piece{off, end})
			// Overlapping and duplicate copies.
			if rng.IntN(4) == 0 {
				a := max(0, off-rng.IntN(500))
				pieces = append(pieces, piece{a, min(end+rng.IntN(500), size)})
			}
			off = end
		}
		rng.Shuffle(len(pieces), func(i, j int) { pieces[i], pieces[j] = pieces[j], pieces[i] })
		id := peerBidi(0)
		for _, p := range pieces {
			err := ss.handleStream(id, uint64(p.off), data[p.off:p.end], p.end == size)
			if err != nil {
				t.Fatalf("iter %d: piece %v: %v", iter, p, err)
			}
		}
		s, err := ss.accept(t.Context(), true)
		if err != nil {
			t.Fatal(err)
		}
		if n := s.recv.buf.held(); n > int(testLimits().maxStreamDataBidiRemote)+streamChunkSize {
			t.Fatalf("iter %d: %d bytes buffered, beyond the window", iter, n)
		}
		got, err := io.ReadAll(s)
		if err != nil {
			t.Fatalf("iter %d: ReadAll: %v", iter, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("iter %d: read %d bytes, differ from the %d sent", iter, len(got), size)
		}
		if n := s.recv.buf.held(); n != 0 {
			t.Fatalf("iter %d: %d buffer bytes left after reading everything", iter, n)
		}
	}
}

// TestDuplicateDataNoGrowth checks that data below the read offset or already
// buffered allocates nothing more.
func TestDuplicateDataNoGrowth(t *testing.T) {
	ss, _ := newTestStreams(true, testLimits(), testLimits())
	id := peerBidi(0)
	data := bytes.Repeat([]byte("x"), 1000)
	must(t, ss.handleStream(id, 5000, data, false))
	s := ss.lookup(id)
	chunks, spans := s.recv.buf.held(), len(s.recv.got)
	for range 100 {
		must(t, ss.handleStream(id, 5000, data, false))
		must(t, ss.handleStream(id, 5500, data[:200], false))
	}
	if s.recv.buf.held() != chunks || len(s.recv.got) != spans {
		t.Fatalf("duplicates grew state: %d bytes %d spans, had %d %d",
			s.recv.buf.held(), len(s.recv.got), chunks, spans)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRecvErrors checks the connection errors a peer's stream data can cause.
func TestRecvErrors(t *testing.T) {
	id := peerBidi(0)
	tests := []struct {
		name   string
		frames []testFrame
		want   TransportErrorCode
	}{
		{"stream window exceeded", []testFrame{
			{typ: 0x08, id: id, off: 256<<10 - 1, data: []byte("ab")},
		}, errCodeFlowControl},
		{"final size changed", []testFrame{
			{typ: 0x08, id: id, data: []byte("abc"), fin: true},
			{typ: 0x08, id: id, data: []byte("abcd"), fin: true},
		}, errCodeFinalSize},
		{"data beyond final size", []testFrame{
			{typ: 0x08, id: id, data: []byte("abc"), fin: true},
			{typ: 0x08, id: id, off: 3, data: []byte("d")},
		}, errCodeFinalSize},
		{"final size below received data", []testFrame{
			{typ: 0x08, id: id, off: 10, data: []byte("abc")},
			{typ: 0x08, id: id, data: []byte("abc"), fin: true},
		}, errCodeFinalSize},
		{"reset final size differs", []testFrame{
			{typ: 0x08, id: id, data: []byte("abc"), fin: true},
			{typ: 0x04, id: id, val: 5},
		}, errCodeFinalSize},
		{"reset below received data", []testFrame{
			{typ: 0x08, id: id, off: 10, data: []byte("abc")},
			{typ: 0x04, id: id, val: 5},
		}, errCodeFinalSize},
		{"reset final size beyond window", []testFrame{
			{typ: 0x04, id: id, val: 256<<10 + 1},
		}, errCodeFlowControl},
		{"data after reset beyond final size", []testFrame{
			{typ: 0x04, id: id, val: 5},
			{typ: 0x08, id: id, off: 4, data: []byte("ab")},
		}, errCodeFinalSize},
		{"STREAM on our send-only stream", []testFrame{
			{typ: 0x08, id: 2, data: []byte("a")},
		}, errCodeStreamState},
		{"RESET_STREAM on our send-only stream", []testFrame{
			{typ: 0x04, id: 2},
		}, errCodeStreamState},
		{"STREAM_DATA_BLOCKED on our send-only stream", []testFrame{
			{typ: 0x15, id: 2},
		}, errCodeStreamState},
		{"MAX_STREAM_DATA on a receive-only stream", []testFrame{
			{typ: 0x11, id: 3, val: 10},
		}, errCodeStreamState},
		{"STOP_SENDING on a receive-only stream", []testFrame{
			{typ: 0x05, id: 3},
		}, errCodeStreamState},
		{"STREAM on a local stream not opened", []testFrame{
			{typ: 0x08, id: 4, data: []byte("a")},
		}, errCodeStreamState},
		{"MAX_STREAM_DATA on a local stream not opened", []testFrame{
			{typ: 0x11, id: 0, val: 10},
		}, errCodeStreamState},
		{"peer stream beyond limit", []testFrame{
			{typ: 0x08, id: peerBidi(10), data: []byte("a")},
		}, errCodeStreamLimit},
		{"MAX_STREAMS beyond 2^60", []testFrame{
			{typ: 0x12, val: 1<<60 + 1},
		}, errCodeFrameEncoding},
		{"STREAMS_BLOCKED beyond 2^60", []testFrame{
			{typ: 0x17, val: 1<<60 + 1},
		}, errCodeFrameEncoding},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ss, _ := newTestStreams(true, testLimits(), testLimits())
			var err error
			for _, f := range tc.frames {
				if err = deliverTestFrame(ss, f); err != nil {
					break
				}
			}
			if got := transportCode(t, err); got != tc.want {
				t.Fatalf("got %v (%v), want %v", got, err, tc.want)
			}
		})
	}
}

// TestConnFlowControlError sends more than MAX_DATA spread over streams.
func TestConnFlowControlError(t *testing.T) {
	l := testLimits()
	l.maxData = 300 << 10
	ss, _ := newTestStreams(true, l, testLimits())
	chunk := make([]byte, 100<<10)
	for i := range int64(3) {
		must(t, ss.handleStream(peerBidi(i), 0, chunk, false))
	}
	// Retransmissions do not count twice.
	must(t, ss.handleStream(peerBidi(0), 0, chunk, false))
	err := ss.handleStream(peerBidi(3), 0, []byte("x"), false)
	if got := transportCode(t, err); got != errCodeFlowControl {
		t.Fatalf("got %v, want FLOW_CONTROL_ERROR", got)
	}
}

// TestTooManyGaps fragments a stream beyond maxStreamGaps.
func TestTooManyGaps(t *testing.T) {
	ss, _ := newTestStreams(true, testLimits(), testLimits())
	var err error
	for i := range uint64(maxStreamGaps + 1) {
		if err = ss.handleStream(peerBidi(0), 1+2*i, []byte("x"), false); err != nil {
			break
		}
	}
	if got := transportCode(t, err); got != errCodeInternal {
		t.Fatalf("got %v, want INTERNAL_ERROR", got)
	}
}

// TestRecvReset checks that RESET_STREAM makes Read fail with the peer's code and
// returns the unread bytes to connection flow control.
func TestRecvReset(t *testing.T) {
	ss, _ := newTestStreams(true, testLimits(), testLimits())
	id := peerBidi(0)
	must(t, ss.handleStream(id, 0, []byte("hello"), false))
	s, err := ss.accept(t.Context(), true)
	must(t, err)
	must(t, ss.handleResetStream(id, 42, 1000))
	_, err = s.Read(make([]byte, 10))
	var se *StreamError
	if !errors.As(err, &se) || !se.Remote || se.Code != 42 || se.StreamID != id {
		t.Fatalf("Read: got %v, want remote StreamError 42", err)
	}
	if errors.Is(err, net.ErrClosed) {
		t.Fatal("a peer's reset matches net.ErrClosed")
	}
	if got := ss.consumed.Load(); got != 1000 {
		t.Fatalf("consumed %d, want the final size 1000", got)
	}
}

// TestReadEOF checks io.EOF after FIN, including a FIN with no data.
func TestReadEOF(t *testing.T) {
	ss, _ := newTestStreams(true, testLimits(), testLimits())
	id := peerBidi(0)
	must(t, ss.handleStream(id, 0, []byte("abc"), false))
	must(t, ss.handleStream(id, 3, nil, true))
	s, err := ss.accept(t.Context(), true)
	must(t, err)
	buf := make([]byte, 10)
	n, err := s.Read(buf)
	if n != 3 || err != io.EOF || string(buf[:3]) != "abc" {
		t.Fatalf("Read: %d %v %q", n, err, buf[:n])
	}
	if n, err := s.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("second Read: %d %v, want 0 EOF", n, err)
	}
}
