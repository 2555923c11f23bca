package qpack

import (
	"bytes"
	"errors"
	"testing"
)

// rfc7541Huffman are the Huffman-coded strings of RFC 7541, Appendices C.4
// and C.6.
var rfc7541Huffman = []struct{ s, hex string }{
	{"www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"},
	{"no-cache", "a8eb 1064 9cbf"},
	{"custom-key", "25a8 49e9 5ba9 7d7f"},
	{"custom-value", "25a8 49e9 5bb8 e8b4 bf"},
	{"302", "6402"},
	{"private", "aec3 771a 4b"},
	{"Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff"},
	{"https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"},
	{"307", "640e ff"},
	{"Mon, 21 Oct 2013 20:13:22 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff"},
	{"gzip", "9bd9 ab"},
	{"foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
		"94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587" +
			"3160 65c0 03ed 4ee5 b106 3d50 07"},
}

func TestHuffmanRFC7541Examples(t *testing.T) {
	for _, c := range rfc7541Huffman {
		want := unhex(t, c.hex)
		if got := appendHuffman(nil, c.s); !bytes.Equal(got, want) {
			t.Errorf("encode %q = %x, want %x", c.s, got, want)
		}
		if n := huffmanEncodedLen(c.s); n != len(want) {
			t.Errorf("huffmanEncodedLen(%q) = %d, want %d", c.s, n, len(want))
		}
		got, err := appendHuffmanDecoded(nil, want, 1000)
		if err != nil || string(got) != c.s {
			t.Errorf("decode %x = %q, %v; want %q", want, got, err, c.s)
		}
	}
}

// TestHuffmanCodeShape checks the code built from the lengths against facts
// of RFC 7541, Appendix B: the first and last codes of a few lengths, and a
// prefix-free, complete code.
func TestHuffmanCodeShape(t *testing.T) {
	for _, c := range []struct {
		sym  int
		code uint32
		len  uint8
	}{
		{'0', 0x0, 5}, {'t', 0x9, 5}, {' ', 0x14, 6}, {'a', 0x3, 5},
		{'A', 0x21, 6}, {'z', 0x7b, 7}, {0, 0x1ff8, 13}, {255, 0x3ffffee, 26},
		{huffmanEOS, 0x3fffffff, 30},
	} {
		if huffmanCode[c.sym] != c.code || huffmanBitLen[c.sym] != c.len {
			t.Errorf("symbol %d: code %#x/%d, want %#x/%d", c.sym,
				huffmanCode[c.sym], huffmanBitLen[c.sym], c.code, c.len)
		}
	}
	// Kraft sum of a complete prefix code is exactly 1.
	var kraft uint64
	for _, n := range huffmanBitLen {
		kraft += 1 << (huffmanMaxLen - n)
	}
	if kraft != 1<<huffmanMaxLen {
		t.Errorf("Kraft sum = %d/2^30, want 1", kraft)
	}
}

// TestHuffmanAllBytes round-trips every byte value in every position
// relative to byte boundaries.
func TestHuffmanAllBytes(t *testing.T) {
	for pad := 0; pad < 8; pad++ {
		s := make([]byte, 0, 300)
		for i := 0; i < pad; i++ {
			s = append(s, 'a')
		}
		for c := 0; c < 256; c++ {
			s = append(s, byte(c))
		}
		enc := appendHuffman(nil, string(s))
		got, err := appendHuffmanDecoded(nil, enc, uint64(len(s)))
		if err != nil || !bytes.Equal(got, s) {
			t.Fatalf("pad %d: round trip failed: %v", pad, err)
		}
	}
}

func TestHuffmanStrictDecoding(t *testing.T) {
	for _, c := range []struct {
		name string
		hex  string
	}{
		// 'a' is 00011; eight ones of padding after it is too much.
		{"padding over 7 bits", "1fff"},
		// 'a' followed by padding that is not all ones.
		{"padding not ones", "18"},
		// EOS (30 ones) encoded in full, padded.
		{"EOS", "ffff fffc"},
		// 'a' then EOS.
		{"EOS after symbol", "1fff ffff ff"},
		// A 13-bit code cut to 8 bits: 0x1ff8 starts 11111111 11000.
		{"truncated code", "ff"},
	} {
		_, err := appendHuffmanDecoded(nil, unhex(t, c.hex), 100)
		if !errors.Is(err, errHuffman) {
			t.Errorf("%s (%s): err = %v, want errHuffman", c.name, c.hex, err)
		}
	}
	// Seven ones of padding after a 1-bit remainder are fine.
	got, err := appendHuffmanDecoded(nil, unhex(t, "1f"), 100)
	if err != nil || string(got) != "a" {
		t.Errorf("\"a\" with padding: %q, %v", got, err)
	}
	if _, err := appendHuffmanDecoded(nil, unhex(t, "f1e3 c2e5 f23a 6ba0 ab90 f4ff"),
		14); !errors.Is(err, errTooLong) {
		t.Errorf("limit 14 for a 15-byte string: err = %v, want errTooLong", err)
	}
}
