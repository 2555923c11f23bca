package quic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// testFrame is a decoded stream-related frame, for assertions on what
// appendFrames produced.
type testFrame struct {
	typ  byte // frame type; every STREAM variant is 0x08
	id   int64
	off  uint64 // STREAM offset
	val  uint64 // MAX_* value, *_BLOCKED limit, RESET_STREAM final size
	code uint64 // RESET_STREAM and STOP_SENDING error code
	data []byte
	fin  bool
}

func (f testFrame) String() string {
	return fmt.Sprintf("{%#x id=%d off=%d val=%d code=%d len=%d fin=%v}",
		f.typ, f.id, f.off, f.val, f.code, len(f.data), f.fin)
}

// readTestVarint decodes a variable-length integer (RFC 9000, Section 16).
func readTestVarint(b []byte) (uint64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errors.New("truncated varint")
	}
	n := 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, nil, errors.New("truncated varint")
	}
	v := uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, b[n:], nil
}

// parseTestFrames decodes a payload built by appendFrames.
func parseTestFrames(t testing.TB, b []byte) []testFrame {
	t.Helper()
	var out []testFrame
	for len(b) > 0 {
		f, rest, err := parseTestFrame(b)
		if err != nil {
			t.Fatalf("bad frame at %x: %v", b, err)
		}
		out = append(out, f)
		b = rest
	}
	return out
}

func parseTestFrame(b []byte) (testFrame, []byte, error) {
	f := testFrame{typ: b[0]}
	b = b[1:]
	fields := map[byte]int{0x04: 3, 0x05: 2, 0x10: 1, 0x11: 2, 0x12: 1, 0x13: 1,
		0x14: 1, 0x15: 2, 0x16: 1, 0x17: 1}
	var v [3]uint64
	var err error
	if f.typ >= 0x08 && f.typ <= 0x0f {
		typ := f.typ
		f.typ = 0x08
		f.fin = typ&1 != 0
		if v[0], b, err = readTestVarint(b); err != nil {
			return f, nil, err
		}
		f.id = int64(v[0])
		if typ&4 != 0 {
			if f.off, b, err = readTestVarint(b); err != nil {
				return f, nil, err
			}
		}
		n := uint64(len(b))
		if typ&2 != 0 {
			if n, b, err = readTestVarint(b); err != nil {
				return f, nil, err
			}
		}
		if n > uint64(len(b)) {
			return f, nil, errors.New("STREAM data truncated")
		}
		f.data = append([]byte(nil), b[:n]...)
		return f, b[n:], nil
	}
	k, ok := fields[f.typ]
	if !ok {
		return f, nil, fmt.Errorf("unexpected frame type %#x", f.typ)
	}
	for i := range k {
		if v[i], b, err = readTestVarint(b); err != nil {
			return f, nil, err
		}
	}
	switch f.typ {
	case 0x04:
		f.id, f.code, f.val = int64(v[0]), v[1], v[2]
	case 0x05:
		f.id, f.code = int64(v[0]), v[1]
	case 0x11, 0x15:
		f.id, f.val = int64(v[0]), v[1]
	default:
		f.val = v[0]
	}
	return f, b, nil
}

// deliverTestFrame hands f to ss as the connection would.
func deliverTestFrame(ss *streamsState, f testFrame) error {
	switch f.typ {
	case 0x04:
		return ss.handleResetStream(f.id, f.code, f.val)
	case 0x05:
		return ss.handleStopSending(f.id, f.code)
	case 0x08:
		return ss.handleStream(f.id, f.off, f.data, f.fin)
	case 0x10:
		ss.handleMaxData(f.val)
	case 0x11:
		return ss.handleMaxStreamData(f.id, f.val)
	case 0x12, 0x13:
		return ss.handleMaxStreams(f.typ == 0x12, f.val)
	case 0x14:
		ss.handleDataBlocked(f.val)
	case 0x15:
		return ss.handleStreamDataBlocked(f.id, f.val)
	case 0x16, 0x17:
		return ss.handleStreamsBlocked(f.typ == 0x16, f.val)
	}
	return nil
}

