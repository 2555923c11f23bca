package wire

import (
	"math/rand/v2"
	"testing"
)

// TestDecodePacketNumberRFC checks the example of RFC 9000, Appendix A.3 and
// the edges of the packet number space.
func TestDecodePacketNumberRFC(t *testing.T) {
	tests := []struct {
		largest   PacketNumber
		truncated uint32
		n         int
		want      PacketNumber
	}{
		{0xa82f30ea, 0x9b32, 2, 0xa82f9b32},
		{InvalidPacketNumber, 0, 1, 0},
		{InvalidPacketNumber, 2, 4, 2},
		{0xff, 0x01, 1, 0x101},
		{0x100, 0xff, 1, 0xff},
		{0x17f, 0x00, 1, 0x200},
		{0x180, 0x80, 1, 0x180},
		{MaxPacketNumber - 1, 0xff, 1, MaxPacketNumber},
		// Candidates above the maximum are not moved beyond it.
		{MaxPacketNumber - 0x10, 0x80, 1, MaxPacketNumber - 0x7f},
	}
	for _, tt := range tests {
		got := DecodePacketNumber(tt.largest, tt.truncated, tt.n)
		if got != tt.want {
			t.Errorf("DecodePacketNumber(%#x, %#x, %d) = %#x, want %#x",
				tt.largest, tt.truncated, tt.n, got, tt.want)
		}
	}
}

// TestPacketNumberLenRFC checks the examples of RFC 9000, Section 17.1 and
// Appendix A.2.
func TestPacketNumberLenRFC(t *testing.T) {
	tests := []struct {
		pn, acked PacketNumber
		want      int
	}{
		{0xac5c02, 0xabe8b3, 2},
		{0xace8fe, 0xabe8b3, 3},
		{0, InvalidPacketNumber, 1},
		{126, InvalidPacketNumber, 1},
		{127, InvalidPacketNumber, 2},
		{1 << 30, 0, 4},
	}
	for _, tt := range tests {
		if got := PacketNumberLen(tt.pn, tt.acked); got != tt.want {
			t.Errorf("PacketNumberLen(%#x, %#x) = %d, want %d", tt.pn, tt.acked, got, tt.want)
		}
	}
}

// TestPacketNumberRoundTrip encodes packet numbers with the length
// PacketNumberLen chooses and decodes them with any largest received number a
// receiver could hold: between the sender's largest acknowledged and pn-1.
func TestPacketNumberRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		acked := PacketNumber(rng.Int64N(1<<40)) - 1
		pn := acked + 1 + PacketNumber(rng.Int64N(1<<uint(rng.IntN(30)+1)))
		n := PacketNumberLen(pn, acked)
		enc := AppendPacketNumber(nil, pn, n)
		truncated, ok := ReadPacketNumber(enc, n)
		if !ok {
			t.Fatalf("ReadPacketNumber(%x, %d) failed", enc, n)
		}
		largest := acked + PacketNumber(rng.Int64N(int64(pn-acked)))
		if got := DecodePacketNumber(largest, truncated, n); got != pn {
			t.Fatalf("pn %d acked %d largest %d len %d: decoded %d", pn, acked, largest, n, got)
		}
	}
}

func TestReadPacketNumberBounds(t *testing.T) {
	if _, ok := ReadPacketNumber([]byte{1, 2}, 3); ok {
		t.Error("ReadPacketNumber of a short buffer succeeded")
	}
	if _, ok := ReadPacketNumber([]byte{1, 2, 3, 4, 5}, 5); ok {
		t.Error("ReadPacketNumber with length 5 succeeded")
	}
	if v, ok := ReadPacketNumber([]byte{1, 2, 3}, 3); !ok || v != 0x010203 {
		t.Errorf("ReadPacketNumber = %#x, %v", v, ok)
	}
}
