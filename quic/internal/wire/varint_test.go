package wire

import (
	"encoding/hex"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// TestVarintRFCExamples decodes the examples of RFC 9000, Appendix A.1.
func TestVarintRFCExamples(t *testing.T) {
	tests := []struct {
		hex     string
		v       uint64
		minimal bool
	}{
		{"c2197c5eff14e88c", 151288809941952652, true},
		{"9d7f3e7d", 494878333, true},
		{"7bbd", 15293, true},
		{"25", 37, true},
		{"4025", 37, false},
	}
	for _, tt := range tests {
		b := mustHex(t, tt.hex)
		v, n, minimal := ConsumeMinimalVarint(b)
		if v != tt.v || n != len(b) || minimal != tt.minimal {
			t.Errorf("ConsumeMinimalVarint(%s) = %d, %d, %v; want %d, %d, %v",
				tt.hex, v, n, minimal, tt.v, len(b), tt.minimal)
		}
		if tt.minimal {
			if got := hex.EncodeToString(AppendVarint(nil, tt.v)); got != tt.hex {
				t.Errorf("AppendVarint(%d) = %s, want %s", tt.v, got, tt.hex)
			}
		}
	}
}

func TestVarintBoundaries(t *testing.T) {
	tests := []struct {
		v   uint64
		len int
	}{
		{0, 1}, {63, 1}, {64, 2}, {16383, 2}, {16384, 4},
		{1<<30 - 1, 4}, {1 << 30, 8}, {MaxVarint, 8},
	}
	for _, tt := range tests {
		if got := VarintLen(tt.v); got != tt.len {
			t.Errorf("VarintLen(%d) = %d, want %d", tt.v, got, tt.len)
		}
		b := AppendVarint([]byte{0xff}, tt.v)
		if len(b) != 1+tt.len {
			t.Errorf("AppendVarint(%d) wrote %d bytes, want %d", tt.v, len(b)-1, tt.len)
		}
		v, n := ConsumeVarint(b[1:])
		if v != tt.v || n != tt.len {
			t.Errorf("ConsumeVarint(AppendVarint(%d)) = %d, %d", tt.v, v, n)
		}
		// Every strict prefix is truncated.
		for i := range tt.len {
			if _, n := ConsumeVarint(b[1 : 1+i]); n >= 0 {
				t.Errorf("ConsumeVarint of %d of %d bytes of %d: n = %d, want < 0",
					i, tt.len, tt.v, n)
			}
		}
	}
}

func TestPutVarintN(t *testing.T) {
	for _, width := range []int{1, 2, 4, 8} {
		for _, v := range []uint64{0, 1, 37, 63, 64, 16383, 16384, 1<<30 - 1, MaxVarint} {
			fits := v < 1<<(8*width-2)
			if !fits {
				func() {
					defer func() {
						if recover() == nil {
							t.Errorf("PutVarintN(%d, %d) did not panic", v, width)
						}
					}()
					PutVarintN(make([]byte, width), v, width)
				}()
				continue
			}
			b := AppendVarintN([]byte{0xaa}, 0, width)
			PutVarintN(b[1:], v, width)
			got, n := ConsumeVarint(b[1:])
			if got != v || n != width || b[0] != 0xaa {
				t.Errorf("PutVarintN(%d, %d): read back %d, %d", v, width, got, n)
			}
		}
	}
}

func TestAppendVarintPanicsAboveMax(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("AppendVarint(2^62) did not panic")
		}
	}()
	AppendVarint(nil, MaxVarint+1)
}
