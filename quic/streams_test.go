package quic

import (
	"errors"
	"fmt"
	"testing"
	"time"
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
func newTestStreams(client bool, l, peer streamLimits) (*streamsState, *int) {
	wakes := new(int)
	ss := newStreamsState(client, l, func() { *wakes++ })
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