// testLimits are generous limits for tests that are not about them.
func testLimits() streamLimits {
	return streamLimits{
		maxData:                 1 << 20,
		maxStreamDataBidiLocal:  256 << 10,
		maxStreamDataBidiRemote: 256 << 10,
		maxStreamDataUni:        256 << 10,
		maxStreamsBidi:          10,
		maxStreamsUni:           10,
		maxStreamWindow:         1 << 20,
		maxConnWindow:           4 << 20,
	}
}

// newTestStreams returns a stream set with local limits l whose peer advertised
// peer; wakes counts wake calls.
func newTestStreams(client bool, l, peer streamLimits) (*streamsState, *atomic.Int64) {
	wakes := new(atomic.Int64)
	ss := newStreamsState(client, l, func() { wakes.Add(1) })
	ss.setPeerLimits(peer)
	return ss, wakes
}

// testPipe connects two stream sets in memory: packets built by one are parsed
// and delivered to the other, then acknowledged or declared lost.
type testPipe struct {
	t      testing.TB
	now    time.Time
	rtt    time.Duration
	buf    []byte
	recs   []streamFrameRecord
	frames []testFrame // frames of the last packet
}

func newTestPipe(t testing.TB) *testPipe {
	return &testPipe{t: t, now: time.Unix(1000, 0), rtt: 10 * time.Millisecond,
		buf: make([]byte, 0, 1500)}
}

// send builds one packet of up to size bytes from src and parses it.
func (p *testPipe) send(src *streamsState, size int) []streamFrameRecord {
	p.buf, p.recs = src.appendFrames(p.buf[:0], size, p.now, p.rtt, p.recs[:0])
	if len(p.buf) > size {
		p.t.Fatalf("appendFrames wrote %d bytes, room was %d", len(p.buf), size)
	}
	if len(p.recs) > 0 && len(p.buf) == 0 {
		p.t.Fatalf("records without frames")
	}
	p.frames = parseTestFrames(p.t, p.buf)
	if len(p.frames) != len(p.recs) {
		p.t.Fatalf("%d frames but %d records", len(p.frames), len(p.recs))
	}
	// The frames must also decode with the wire package's parser.
	for b, i := p.buf, 0; len(b) > 0; i++ {
		f, n, err := wire.ParseFrame(b, nil)
		if err != nil || byte(f.Type())&^7 != p.frames[i].typ&^7 {
			p.t.Fatalf("wire.ParseFrame of frame %d (%v): %v, %v", i, p.frames[i], f, err)
		}
		b = b[n:]
	}
	return p.recs
}

// transfer sends one packet from src to dst; lost packets are reported lost
// instead of being delivered and acknowledged. It reports whether the packet
// carried anything.
func (p *testPipe) transfer(src, dst *streamsState, lost bool) bool {
	recs := p.send(src, 1350)
	if len(recs) == 0 {
		return false
	}
	for _, r := range recs {
		if lost {
			src.onLost(r)
		}
	}
	if lost {
		return true
	}
	for _, f := range p.frames {
		if err := deliverTestFrame(dst, f); err != nil {
			p.t.Fatalf("delivering %v: %v", f, err)
		}
	}
	for _, r := range recs {
		src.onAcked(r)
	}
	return true
}

// transportCode returns the code of a *TransportError, failing otherwise.
func transportCode(t testing.TB, err error) TransportErrorCode {
	t.Helper()
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("got error %v, want a *TransportError", err)
	}
	return te.Code
}

