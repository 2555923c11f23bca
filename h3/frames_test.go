package h3

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestVarintRoundTrip(t *testing.T) {
	for _, v := range []uint64{0, 63, 64, 16383, 16384, 1<<30 - 1, 1 << 30, maxVarint} {
		b := appendVarint(nil, v)
		if len(b) != varintLen(v) {
			t.Errorf("varint %d: %d bytes, varintLen says %d", v, len(b), varintLen(v))
		}
		got, n := parseVarint(b)
		if got != v || n != len(b) {
			t.Errorf("parseVarint(%x) = %d, %d; want %d, %d", b, got, n, v, len(b))
		}
		got, err := readVarint(bytes.NewReader(b))
		if err != nil || got != v {
			t.Errorf("readVarint(%x) = %d, %v", b, got, err)
		}
		if _, n := parseVarint(b[:len(b)-1]); n != 0 {
			t.Errorf("parseVarint of truncated %x succeeded", b)
		}
	}
}

func TestFrameReaderFrames(t *testing.T) {
	var b []byte
	b = appendFrameHeader(b, frameHeaders, 3)
	b = append(b, "abc"...)
	b = appendGreaseFrame(b, 7)
	b = appendFrameHeader(b, 0x2f, 5) // an unknown type
	b = append(b, "zzzzz"...)
	b = appendFrameHeader(b, frameData, 5)
	b = append(b, "hello"...)
	b = appendGoaway(b, 8)
	fr := newFrameReader(bytes.NewReader(b))

	typ, n, err := fr.nextKnown()
	if err != nil || typ != frameHeaders || n != 3 {
		t.Fatalf("first frame: %v %d %v", typ, n, err)
	}
	p, err := fr.readPayload(3)
	if err != nil || string(p) != "abc" {
		t.Fatalf("HEADERS payload %q, %v", p, err)
	}
	typ, n, err = fr.nextKnown()
	if err != nil || typ != frameData || n != 5 {
		t.Fatalf("second frame: %v %d %v", typ, n, err)
	}
	buf := make([]byte, 2)
	k, err := fr.readData(buf)
	if err != nil || string(buf[:k]) != "he" {
		t.Fatalf("readData = %q, %v", buf[:k], err)
	}
	// The rest of the DATA frame is skipped by next.
	typ, n, err = fr.nextKnown()
	if err != nil || typ != frameGoaway {
		t.Fatalf("third frame: %v %d %v", typ, n, err)
	}
	p, err = fr.readPayload(8)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := parseSingleVarint(frameGoaway, p); err != nil || id != 8 {
		t.Fatalf("GOAWAY id %d, %v", id, err)
	}
	if _, _, err := fr.nextKnown(); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
}

func TestFrameReaderLimits(t *testing.T) {
	b := appendFrameHeader(nil, frameHeaders, 1000)
	fr := newFrameReader(bytes.NewReader(append(b, make([]byte, 1000)...)))
	if _, _, err := fr.next(); err != nil {
		t.Fatal(err)
	}
	if _, err := fr.readPayload(999); err != errFrameTooLarge {
		t.Fatalf("readPayload over the limit: %v", err)
	}

	// A huge declared length must not be allocated.
	b = appendFrameHeader(nil, frameHeaders, 1<<60)
	fr = newFrameReader(bytes.NewReader(append(b, 1, 2, 3)))
	fr.next()
	if _, err := fr.readPayload(1 << 20); err != errFrameTooLarge {
		t.Fatalf("readPayload of 2^60: %v", err)
	}
}

func TestFrameReaderTruncation(t *testing.T) {
	full := appendFrameHeader(nil, frameData, 300)
	full = append(full, make([]byte, 10)...)
	for cut := 1; cut < 3; cut++ {
		fr := newFrameReader(bytes.NewReader(full[:cut]))
		if _, _, err := fr.next(); !errors.Is(err, errFrameTruncated) {
			t.Errorf("header cut at %d: %v", cut, err)
		}
	}
	fr := newFrameReader(bytes.NewReader(full))
	fr.next()
	if _, err := fr.readPayload(1000); err != errFrameTruncated {
		t.Errorf("payload cut: %v", err)
	}
	// An unknown frame cut short is also truncated while skipping.
	u := appendFrameHeader(nil, 0x21, 100)
	fr = newFrameReader(bytes.NewReader(append(u, 1, 2)))
	if _, _, err := fr.nextKnown(); err != errFrameTruncated {
		t.Errorf("unknown frame cut: %v", err)
	}
}

func TestFrameTypes(t *testing.T) {
	for _, ft := range []frameType{0x02, 0x06, 0x08, 0x09} {
		if !ft.isHTTP2Frame() || !ft.isKnown() {
			t.Errorf("%v should be a reserved HTTP/2 frame", ft)
		}
	}
	for n := uint64(0); n < 100; n++ {
		if g := frameType(greaseValue(n)); g.isKnown() {
			t.Errorf("GREASE type %v is known", g)
		}
	}
	if frameGoaway.String() != "GOAWAY" || frameType(0x21).String() != "frame(0x21)" {
		t.Errorf("frame names: %v %v", frameGoaway, frameType(0x21))
	}
}

func TestParseSingleVarint(t *testing.T) {
	if _, err := parseSingleVarint(frameGoaway, []byte{0x40}); err == nil {
		t.Error("truncated payload accepted")
	}
	_, err := parseSingleVarint(frameMaxPushID, []byte{1, 2})
	var e *Error
	if !errors.As(err, &e) || e.Code != ErrCodeFrameError {
		t.Errorf("trailing bytes: %v, want H3_FRAME_ERROR", err)
	}
}

func TestErrCodeString(t *testing.T) {
	cases := map[ErrCode]string{
		ErrCodeNoError:         "H3_NO_ERROR",
		ErrCodeMessageError:    "H3_MESSAGE_ERROR",
		ErrCodeDatagramError:   "H3_DATAGRAM_ERROR",
		ErrCode(0x21 + 0x1f*3): "H3_GREASE(0x7e)",
		ErrCode(0x999):         "H3_ERROR(0x999)",
	}
	for c, want := range cases {
		if got := c.String(); got != want {
			t.Errorf("ErrCode(0x%x).String() = %q, want %q", uint64(c), got, want)
		}
	}
}

func FuzzFrameReader(f *testing.F) {
	f.Add(appendGoaway(appendSettingsFrame(nil, settings{}), 4))
	f.Add(append(appendFrameHeader(nil, frameData, 3), "abc"...))
	f.Add(appendGreaseFrame(nil, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr := newFrameReader(bytes.NewReader(b))
		buf := make([]byte, 7)
		for i := 0; i < 1000; i++ {
			typ, n, err := fr.nextKnown()
			if err != nil {
				return
			}
			switch typ {
			case frameData:
				if _, err := fr.readData(buf); err != nil {
					return
				}
			case frameSettings:
				p, err := fr.readPayload(maxSettingsPayload)
				if err != nil {
					return
				}
				parseSettings(p)
			default:
				p, err := fr.readPayload(64)
				if err != nil {
					if err == errFrameTooLarge && n <= 64 {
						t.Fatalf("frame of %d bytes refused", n)
					}
					return
				}
				parseSingleVarint(typ, p)
			}
		}
	})
}
