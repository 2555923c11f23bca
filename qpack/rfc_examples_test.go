package qpack

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// unhex decodes hexadecimal with spaces, as the RFCs print bytes.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// tableState lists the decoder's dynamic table as "abs name value" lines.
func tableState(d *Decoder) []string {
	var out []string
	for i, e := range d.table.entries {
		out = append(out, strings.Join([]string{
			string(rune('0' + int(d.table.dropped) + i)), e.name, e.value}, " "))
	}
	return out
}

// TestRFC9204AppendixBDecoder replays RFC 9204, Appendix B on the decoder
// side: the sections decode to the fields shown, the table matches after
// every step, and the decoder-stream bytes are the ones printed.
func TestRFC9204AppendixBDecoder(t *testing.T) {
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 220, MaxBlockedStreams: 1})
	decode := func(stream uint64, h string, want []HeaderField) {
		t.Helper()
		got, err := d.DecodeSection(stream, unhex(t, h))
		if err != nil {
			t.Fatalf("stream %d: %v", stream, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("stream %d (-want +got):\n%s", stream, diff)
		}
	}
	feed := func(h string) {
		t.Helper()
		if _, err := d.WriteEncoderStream(unhex(t, h)); err != nil {
			t.Fatalf("encoder stream %s: %v", h, err)
		}
	}
	expectDecoderStream := func(h string) {
		t.Helper()
		if got := d.AppendDecoderStream(nil); !bytes.Equal(got, unhex(t, h)) {
			t.Fatalf("decoder stream = %x, want %s", got, h)
		}
	}
	expectTable := func(size uint64, entries ...string) {
		t.Helper()
		if d.table.size != size {
			t.Errorf("table size = %d, want %d", d.table.size, size)
		}
		if diff := cmp.Diff(entries, tableState(d)); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
	}

	// B.1: a literal with a static name reference.
	decode(0, "0000 510b 2f69 6e64 6578 2e68 746d 6c",
		[]HeaderField{{Name: ":path", Value: "/index.html"}})
	expectDecoderStream("")

	// B.2: capacity, two inserts, a section with post-base references.
	feed("3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d" +
		"c10c 2f73 616d 706c 652f 7061 7468")
	expectTable(106, "0 :authority www.example.com", "1 :path /sample/path")
	decode(4, "0381 10 11", []HeaderField{
		{Name: ":authority", Value: "www.example.com"},
		{Name: ":path", Value: "/sample/path"},
	})
	expectDecoderStream("84")

	// B.3: a speculative insert, acknowledged by an increment.
	feed("4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565")
	expectTable(160, "0 :authority www.example.com", "1 :path /sample/path",
		"2 custom-key custom-value")
	expectDecoderStream("01")

	// B.4: the section arrives before the Duplicate and is cancelled.
	if _, err := d.DecodeSection(8, unhex(t, "0500 80 c1 81")); !errors.Is(err, ErrBlocked) {
		t.Fatalf("stream 8: err = %v, want ErrBlocked", err)
	}
	d.CancelStream(8)
	expectDecoderStream("48")
	unblocked, err := d.WriteEncoderStream(unhex(t, "02"))
	if err != nil || len(unblocked) != 0 {
		t.Fatalf("duplicate: unblocked %v, err %v", unblocked, err)
	}
	expectTable(217, "0 :authority www.example.com", "1 :path /sample/path",
		"2 custom-key custom-value", "3 :authority www.example.com")

	// B.5: an insert with a dynamic name reference evicts the oldest entry.
	feed("810d 6375 7374 6f6d 2d76 616c 7565 32")
	expectTable(215, "1 :path /sample/path", "2 custom-key custom-value",
		"3 :authority www.example.com", "4 custom-key custom-value2")
}

