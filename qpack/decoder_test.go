package qpack

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// appendixBEncoderStream is the encoder stream of RFC 9204, B.2 and B.3.
const appendixBEncoderStream = "3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d" +
	"c10c 2f73 616d 706c 652f 7061 7468" +
	"4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565"

// newTestDecoder returns a decoder with a 220-byte table that has received
// appendixBEncoderStream.
func newTestDecoder(t *testing.T) *Decoder {
	t.Helper()
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 220, MaxBlockedStreams: 2})
	if _, err := d.WriteEncoderStream(unhex(t, appendixBEncoderStream)); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDecodeSectionErrors(t *testing.T) {
	for _, c := range []struct {
		name    string
		section string
		noTable bool
	}{
		{"empty", "", false},
		{"truncated prefix", "00", false},
		{"truncated integer", "00 00 ff", false},
		{"static index 99", "0000 ff24", false},
		{"static name index 99", "0000 5f54 00", false},
		{"truncated literal", "0000 510b 2f69", false},
		{"truncated literal name", "0000 2703", false},
		{"bad Huffman value", "0000 5181 ff", false},
		{"EOS in Huffman name", "0000 2c ffff fffc 00", false},
		{"dynamic reference without table", "0000 80", true},
		{"relative index beyond Base", "0000 80", false},
		{"Required Insert Count without table", "0200 c1", true},
		{"encoded insert count over range", "0d00 c1", false},
		{"Required Insert Count zero", "0100 c1", false},
		{"negative Base", "0281 c1", false},
		{"reference at Required Insert Count", "0200 10", false},
		{"post-base name reference at Required Insert Count", "0200 0000", false},
		{"relative reference at Required Insert Count", "0201 80", false},
		{"integer overflow", "0000 ff ffffffffffffffffffff01", false},
	} {
		var d *Decoder
		if c.noTable {
			d = NewDecoder(DecoderConfig{})
		} else {
			d = newTestDecoder(t)
		}
		_, err := d.DecodeSection(4, unhex(t, c.section))
		if !errors.Is(err, ErrDecompressionFailed) {
			t.Errorf("%s: err = %v, want QPACK_DECOMPRESSION_FAILED", c.name, err)
			continue
		}
		// The error sticks: the connection is over.
		if _, err2 := d.DecodeSection(8, unhex(t, "0000 d1")); err2 != err {
			t.Errorf("%s: next section: err = %v, want the first error", c.name, err2)
		}
	}
}

func TestDecodeEvictedReference(t *testing.T) {
	d := newTestDecoder(t)
	// Insert custom-key=custom-value2 by name reference: evicts entry 0.
	evicting := unhex(t, "02 810d 6375 7374 6f6d 2d76 616c 7565 32")
	if _, err := d.WriteEncoderStream(evicting); err != nil {
		t.Fatal(err)
	}
	// Required Insert Count 5, Base 5, relative index 4: absolute 0.
	_, err := d.DecodeSection(4, unhex(t, "0600 84"))
	if !errors.Is(err, ErrDecompressionFailed) || !strings.Contains(err.Error(), "evicted") {
		t.Fatalf("err = %v, want a decompression failure for an evicted entry", err)
	}
}

func TestEncoderStreamErrors(t *testing.T) {
	for _, c := range []struct {
		name, stream string
	}{
		{"capacity over maximum", "3fbe01"},
		{"entry larger than capacity", "3f01 c0 0f 7777 772e 6578 616d 706c 652e 636f 6d"},
		{"insert with no capacity", "c1 00"},
		{"duplicate of nothing", "3fbd01 00"},
		{"static name index 99", "3fbd01 ff24 00"},
		{"dynamic name of nothing", "3fbd01 80 00"},
		{"bad Huffman", "3fbd01 c1 81 ff"},
		{"name longer than capacity", "3f01 5f10"},
		{"integer overflow", "3fbd01 1f ffffffffffffffffffff01"},
	} {
		d := NewDecoder(DecoderConfig{MaxTableCapacity: 220})
		_, err := d.WriteEncoderStream(unhex(t, c.stream))
		if !errors.Is(err, ErrEncoderStream) {
			t.Errorf("%s: err = %v, want QPACK_ENCODER_STREAM_ERROR", c.name, err)
		}
	}
	// A value that can never fit is refused before its bytes arrive: a
	// 15-byte name leaves 17 bytes in a 64-byte table, and 254 bytes of
	// Huffman code decode to at least 67.
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 64})
	head := append(unhex(t, "3f21 4f"), make([]byte, 15)...)
	if _, err := d.WriteEncoderStream(append(head, 0xff, 0x7f)); !errors.Is(err,
		ErrEncoderStream) {
		t.Errorf("value too long for the table: err = %v", err)
	}
}

// TestEncoderStreamSplit feeds the encoder stream one byte at a time.
func TestEncoderStreamSplit(t *testing.T) {
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 220, MaxBlockedStreams: 1})
	if _, err := d.DecodeSection(4, unhex(t, "0381 10 11")); !errors.Is(err, ErrBlocked) {
		t.Fatalf("err = %v, want ErrBlocked", err)
	}
	var unblocked []uint64
	for _, b := range unhex(t, appendixBEncoderStream) {
		u, err := d.WriteEncoderStream([]byte{b})
		if err != nil {
			t.Fatal(err)
		}
		unblocked = append(unblocked, u...)
	}
	if !cmp.Equal(unblocked, []uint64{4}) {
		t.Fatalf("unblocked = %v, want [4]", unblocked)
	}
	if d.InsertCount() != 3 {
		t.Errorf("InsertCount = %d, want 3", d.InsertCount())
	}
	fields, err := d.TakeSection(4)
	want := []HeaderField{
		{Name: ":authority", Value: "www.example.com"},
		{Name: ":path", Value: "/sample/path"},
	}
	if err != nil || !cmp.Equal(fields, want) {
		t.Fatalf("TakeSection = %v, %v", fields, err)
	}
	// The acknowledgment for stream 4 covers two inserts; one increment
	// covers the third.
	if got := d.AppendDecoderStream(nil); !cmp.Equal(got, []byte{0x84, 0x01}) {
		t.Errorf("decoder stream = %x, want 8401", got)
	}
}

