package wire

import (
	"bytes"
	"testing"
)

// TestAppendStreamHeader checks that the header and the data it asks for fit
// the space, that the frame parses back with that data, and the Length rule.
func TestAppendStreamHeader(t *testing.T) {
	tests := []struct {
		name      string
		id, off   uint64
		dataLen   int
		fin       bool
		space     int
		wantN     int
		hasLength bool
		wantFin   bool
	}{
		// Header without length: 1 type + 1 id (+ 2 offset).
		{"fits with room", 4, 0, 10, true, 100, 10, true, true},
		{"fills exactly", 4, 0, 98, true, 100, 98, false, true},
		{"cut to space", 4, 0, 500, true, 100, 98, false, false},
		{"cut with offset", 4, 1000, 500, false, 100, 96, false, false},
		{"no room for length", 4, 0, 97, false, 100, 97, false, false},
		{"one byte", 4, 0, 50, false, 3, 1, false, false},
		{"no room", 4, 0, 50, false, 2, -1, false, false},
		{"empty fin", 4, 70, 0, true, 4, 0, false, true},
		{"empty fin with room", 4, 70, 0, true, 50, 0, true, true},
		{"empty fin no room", 4, 70, 0, true, 3, -1, false, false},
		{"offset overflow", 4, MaxVarint, 10, false, 100, -1, false, false},
	}
	for _, tt := range tests {
		data := bytes.Repeat([]byte{'d'}, tt.dataLen)
		b, n, hasLength := AppendStreamHeader([]byte{0xaa}, tt.id, tt.off, tt.dataLen, tt.fin,
			tt.space)
		if n != tt.wantN || hasLength != tt.hasLength {
			t.Errorf("%s: n = %d, hasLength = %v; want %d, %v", tt.name, n, hasLength,
				tt.wantN, tt.hasLength)
			continue
		}
		if n < 0 {
			if len(b) != 1 {
				t.Errorf("%s: failed call wrote %d bytes", tt.name, len(b)-1)
			}
			continue
		}
		b = append(b, data[:n]...)
		if len(b)-1 > tt.space {
			t.Errorf("%s: frame of %d bytes exceeds space %d", tt.name, len(b)-1, tt.space)
		}
		f, m, err := ParseStream(b[1:])
		if err != nil || m != len(b)-1 {
			t.Errorf("%s: ParseStream: %v, consumed %d of %d", tt.name, err, m, len(b)-1)
			continue
		}
		if f.StreamID != tt.id || f.Offset != tt.off || len(f.Data) != n ||
			f.Fin != tt.wantFin || f.OmitLength == hasLength {
			t.Errorf("%s: parsed %+v", tt.name, f)
		}
	}
}

// TestStreamFrameAllTypes encodes and parses each of the eight STREAM frame
// types (RFC 9000, Section 19.8).
func TestStreamFrameAllTypes(t *testing.T) {
	for typ := FrameTypeStream; typ <= FrameTypeStreamMax; typ++ {
		f := StreamFrame{StreamID: 0x3fff, Data: []byte("payload"),
			Fin: typ&streamFinBit != 0, OmitLength: typ&streamLenBit == 0}
		if typ&streamOffBit != 0 {
			f.Offset = 1 << 40
		}
		b := f.Append(nil)
		if FrameType(b[0]) != typ || f.Type() != typ {
			t.Errorf("%+v encoded as type %#x, want %#x", f, b[0], uint64(typ))
		}
		got, n, err := ParseStream(b)
		if err != nil || n != len(b) {
			t.Fatalf("type %#x: %v, consumed %d of %d", uint64(typ), err, n, len(b))
		}
		if got.StreamID != f.StreamID || got.Offset != f.Offset || got.Fin != f.Fin ||
			got.OmitLength != f.OmitLength || !bytes.Equal(got.Data, f.Data) {
			t.Errorf("type %#x: parsed %+v, want %+v", uint64(typ), got, f)
		}
	}
}