// TestRFC9204AppendixBBlocked decodes the B.4 section when it is not
// cancelled: it completes once the Duplicate arrives.
func TestRFC9204AppendixBBlocked(t *testing.T) {
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 220, MaxBlockedStreams: 1})
	for _, h := range []string{
		"3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d",
		"c10c 2f73 616d 706c 652f 7061 7468",
		"4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565",
	} {
		if _, err := d.WriteEncoderStream(unhex(t, h)); err != nil {
			t.Fatal(err)
		}
	}
	d.AppendDecoderStream(nil)
	if _, err := d.DecodeSection(8, unhex(t, "0500 80 c1 81")); !errors.Is(err, ErrBlocked) {
		t.Fatalf("err = %v, want ErrBlocked", err)
	}
	if _, err := d.TakeSection(8); err == nil {
		t.Fatal("TakeSection succeeded while blocked")
	}
	unblocked, err := d.WriteEncoderStream(unhex(t, "02"))
	if err != nil || !cmp.Equal(unblocked, []uint64{8}) {
		t.Fatalf("unblocked %v, err %v; want [8]", unblocked, err)
	}
	got, err := d.TakeSection(8)
	want := []HeaderField{
		{Name: ":authority", Value: "www.example.com"},
		{Name: ":path", Value: "/"},
		{Name: "custom-key", Value: "custom-value"},
	}
	if err != nil || !cmp.Equal(got, want) {
		t.Fatalf("TakeSection = %v, %v; want %v", got, err, want)
	}
	if got := d.AppendDecoderStream(nil); !bytes.Equal(got, []byte{0x88}) {
		t.Fatalf("decoder stream = %x, want 88 (Section Acknowledgment, stream 8)", got)
	}
}

// TestRFC9204AppendixBEncoder checks that the encoder writes the bytes of
// Appendix B: B.1 and the Set Dynamic Table Capacity of B.2 from the
// Encoder itself, and the rest from the writers it uses, fed the decisions
// the appendix's encoder made (ours would not insert a :path value).
func TestRFC9204AppendixBEncoder(t *testing.T) {
	e := NewEncoder(EncoderConfig{DisableHuffman: true})
	e.SetPeerSettings(220, 1)
	if got := e.AppendEncoderStream(nil); !bytes.Equal(got, unhex(t, "3fbd01")) {
		t.Fatalf("B.2 capacity = %x, want 3fbd01", got)
	}
	got, err := e.EncodeSection(0, []HeaderField{{Name: ":path", Value: "/index.html"}}, nil)
	if err != nil || !bytes.Equal(got, unhex(t, "0000 510b 2f69 6e64 6578 2e68 746d 6c")) {
		t.Fatalf("B.1 section = %x, %v", got, err)
	}

	// B.2: two inserts, then a section with post-base references.
	e.out = appendInsertNameRef(e.out, true, 0, "www.example.com", false)
	e.out = appendInsertNameRef(e.out, true, 1, "/sample/path", false)
	s := encodeState{base: 0, minRef: noRef}
	section := e.appendIndexed(&s, nil, 0)
	section = e.appendIndexed(&s, section, 1)
	got = append(e.appendPrefix(nil, &s), section...)
	if want := unhex(t, "0381 10 11"); !bytes.Equal(got, want) {
		t.Errorf("B.2 section = %x, want %x", got, want)
	}
	want := unhex(t, "c00f 7777 772e 6578 616d 706c 652e 636f 6d"+
		"c10c 2f73 616d 706c 652f 7061 7468")
	if got := e.AppendEncoderStream(nil); !bytes.Equal(got, want) {
		t.Errorf("B.2 inserts = %x, want %x", got, want)
	}

	// B.4: a section with Base 4 and relative references.
	s = encodeState{base: 4, minRef: noRef}
	section = e.appendIndexed(&s, nil, 3)
	section = e.encodeField(&s, section, &HeaderField{Name: ":path", Value: "/"})
	section = e.appendIndexed(&s, section, 2)
	got = append(e.appendPrefix(nil, &s), section...)
	if want := unhex(t, "0500 80 c1 81"); !bytes.Equal(got, want) {
		t.Errorf("B.4 section = %x, want %x", got, want)
	}

	for _, c := range []struct {
		name string
		got  []byte
		want string
	}{
		{"B.3 insert", appendInsertLiteralName(nil, "custom-key", "custom-value", false),
			"4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565"},
		{"B.3 increment", appendInsertCountIncrement(nil, 1), "01"},
		{"B.4 duplicate", appendDuplicate(nil, 2), "02"},
		{"B.4 cancellation", appendStreamCancel(nil, 8), "48"},
		{"B.5 insert", appendInsertNameRef(nil, false, 1, "custom-value2", false),
			"810d 6375 7374 6f6d 2d76 616c 7565 32"},
		{"B.2 acknowledgment", appendSectionAck(nil, 4), "84"},
	} {
		if !bytes.Equal(c.got, unhex(t, c.want)) {
			t.Errorf("%s = %x, want %s", c.name, c.got, c.want)
		}
	}
}