// TestOpenAtPeerLimit checks that open blocks at the peer's MAX_STREAMS, sends
// STREAMS_BLOCKED, honours ctx, and resumes on MAX_STREAMS.
func TestOpenAtPeerLimit(t *testing.T) {
	peer := testLimits()
	peer.maxStreamsBidi = 2
	ss, _ := newTestStreams(true, testLimits(), peer)
	for i := range int64(2) {
		s, err := ss.open(t.Context(), true)
		must(t, err)
		if s.ID() != i*4 {
			t.Fatalf("stream %d has ID %d, want %d", i, s.ID(), i*4)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if _, err := ss.open(ctx, true); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("open at the limit: %v, want the context's error", err)
	}
	p := newTestPipe(t)
	p.send(ss, 1350)
	if len(p.frames) != 1 || p.frames[0].typ != 0x16 || p.frames[0].val != 2 {
		t.Fatalf("frames %v, want STREAMS_BLOCKED(bidi) 2", p.frames)
	}
	got := make(chan int64, 1)
	go func() {
		s, err := ss.open(context.Background(), true)
		if err != nil {
			got <- -1
			return
		}
		got <- s.ID()
	}()
	time.Sleep(5 * time.Millisecond)
	must(t, ss.handleMaxStreams(true, 3))
	select {
	case id := <-got:
		if id != 8 {
			t.Fatalf("opened stream %d, want 8", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("open still blocked after MAX_STREAMS")
	}
	// Uni streams have their own limit and IDs.
	s, err := ss.open(t.Context(), false)
	must(t, err)
	if s.ID() != 2 {
		t.Fatalf("first uni stream has ID %d, want 2", s.ID())
	}
	if _, err := s.Read(make([]byte, 1)); err == nil {
		t.Fatal("Read on a send-only stream succeeded")
	}
}

// TestImplicitPeerStreams checks that a frame for a peer stream opens every
// lower-numbered one, in order (RFC 9000, Section 3.2).
func TestImplicitPeerStreams(t *testing.T) {
	ss, _ := newTestStreams(false, testLimits(), testLimits())
	must(t, ss.handleStream(8, 0, []byte("x"), false)) // client bidi stream 2
	must(t, ss.handleStream(6, 0, []byte("y"), false)) // client uni stream 1
	for _, want := range []int64{0, 4, 8} {
		s, err := ss.accept(t.Context(), true)
		must(t, err)
		if s.ID() != want {
			t.Fatalf("accepted %d, want %d", s.ID(), want)
		}
	}
	for _, want := range []int64{2, 6} {
		s, err := ss.accept(t.Context(), false)
		must(t, err)
		if s.ID() != want {
			t.Fatalf("accepted uni %d, want %d", s.ID(), want)
		}
		if _, err := s.Write([]byte("x")); err == nil {
			t.Fatal("Write on a receive-only stream succeeded")
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
	defer cancel()
	if _, err := ss.accept(ctx, true); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("accept with no stream: %v", err)
	}
}

// TestMaxStreamsRenewed closes peer streams in both directions and checks that
// their state is freed and MAX_STREAMS keeps the peer at the configured count.
func TestMaxStreamsRenewed(t *testing.T) {
	l := testLimits()
	l.maxStreamsBidi = 2
	ss, _ := newTestStreams(false, l, testLimits())
	p := newTestPipe(t)
	for i := range int64(2) {
		must(t, ss.handleStream(i*4, 0, []byte("req"), true))
		s, err := ss.accept(t.Context(), true)
		must(t, err)
		if b, err := io.ReadAll(s); string(b) != "req" || err != nil {
			t.Fatalf("ReadAll: %q %v", b, err)
		}
		_, err = s.Write([]byte("resp"))
		must(t, err)
		must(t, s.Close())
		for _, r := range p.send(ss, 1350) {
			ss.onAcked(r)
		}
		select {
		case <-s.Context().Done():
		default:
			t.Fatalf("stream %d context not done after both directions ended", s.ID())
		}
	}
	var maxStreams uint64
	for range 3 {
		p.send(ss, 1350)
		for _, f := range p.frames {
			if f.typ == 0x12 {
				maxStreams = max(maxStreams, f.val)
			}
		}
	}
	if maxStreams != 4 {
		t.Fatalf("MAX_STREAMS %d, want 4", maxStreams)
	}
	ss.mu.Lock()
	n := len(ss.streams)
	ss.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d streams still in the map", n)
	}
	must(t, ss.handleStream(12, 0, []byte("x"), false))
	err := ss.handleStream(16, 0, []byte("x"), false)
	if got := transportCode(t, err); got != errCodeStreamLimit {
		t.Fatalf("stream beyond renewed limit: %v", err)
	}
	// Late frames for a freed stream are ignored.
	must(t, ss.handleStream(0, 0, []byte("req"), true))
}

// TestWindowUpdates reads half of a stream's window and checks MAX_STREAM_DATA
// and MAX_DATA, and their regeneration with the newest value after loss.
func TestWindowUpdates(t *testing.T) {
	l := testLimits()
	l.maxData = 64 << 10
	l.maxStreamDataBidiRemote = 64 << 10
	ss, _ := newTestStreams(true, l, testLimits())
	id := peerBidi(0)
	must(t, ss.handleStream(id, 0, make([]byte, 60<<10), false))
	s, err := ss.accept(t.Context(), true)
	must(t, err)
	p := newTestPipe(t)
	if p.send(ss, 1350); len(p.frames) != 0 {
		t.Fatalf("frames %v before reading", p.frames)
	}
	buf := make([]byte, 40<<10)
	if n, err := s.Read(buf); n != len(buf) || err != nil {
		t.Fatalf("Read: %d %v", n, err)
	}
	p.now = p.now.Add(10 * p.rtt) // slow reader: no auto-tuning
	recs := append([]streamFrameRecord(nil), p.send(ss, 1350)...)
	want := map[byte]uint64{0x10: 40<<10 + 64<<10, 0x11: 40<<10 + 64<<10}
	checkFrames := func(stage string) {
		t.Helper()
		if len(p.frames) != 2 {
			t.Fatalf("%s: frames %v, want MAX_DATA and MAX_STREAM_DATA", stage, p.frames)
		}
		for _, f := range p.frames {
			if want[f.typ] != f.val {
				t.Fatalf("%s: frame %v, want value %d", stage, f, want[f.typ])
			}
		}
	}
	checkFrames("first")
	// More is read before the loss is detected: the resent frames carry the
	// limits as they were sent (no new half-window consumed yet).
	if n, err := s.Read(buf[:10<<10]); n != 10<<10 || err != nil {
		t.Fatalf("Read: %d %v", n, err)
	}
	for _, r := range recs {
		ss.onLost(r)
	}
	p.send(ss, 1350)
	checkFrames("after loss")
	if p.send(ss, 1350); len(p.frames) != 0 {
		t.Fatalf("frames %v with nothing due", p.frames)
	}
}

// TestStreamWindowAutoTune streams data through a pipe with the reader keeping
// up within a round trip, and checks the window grows to the ceiling.
func TestStreamWindowAutoTune(t *testing.T) {
	l := testLimits()
	l.maxStreamDataBidiLocal = 16 << 10
	l.maxStreamWindow = 128 << 10
	client, _ := newTestStreams(true, l, l)
	server, _ := newTestStreams(false, l, l)
	p := newTestPipe(t)
	cs, err := client.open(t.Context(), true)
	must(t, err)
	_, err = cs.Write([]byte("go"))
	must(t, err)
	p.transfer(client, server, false)
	ss, err := server.accept(t.Context(), true)
	must(t, err)
	buf := make([]byte, 64<<10)
	_, err = ss.Read(buf)
	must(t, err)
	must(t, cs.SetReadDeadline(time.Unix(1, 0))) // Read returns at once when empty
	for range 200 {
		_, err := ss.Write(make([]byte, 4<<10))
		must(t, err)
		for p.transfer(server, client, false) {
		}
		for {
			_, err := cs.Read(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			must(t, err)
		}
		p.now = p.now.Add(p.rtt / 8)
		for p.transfer(client, server, false) {
		}
	}
	cs.mu.Lock()
	window := cs.recv.win.window
	cs.mu.Unlock()
	if window != 128<<10 {
		t.Fatalf("window %d after fast reads, want the ceiling %d", window, 128<<10)
	}
	if client.connWin.window < window+window/2 {
		t.Fatalf("connection window %d below 1.5 stream windows", client.connWin.window)
	}
}

// TestCloseAll checks that closeAll unblocks Read, Write, open and accept with the
// connection's error, which matches net.ErrClosed for a local close.
func TestCloseAll(t *testing.T) {
	peer := testLimits()
	peer.maxStreamsBidi = 1
	peer.maxStreamDataBidiRemote = 10
	ss, s := openTestStream(t, testLimits(), peer)
	_, err := s.Write(make([]byte, minSendBuffer))
	must(t, err)
	must(t, ss.handleStream(peerBidi(0), 0, []byte("x"), true))
	done, err := ss.accept(t.Context(), true)
	must(t, err)
	errs := make(chan error, 4)
	go func() { _, err := s.Read(make([]byte, 1)); errs <- err }()
	go func() { _, err := s.Write([]byte("x")); errs <- err }()
	go func() { _, err := ss.open(context.Background(), true); errs <- err }()
	go func() { _, err := ss.accept(context.Background(), false); errs <- err }()
	time.Sleep(10 * time.Millisecond)
	closeErr := &ApplicationError{Code: 3}
	ss.closeAll(closeErr)
	for range 4 {
		select {
		case err := <-errs:
			if err != closeErr || !errors.Is(err, net.ErrClosed) {
				t.Fatalf("blocked call returned %v, want %v", err, closeErr)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a call stayed blocked after closeAll")
		}
	}
	select {
	case <-s.Context().Done():
	default:
		t.Fatal("stream context not done after closeAll")
	}
	// A stream whose data all arrived can still be read to the end.
	if b, err := io.ReadAll(done); string(b) != "x" || err != nil {
		t.Fatalf("ReadAll after closeAll: %q %v", b, err)
	}
	if _, err := ss.open(t.Context(), false); err != closeErr {
		t.Fatalf("open after closeAll: %v", err)
	}
}

// TestReadDeadline checks os.ErrDeadlineExceeded from a blocked Read and that
// moving the deadline wakes it.
func TestReadDeadline(t *testing.T) {
	_, s := openTestStream(t, testLimits(), testLimits())
	must(t, s.SetReadDeadline(time.Now().Add(10*time.Millisecond)))
	if _, err := s.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read: %v, want deadline exceeded", err)
	}
	must(t, s.SetReadDeadline(time.Time{}))
	errs := make(chan error, 1)
	go func() { _, err := s.Read(make([]byte, 1)); errs <- err }()
	time.Sleep(5 * time.Millisecond)
	must(t, s.SetDeadline(time.Now().Add(-time.Second)))
	select {
	case err := <-errs:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read: %v, want deadline exceeded", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read not woken by a deadline in the past")
	}
}

// TestCancelRead checks STOP_SENDING, the error Read returns, and that data
// arriving later returns its connection credit.
func TestCancelRead(t *testing.T) {
	ss, _ := newTestStreams(true, testLimits(), testLimits())
	id := peerBidi(0)
	must(t, ss.handleStream(id, 0, make([]byte, 1000), false))
	s, err := ss.accept(t.Context(), true)
	must(t, err)
	s.CancelRead(5)
	var se *StreamError
	if _, err := s.Read(make([]byte, 1)); !errors.As(err, &se) || se.Remote || se.Code != 5 {
		t.Fatalf("Read after CancelRead: %v", err)
	}
	p := newTestPipe(t)
	recs := p.send(ss, 1350)
	if len(p.frames) != 1 || p.frames[0].typ != 0x05 || p.frames[0].code != 5 {
		t.Fatalf("frames %v, want STOP_SENDING 5", p.frames)
	}
	ss.onLost(recs[0])
	p.send(ss, 1350)
	if len(p.frames) != 1 || p.frames[0].typ != 0x05 {
		t.Fatalf("frames after loss %v, want STOP_SENDING again", p.frames)
	}
	must(t, ss.handleStream(id, 1000, make([]byte, 500), false))
	if got := ss.consumed.Load(); got != 1500 {
		t.Fatalf("consumed %d, want 1500 (discarded bytes count)", got)
	}
}

// TestPipeTransferLossy sends data both ways between two stream sets over a
// lossy in-memory pipe and checks every byte, and that all state is freed.
func TestPipeTransferLossy(t *testing.T) {
	l := testLimits()
	l.maxStreamDataBidiLocal = 32 << 10
	l.maxStreamDataBidiRemote = 32 << 10
	l.maxData = 64 << 10
	client, _ := newTestStreams(true, l, l)
	server, _ := newTestStreams(false, l, l)
	rng := rand.New(rand.NewPCG(3, 4))
	req := make([]byte, 300<<10)
	for i := range req {
		req[i] = byte(rng.Uint32())
	}
	cs, err := client.open(t.Context(), true)
	must(t, err)
	p := newTestPipe(t)
	var got []byte
	var ss *Stream
	written := 0
	buf := make([]byte, 8<<10)
	for i := 0; i < 20000 && (ss == nil || len(got) < len(req)); i++ {
		if written < len(req) {
			n, err := cs.Write(req[written:min(written+4096, len(req))])
			must(t, err)
			if written += n; written == len(req) {
				must(t, cs.Close())
			}
		}
		p.transfer(client, server, rng.IntN(10) == 0)
		p.transfer(server, client, rng.IntN(10) == 0)
		if ss == nil {
			ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
			ss, _ = server.accept(ctx, true)
			cancel()
			if ss != nil {
				must(t, ss.SetReadDeadline(time.Unix(1, 0)))
			}
			continue
		}
		n, err := ss.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			must(t, err)
		}
	}
	if !bytes.Equal(got, req) {
		t.Fatalf("received %d bytes, differ from the %d sent", len(got), len(req))
	}
	must(t, ss.Close())
	for range 100 {
		p.transfer(server, client, false)
		p.transfer(client, server, false)
	}
	must(t, cs.SetReadDeadline(time.Unix(1, 0)))
	if n, err := cs.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("client Read: %d %v, want EOF", n, err)
	}
	for range 10 {
		p.transfer(server, client, false)
		p.transfer(client, server, false)
	}
	for _, x := range []*streamsState{client, server} {
		x.mu.Lock()
		n := len(x.streams)
		x.mu.Unlock()
		if n != 0 {
			t.Fatalf("%d streams left in a set after both sides finished", n)
		}
	}
}

// TestConcurrentEcho runs Read and Write of the same streams on separate
// goroutines while another goroutine plays both connections, so that the race
// detector checks the locking between the application and the connection.
func TestConcurrentEcho(t *testing.T) {
	l := testLimits()
	l.maxStreamDataBidiLocal, l.maxStreamDataBidiRemote = 16<<10, 16<<10
	client, _ := newTestStreams(true, l, l)
	server, _ := newTestStreams(false, l, l)
	stop := make(chan struct{})
	pumped := make(chan struct{})
	go func() { // the connections' goroutine
		defer close(pumped)
		p := newTestPipe(t)
		for i := 0; i < 1_000_000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			a := p.transfer(client, server, false)
			b := p.transfer(server, client, false)
			if !a && !b {
				time.Sleep(50 * time.Microsecond)
			}
		}
	}()
	defer func() { close(stop); <-pumped }()

	go func() { // server: echo every stream
		for {
			s, err := server.accept(context.Background(), true)
			if err != nil {
				return
			}
			go func() {
				io.Copy(s, s)
				s.Close()
			}()
		}
	}()
	defer server.closeAll(net.ErrClosed)

	const streams, size = 4, 100 << 10
	errs := make(chan error, streams)
	for i := range streams {
		go func() {
			errs <- echoOnce(client, byte(i), size)
		}()
	}
	for range streams {
		select {
		case err := <-errs:
			must(t, err)
		case <-time.After(20 * time.Second):
			t.Fatal("echo did not finish")
		}
	}
}

