package quic

import (
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/peregrine-h3/peregrine/internal/netsim"
	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// readAllTimed reads s until an error, with a deadline so that a test that
// fails does not hang. It returns what was read and the error that ended it.
func readAllTimed(t *testing.T, s *Stream) ([]byte, error) {
	t.Helper()
	must(t, s.SetReadDeadline(time.Now().Add(2*time.Second)))
	var got []byte
	buf := make([]byte, 7)
	for range 1000 {
		n, err := s.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return got, err
		}
	}
	t.Fatal("Read never returned an error")
	return nil, nil
}

// wantReset checks that err is the peer's reset with code.
func wantReset(t *testing.T, err error, id int64, code uint64) {
	t.Helper()
	var se *StreamError
	if !errors.As(err, &se) || !se.Remote || se.Code != code || se.StreamID != id {
		t.Fatalf("Read: got %v, want remote StreamError %d on stream %d", err, code, id)
	}
}

// TestResetAfterAllDataRead checks that a RESET_STREAM whose final size equals
// the bytes already read still surfaces as a *StreamError and not as io.EOF:
// no FIN came, so the stream did not end cleanly (RFC 9000, Section 3.2).
func TestResetAfterAllDataRead(t *testing.T) {
	ss, _ := newTestStreams(true, testLimits(), testLimits())
	id := peerBidi(0)
	must(t, ss.handleStream(id, 0, []byte("hello"), false))
	s, err := ss.accept(t.Context(), true)
	must(t, err)
	buf := make([]byte, 10)
	if n, err := s.Read(buf); n != 5 || err != nil {
		t.Fatalf("Read: %d %v, want 5 bytes", n, err)
	}
	must(t, ss.handleResetStream(id, 7, 5))
	got, err := readAllTimed(t, s)
	if len(got) != 0 || err == io.EOF {
		t.Fatalf("after reset: read %q, %v; want no data and the reset", got, err)
	}
	wantReset(t, err, id, 7)
}

// TestResetAfterFinRead checks that a reset that comes after the FIN was read
// changes nothing: the application already saw the clean end.
func TestResetAfterFinRead(t *testing.T) {
	ss, _ := newTestStreams(true, testLimits(), testLimits())
	id := peerBidi(0)
	must(t, ss.handleStream(id, 0, []byte("hello"), true))
	s, err := ss.accept(t.Context(), true)
	must(t, err)
	if got, err := io.ReadAll(s); string(got) != "hello" || err != nil {
		t.Fatalf("ReadAll: %q %v", got, err)
	}
	must(t, ss.handleResetStream(id, 7, 5))
	if n, err := s.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Fatalf("Read after FIN and reset: %d %v, want io.EOF", n, err)
	}
}

// TestResetStreamAtDeliversReliablePart checks that the first reliable bytes
// reach Read before the reset, including bytes that arrive after the frame,
// and that bytes beyond the reliable size are dropped.
func TestResetStreamAtDeliversReliablePart(t *testing.T) {
	ss, _ := newTestStreams(true, testLimits(), testLimits())
	id := peerBidi(0)
	data := []byte("hello, reliable world")
	must(t, ss.handleStream(id, 0, data[:4], false))
	must(t, ss.handleStream(id, 14, data[14:], false)) // beyond the reliable size
	s, err := ss.accept(t.Context(), true)
	must(t, err)
	must(t, ss.handleResetStreamAt(id, 3, uint64(len(data)), 12))
	if s.recv.done() {
		t.Fatal("receive side done before the reliable bytes were read")
	}
	// The rest of the reliable part arrives after the reset, and a frame
	// straddling the reliable size is cut there.
	must(t, ss.handleStream(id, 4, data[4:8], false))
	must(t, ss.handleStream(id, 8, data[8:16], false))
	got, err := readAllTimed(t, s)
	if string(got) != "hello, relia" {
		t.Fatalf("read %q before the reset, want %q", got, "hello, relia")
	}
	wantReset(t, err, id, 3)
	if !s.recv.done() {
		t.Fatal("receive side not done after the reset was read")
	}
	if n := s.recv.buf.held(); n != 0 {
		t.Fatalf("%d buffer bytes held after the reset", n)
	}
	if got := ss.consumed.Load(); got != uint64(len(data)) {
		t.Fatalf("consumed %d, want the final size %d", got, len(data))
	}
}