func TestBlockedStreamLimit(t *testing.T) {
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 220, MaxBlockedStreams: 1})
	if _, err := d.DecodeSection(4, unhex(t, "0381 10 11")); !errors.Is(err, ErrBlocked) {
		t.Fatalf("first: err = %v, want ErrBlocked", err)
	}
	_, err := d.DecodeSection(8, unhex(t, "0381 10 11"))
	if !errors.Is(err, ErrDecompressionFailed) {
		t.Fatalf("second: err = %v, want QPACK_DECOMPRESSION_FAILED", err)
	}

	d = NewDecoder(DecoderConfig{MaxTableCapacity: 220})
	if _, err := d.DecodeSection(4, unhex(t, "0381 10 11")); !errors.Is(err,
		ErrDecompressionFailed) {
		t.Fatalf("no blocking allowed: err = %v, want QPACK_DECOMPRESSION_FAILED", err)
	}
}

func TestBlockedSectionCancelled(t *testing.T) {
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 220, MaxBlockedStreams: 1})
	if _, err := d.DecodeSection(4, unhex(t, "0381 10 11")); !errors.Is(err, ErrBlocked) {
		t.Fatal(err)
	}
	d.CancelStream(4)
	// The slot is free again.
	if _, err := d.DecodeSection(8, unhex(t, "0381 10 11")); !errors.Is(err, ErrBlocked) {
		t.Fatalf("after cancel: err = %v, want ErrBlocked", err)
	}
	unblocked, err := d.WriteEncoderStream(unhex(t, appendixBEncoderStream))
	if err != nil || !cmp.Equal(unblocked, []uint64{8}) {
		t.Fatalf("unblocked = %v, %v; want [8]", unblocked, err)
	}
	if got := d.AppendDecoderStream(nil); !cmp.Equal(got, []byte{0x44, 0x88, 0x01}) {
		t.Errorf("decoder stream = %x, want 44 88 01", got)
	}
}

func TestFieldSectionSizeLimit(t *testing.T) {
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 220, MaxFieldSectionSize: 60})
	if _, err := d.WriteEncoderStream(unhex(t, appendixBEncoderStream)); err != nil {
		t.Fatal(err)
	}
	// :path=/index.html is 5+11+32 = 48 bytes: fits.
	one := "0000 510b 2f69 6e64 6578 2e68 746d 6c"
	if _, err := d.DecodeSection(0, unhex(t, one)); err != nil {
		t.Fatalf("48 bytes: %v", err)
	}
	// Twice is 96: too large, but the connection goes on.
	_, err := d.DecodeSection(4, unhex(t, one+"510b 2f69 6e64 6578 2e68 746d 6c"))
	if !errors.Is(err, ErrFieldSectionTooLarge) {
		t.Fatalf("96 bytes: err = %v, want ErrFieldSectionTooLarge", err)
	}
	// A literal whose declared length alone is over the limit.
	_, err = d.DecodeSection(4, unhex(t, "0000 517f 00"))
	if !errors.Is(err, ErrFieldSectionTooLarge) {
		t.Fatalf("long literal: err = %v, want ErrFieldSectionTooLarge", err)
	}
	// A dynamic section over the limit is still acknowledged.
	_, err = d.DecodeSection(8, unhex(t, "0400 80 81 82"))
	if !errors.Is(err, ErrFieldSectionTooLarge) {
		t.Fatalf("dynamic: err = %v, want ErrFieldSectionTooLarge", err)
	}
	if got := d.AppendDecoderStream(nil); !cmp.Equal(got, []byte{0x88}) {
		t.Errorf("decoder stream = %x, want 88", got)
	}
	if _, err := d.DecodeSection(0, unhex(t, one)); err != nil {
		t.Fatalf("after the limit: %v", err)
	}
}

func TestSensitiveFlagDecoded(t *testing.T) {
	d := NewDecoder(DecoderConfig{})
	// Literal with static name reference 84 (authorization), N bit set.
	fields, err := d.DecodeSection(0, unhex(t, "0000 7f45 03 616263"))
	want := []HeaderField{{Name: "authorization", Value: "abc", Sensitive: true}}
	if err != nil || !cmp.Equal(fields, want) {
		t.Fatalf("got %v, %v; want %v", fields, err, want)
	}
}

func TestErrorCodes(t *testing.T) {
	for code, name := range map[ErrorCode]string{
		ErrCodeDecompressionFailed: "QPACK_DECOMPRESSION_FAILED",
		ErrCodeEncoderStream:       "QPACK_ENCODER_STREAM_ERROR",
		ErrCodeDecoderStream:       "QPACK_DECODER_STREAM_ERROR",
		0x1234:                     "0x1234",
	} {
		if code.String() != name {
			t.Errorf("%d.String() = %q, want %q", uint64(code), code.String(), name)
		}
	}
	err := error(decompressionError("bad %d", 1))
	var qe *Error
	if !errors.As(err, &qe) || qe.Code != 0x200 || errors.Is(err, ErrEncoderStream) {
		t.Errorf("error %v does not match its code alone", err)
	}
}