// echoOnce opens a stream, writes size bytes from one goroutine and reads the
// echo on another, and compares.
func echoOnce(ss *streamsState, seed byte, size int) error {
	s, err := ss.open(context.Background(), true)
	if err != nil {
		return err
	}
	want := make([]byte, size)
	for i := range want {
		want[i] = seed + byte(i*13)
	}
	werr := make(chan error, 1)
	go func() {
		_, err := s.Write(want)
		if err == nil {
			err = s.Close()
		}
		werr <- err
	}()
	got, err := io.ReadAll(s)
	if err != nil {
		return err
	}
	if err := <-werr; err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("stream %d: echo of %d bytes differs (got %d)", s.id, size, len(got))
	}
	return nil
}

// TestLostBlockedAndLimits checks that lost MAX_STREAMS, STREAMS_BLOCKED and
// DATA_BLOCKED frames are rebuilt from the current state: the newest limit,
// and blocked frames only while still blocked at the same limit.
func TestLostBlockedAndLimits(t *testing.T) {
	l := testLimits()
	l.maxStreamsUni = 1
	peer := testLimits()
	peer.maxStreamsBidi = 0
	peer.maxData = 100
	ss, _ := newTestStreams(false, l, peer)
	p := newTestPipe(t)

	// Two peer uni streams end one after the other; the first MAX_STREAMS is
	// lost after the second stream ended, so the resent one carries 3.
	must(t, ss.handleStream(2, 0, nil, true))
	s, err := ss.accept(t.Context(), false)
	must(t, err)
	io.ReadAll(s)
	recs := append([]streamFrameRecord(nil), p.send(ss, 1350)...)
	if len(p.frames) != 1 || p.frames[0].typ != 0x13 || p.frames[0].val != 2 {
		t.Fatalf("frames %v, want MAX_STREAMS(uni) 2", p.frames)
	}
	must(t, ss.handleStream(6, 0, nil, true))
	s, err = ss.accept(t.Context(), false)
	must(t, err)
	io.ReadAll(s)
	ss.onAcked(p.send(ss, 1350)[0])
	ss.onLost(recs[0])
	p.send(ss, 1350)
	if len(p.frames) != 1 || p.frames[0].typ != 0x13 || p.frames[0].val != 3 {
		t.Fatalf("after loss: frames %v, want MAX_STREAMS(uni) 3", p.frames)
	}

	// STREAMS_BLOCKED is resent while the limit is unchanged, not after.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ss.open(ctx, true)
	recs = append(recs[:0], p.send(ss, 1350)...)
	if len(p.frames) != 1 || p.frames[0].typ != 0x16 || p.frames[0].val != 0 {
		t.Fatalf("frames %v, want STREAMS_BLOCKED(bidi) 0", p.frames)
	}
	ss.onLost(recs[0])
	if p.send(ss, 1350); len(p.frames) != 1 || p.frames[0].typ != 0x16 {
		t.Fatalf("frames %v, want STREAMS_BLOCKED resent", p.frames)
	}
	ss.onLost(p.recs[0])
	must(t, ss.handleMaxStreams(true, 1))
	if p.send(ss, 1350); len(p.frames) != 0 {
		t.Fatalf("frames %v after MAX_STREAMS, want none", p.frames)
	}

	// DATA_BLOCKED likewise.
	bs, err := ss.open(t.Context(), true)
	must(t, err)
	_, err = bs.Write(make([]byte, 500))
	must(t, err)
	var blocked []streamFrameRecord
	for range 3 {
		for i, r := range p.send(ss, 1350) {
			if p.frames[i].typ == 0x14 {
				blocked = append(blocked, r)
			}
		}
	}
	if len(blocked) != 1 || blocked[0].off != 100 {
		t.Fatalf("DATA_BLOCKED records %v, want one at 100", blocked)
	}
	ss.onLost(blocked[0])
	if p.send(ss, 1350); len(p.frames) != 1 || p.frames[0].typ != 0x14 {
		t.Fatalf("frames %v, want DATA_BLOCKED resent", p.frames)
	}
	ss.handleMaxData(1000)
	ss.onLost(p.recs[0])
	p.send(ss, 1350)
	for _, f := range p.frames {
		if f.typ == 0x14 {
			t.Fatalf("DATA_BLOCKED resent after MAX_DATA: %v", p.frames)
		}
	}
}
