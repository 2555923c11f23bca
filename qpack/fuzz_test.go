package qpack

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzHuffman decodes arbitrary bytes as a Huffman-coded string: whatever
// decodes must encode back to a string that decodes the same. It also
// round-trips the input as a plain string.
func FuzzHuffman(f *testing.F) {
	for _, c := range rfc7541Huffman {
		f.Add(unhex(f, c.hex))
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xfc})
	f.Fuzz(func(t *testing.T, data []byte) {
		dec, err := appendHuffmanDecoded(nil, data, 1<<16)
		if err == nil {
			enc := appendHuffman(nil, string(dec))
			again, err := appendHuffmanDecoded(nil, enc, 1<<16)
			if err != nil || !bytes.Equal(again, dec) {
				t.Fatalf("re-encoding %x: %x, %v", dec, again, err)
			}
			// A valid code cannot be longer than its canonical encoding.
			if len(enc) > len(data) {
				t.Fatalf("%x decodes to %q, which encodes longer: %x", data, dec, enc)
			}
		} else if !errors.Is(err, errHuffman) {
			t.Fatalf("unexpected error %v", err)
		}
		enc := appendHuffman(nil, string(data))
		back, err := appendHuffmanDecoded(nil, enc, uint64(len(data)))
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("round trip of %x: %x, %v", data, back, err)
		}
	})
}

// FuzzDecoder feeds arbitrary encoder-stream bytes, split in two, and two
// field sections to a Decoder. It must never panic, and every error must be
// one the API documents.
func FuzzDecoder(f *testing.F) {
	f.Add(unhex(f, appendixBEncoderStream), 7, unhex(f, "0381 10 11"), unhex(f, "0500 80 c1 81"))
	f.Add(unhex(f, "3fbd01 02 810d 6375 7374 6f6d 2d76 616c 7565 32"), 3,
		unhex(f, "0000 510b 2f69 6e64 6578 2e68 746d 6c"), unhex(f, "0600 84"))
	f.Add([]byte{}, 0, unhex(f, "0000 2c ffff fffc 00"), unhex(f, "0000 7f45 03 616263"))
	f.Fuzz(func(t *testing.T, es []byte, split int, sec1, sec2 []byte) {
		d := NewDecoder(DecoderConfig{
			MaxTableCapacity:    512,
			MaxBlockedStreams:   1,
			MaxFieldSectionSize: 1024,
		})
		check := func(err error) {
			var qe *Error
			if err != nil && !errors.As(err, &qe) && !errors.Is(err, ErrBlocked) &&
				!errors.Is(err, ErrFieldSectionTooLarge) {
				t.Fatalf("undocumented error %v", err)
			}
		}
		_, err := d.DecodeSection(4, sec1)
		check(err)
		if split < 0 || split > len(es) {
			split = len(es) / 2
		}
		for _, part := range [][]byte{es[:split], es[split:]} {
			ids, err := d.WriteEncoderStream(part)
			check(err)
			for _, id := range ids {
				fields, err := d.TakeSection(id)
				check(err)
				size := 0
				for _, f := range fields {
					size += len(f.Name) + len(f.Value) + 32
				}
				if size > 1024 {
					t.Fatalf("decoded %d bytes, over the limit", size)
				}
			}
		}
		_, err = d.DecodeSection(8, sec2)
		check(err)
		d.CancelStream(4)
		d.AppendDecoderStream(nil)
	})
}

// FuzzEncoderDecoderStream feeds arbitrary decoder-stream bytes to an
// Encoder that has sent some sections, then encodes one more: it must not
// panic, and a decoder that has received everything must decode it, whatever
// the peer claimed to have acknowledged.
func FuzzEncoderDecoderStream(f *testing.F) {
	f.Add([]byte{0x84, 0x01})
	f.Add([]byte{0x80, 0x44, 0x03})
	f.Add([]byte{0x40, 0x00})
	f.Fuzz(func(t *testing.T, ds []byte) {
		e := NewEncoder(EncoderConfig{})
		e.SetPeerSettings(128, 2)
		d := NewDecoder(DecoderConfig{MaxTableCapacity: 128, MaxBlockedStreams: 2})
		fields := []HeaderField{{Name: "x-a", Value: "1"}, {Name: "x-b", Value: "22"}}
		// An honest peer receives and decodes the first sections; the
		// fuzzer then writes its decoder stream, which may lie.
		for id := uint64(0); id < 12; id += 4 {
			sec, err := e.EncodeSection(id, fields, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.WriteEncoderStream(e.AppendEncoderStream(nil)); err != nil {
				t.Fatalf("encoder stream: %v", err)
			}
			if _, err := d.DecodeSection(id, sec); err != nil {
				t.Fatalf("section %d: %v", id, err)
			}
		}
		err := e.WriteDecoderStream(ds)
		if err != nil && !errors.Is(err, ErrDecoderStream) {
			t.Fatalf("undocumented error %v", err)
		}
		if err != nil {
			return
		}
		fields = append(fields, HeaderField{Name: "x-c", Value: "333"})
		sec, err := e.EncodeSection(12, fields, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.WriteEncoderStream(e.AppendEncoderStream(nil)); err != nil {
			t.Fatalf("encoder stream: %v", err)
		}
		if _, err := d.DecodeSection(12, sec); err != nil {
			t.Fatalf("last section: %v", err)
		}
	})
}
