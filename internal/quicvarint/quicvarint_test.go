package quicvarint

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestRFCExamples checks the examples of RFC 9000, Appendix A.1.
func TestRFCExamples(t *testing.T) {
	tests := []struct {
		hex string
		v   uint64
	}{
		{"c2197c5eff14e88c", 151288809941952652},
		{"9d7f3e7d", 494878333},
		{"7bbd", 15293},
		{"25", 37},
	}
	for _, tt := range tests {
		enc, _ := hex.DecodeString(tt.hex)
		v, n := Consume(enc)
		if v != tt.v || n != len(enc) {
			t.Errorf("Consume(%s) = %d, %d; want %d, %d", tt.hex, v, n, tt.v, len(enc))
		}
		if got := Append(nil, tt.v); !bytes.Equal(got, enc) {
			t.Errorf("Append(%d) = %x, want %s", tt.v, got, tt.hex)
		}
		if Len(tt.v) != len(enc) {
			t.Errorf("Len(%d) = %d, want %d", tt.v, Len(tt.v), len(enc))
		}
	}
	// A two-byte encoding of 37 is accepted (Appendix A.1).
	if v, n := Consume([]byte{0x40, 0x25}); v != 37 || n != 2 {
		t.Errorf("non-minimal 37: %d, %d", v, n)
	}
}

func TestBoundariesAndTruncation(t *testing.T) {
	for _, v := range []uint64{0, 63, 64, 16383, 16384, 1<<30 - 1, 1 << 30, Max} {
		b := Append(nil, v)
		if got, n := Consume(b); got != v || n != len(b) || n != Len(v) {
			t.Errorf("round trip of %d: %d, %d (len %d)", v, got, n, len(b))
		}
		for cut := 0; cut < len(b); cut++ {
			if _, n := Consume(b[:cut]); n >= 0 {
				t.Errorf("%d cut to %d bytes decoded", v, cut)
			}
		}
	}
}
