package qpack

import (
	"bytes"
	"errors"
	"testing"
)

func TestIntegerRFC7541Examples(t *testing.T) {
	for _, c := range []struct {
		v      uint64
		prefix uint8
		hex    string
	}{
		{10, 5, "0a"},       // RFC 7541, C.1.1
		{1337, 5, "1f9a0a"}, // C.1.2
		{42, 8, "2a"},       // C.1.3
		{31, 5, "1f00"},     // exactly the prefix limit
		{220, 5, "1fbd01"},  // RFC 9204, B.2 without the instruction bits
	} {
		got := appendInt(nil, 0, c.prefix, c.v)
		want := unhex(t, c.hex)
		if !bytes.Equal(got, want) {
			t.Errorf("appendInt(%d, %d) = %x, want %x", c.v, c.prefix, got, want)
		}
		v, n, err := readInt(want, c.prefix)
		if err != nil || v != c.v || n != len(want) {
			t.Errorf("readInt(%x) = %d, %d, %v", want, v, n, err)
		}
	}
}

func TestIntegerLimits(t *testing.T) {
	for _, v := range []uint64{0, 1, 126, 127, 128, 1<<14 - 1, 1 << 32, maxVarint} {
		for prefix := uint8(1); prefix <= 8; prefix++ {
			b := appendInt(nil, 0, prefix, v)
			got, n, err := readInt(b, prefix)
			if err != nil || got != v || n != len(b) {
				t.Errorf("round trip %d/%d: %d, %d, %v", v, prefix, got, n, err)
			}
			// Every strict prefix is incomplete.
			for i := 0; i < len(b); i++ {
				if _, _, err := readInt(b[:i], prefix); err != errNeedMore {
					t.Errorf("%d/%d cut at %d: err = %v, want errNeedMore",
						v, prefix, i, err)
				}
			}
		}
	}
	tooBig := appendInt(nil, 0, 5, maxVarint)
	tooBig[len(tooBig)-1]++ // one continuation byte bigger
	if _, _, err := readInt(tooBig, 5); !errors.Is(err, errIntegerOverflow) {
		t.Errorf("value over 2^62: err = %v", err)
	}
	long := append([]byte{0x1f}, bytes.Repeat([]byte{0x80}, 20)...)
	long = append(long, 0x01)
	if _, _, err := readInt(long, 5); !errors.Is(err, errIntegerOverflow) {
		t.Errorf("22-byte integer: err = %v", err)
	}
}

func TestStringLiteral(t *testing.T) {
	var r stringReader
	for _, huff := range []bool{false, true} {
		for _, s := range []string{"", "a", "www.example.com", "\x00\xff\x80 binary"} {
			b := appendString([]byte{0xff}, 0x40, 5, s, huff)[1:]
			if b[0]&0xc0 != 0x40 {
				t.Errorf("%q: instruction bits lost: %x", s, b)
			}
			got, n, err := r.read(b, 5, 100)
			if err != nil || got != s || n != len(b) {
				t.Errorf("%q (huff %v): read %q, %d, %v", s, huff, got, n, err)
			}
			if _, _, err := r.read(b[:len(b)-1], 5, 100); len(s) > 0 && err != errNeedMore {
				t.Errorf("%q truncated: err = %v", s, err)
			}
			if len(s) > 1 {
				if _, _, err := r.read(b, 5, uint64(len(s)-1)); err != errTooLong {
					t.Errorf("%q over limit: err = %v", s, err)
				}
			}
		}
	}
	// A declared length far beyond the limit fails before the bytes arrive.
	if _, _, err := r.read(appendInt(nil, 0, 7, 1<<40), 7, 100); err != errTooLong {
		t.Errorf("huge length: err = %v, want errTooLong", err)
	}
}