// TestResetStreamAtLowering checks that a later RESET_STREAM_AT may lower the
// reliable size but not raise it, and that RESET_STREAM lowers it to 0.
func TestResetStreamAtLowering(t *testing.T) {
	for _, tc := range []struct {
		name   string
		second func(ss *streamsState, id int64) error
		want   string
	}{
		{"raise ignored", func(ss *streamsState, id int64) error {
			return ss.handleResetStreamAt(id, 5, 10, 9)
		}, "abcdef"},
		{"lower", func(ss *streamsState, id int64) error {
			return ss.handleResetStreamAt(id, 5, 10, 2)
		}, "ab"},
		{"RESET_STREAM", func(ss *streamsState, id int64) error {
			return ss.handleResetStream(id, 5, 10)
		}, ""},
	} {
		ss, _ := newTestStreams(true, testLimits(), testLimits())
		id := peerBidi(0)
		must(t, ss.handleStream(id, 0, []byte("abcdefghij"), false))
		s, err := ss.accept(t.Context(), true)
		must(t, err)
		must(t, ss.handleResetStreamAt(id, 5, 10, 6))
		must(t, tc.second(ss, id))
		got, err := readAllTimed(t, s)
		if string(got) != tc.want {
			t.Errorf("%s: read %q, want %q", tc.name, got, tc.want)
		}
		wantReset(t, err, id, 5)
	}
}

// TestResetStreamAtErrors checks the final size and stream state rules, which
// are those of RESET_STREAM (RFC 9000, Sections 4.5 and 19.4).
func TestResetStreamAtErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(ss *streamsState) error
		want TransportErrorCode
	}{
		{"final size below received", func(ss *streamsState) error {
			must(t, ss.handleStream(peerBidi(0), 0, []byte("abcdef"), false))
			return ss.handleResetStreamAt(peerBidi(0), 1, 4, 2)
		}, errCodeFinalSize},
		{"final size changed", func(ss *streamsState) error {
			must(t, ss.handleResetStreamAt(peerBidi(0), 1, 8, 2))
			return ss.handleResetStreamAt(peerBidi(0), 1, 9, 2)
		}, errCodeFinalSize},
		{"data beyond final size", func(ss *streamsState) error {
			must(t, ss.handleResetStreamAt(peerBidi(0), 1, 8, 8))
			return ss.handleStream(peerBidi(0), 4, []byte("abcde"), false)
		}, errCodeFinalSize},
		{"send-only stream", func(ss *streamsState) error {
			return ss.handleResetStreamAt(2, 1, 0, 0) // our own uni stream
		}, errCodeStreamState},
		{"beyond flow control", func(ss *streamsState) error {
			return ss.handleResetStreamAt(peerBidi(0), 1, 1<<40, 5)
		}, errCodeFlowControl},
	} {
		ss, _ := newTestStreams(true, testLimits(), testLimits())
		if got := transportCode(t, tc.run(ss)); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestCancelReadAfterResetStreamAt checks that CancelRead drops the reliable
// part still unread and ends the receive side.
func TestCancelReadAfterResetStreamAt(t *testing.T) {
	ss, _ := newTestStreams(true, testLimits(), testLimits())
	id := peerBidi(0)
	must(t, ss.handleStream(id, 0, []byte("abcdef"), false))
	s, err := ss.accept(t.Context(), true)
	must(t, err)
	must(t, ss.handleResetStreamAt(id, 5, 6, 6))
	s.CancelRead(8)
	if !s.recv.done() || s.recv.buf.held() != 0 {
		t.Fatalf("after CancelRead: done %v, %d bytes held", s.recv.done(), s.recv.buf.held())
	}
	if _, err := s.Read(make([]byte, 4)); err == nil {
		t.Fatal("Read after CancelRead succeeded")
	}
}

// TestWireResetStreamAtNotAdvertised checks that RESET_STREAM_AT is an unknown
// frame, a FRAME_ENCODING_ERROR, when we did not advertise reset_stream_at.
func TestWireResetStreamAtNotAdvertised(t *testing.T) {
	f := wire.ResetStreamAtFrame{StreamID: 0, ErrorCode: 1, FinalSize: 4, ReliableSize: 2}
	injectAndExpect(t, f.Append(nil), errCodeFrameEncoding)
}

// TestWireResetStreamAt runs RESET_STREAM_AT through a real connection: the
// server advertised the parameter, the client writes a stream and resets it
// with a reliable size, and the server reads exactly that prefix. A second
// frame with a reliable size above its final size closes the connection.
func TestWireResetStreamAt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond},
			func(s, _ *Config) { s.EnableResetStreamAt = true }, true)
		cs, err := w.cli.OpenStream(t.Context())
		must(t, err)
		if _, err := cs.Write([]byte("0123456789")); err != nil {
			t.Fatal(err)
		}
		f := wire.ResetStreamAtFrame{StreamID: uint64(cs.ID()), ErrorCode: 0x77,
			FinalSize: 10, ReliableSize: 6}
		w.cliLog.inject(appDataSpace, f.Append(nil))
		w.cli.wake()
		ss, err := w.srv.AcceptStream(t.Context())
		must(t, err)
		got, err := io.ReadAll(ss)
		if string(got) != "012345" {
			t.Fatalf("server read %q, want the reliable part %q", got, "012345")
		}
		wantReset(t, err, cs.ID(), 0x77)
		if err := w.srv.closedErr(); err != nil {
			t.Fatalf("connection ended: %v", err)
		}

		w.cliLog.inject(appDataSpace, []byte{0x24, 0x04, 0x00, 0x03, 0x04})
		w.cli.wake()
		wantTransportError(t, waitDone(t, w.srv, 10*time.Second), errCodeFrameEncoding, false)
	})
}

// TestWireHostileResetStreamAt sends RESET_STREAM_AT frames with random
// fields, mixed with STREAM frames, to a server that advertised the
// parameter: it must carry on or close with a connection error, never crash.
func TestWireHostileResetStreamAt(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	field := func() uint64 {
		return []uint64{0, 1, 4, 5, 100, 1 << 20, wire.MaxVarint}[rng.IntN(7)]
	}
	for range 10 {
		var frames []byte
		for range 1 + rng.IntN(4) {
			id := uint64(rng.IntN(4))<<2 | uint64(rng.IntN(4)) // every stream type
			f := wire.ResetStreamAtFrame{StreamID: id, ErrorCode: field(),
				FinalSize: field(), ReliableSize: field()}
			f.ReliableSize = min(f.ReliableSize, f.FinalSize)
			frames = f.Append(frames)
			frames = wire.StreamFrame{StreamID: id, Offset: field() % 200,
				Data: []byte("xyz")}.Append(frames)
		}
		synctest.Test(t, func(t *testing.T) {
			w := newWireTest(t, netsim.Impairment{Delay: time.Millisecond},
				func(s, _ *Config) { s.EnableResetStreamAt = true }, true)
			w.cliLog.inject(appDataSpace, frames)
			w.cli.wake()
			time.Sleep(time.Second)
			if err := w.srv.closedErr(); err != nil && !isConnError(err) {
				t.Fatalf("frames %x: server ended with %v, want a connection error", frames, err)
			}
			w.cli.Close()
			w.srv.Close()
		})
	}
}
