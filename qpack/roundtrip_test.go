package qpack

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// encodeInteropFile encodes the sections of a QIF file in the offline
// interop format, as an encoder whose peer allows the given table capacity
// and blocked streams. With ack set, every section is acknowledged as soon
// as it is written, by a decoder that receives everything in order; without
// it the encoder never hears from the decoder. When blocking is allowed the
// section goes out before the encoder-stream data it needs, so that the
// decoding side has to hold it.
func encodeInteropFile(sections [][]qifField, capacity, blocked uint64,
	ack bool) ([]byte, error) {
	enc := NewEncoder(EncoderConfig{})
	enc.SetPeerSettings(capacity, blocked)
	peer := NewDecoder(DecoderConfig{
		MaxTableCapacity:    capacity,
		MaxBlockedStreams:   blocked,
		MaxFieldSectionSize: 1 << 20,
	})
	var out, section, encStream, decStream []byte
	var fields []HeaderField
	for i, sec := range sections {
		id := uint64(i + 1)
		fields = fields[:0]
		for _, f := range sec {
			fields = append(fields, HeaderField{Name: f.Name, Value: f.Value})
		}
		var err error
		section, err = enc.EncodeSection(id, fields, section[:0])
		if err != nil {
			return nil, err
		}
		encStream = enc.AppendEncoderStream(encStream[:0])
		if blocked > 0 {
			out = appendInteropBlock(out, id, section)
			if len(encStream) > 0 {
				out = appendInteropBlock(out, 0, encStream)
			}
		} else {
			if len(encStream) > 0 {
				out = appendInteropBlock(out, 0, encStream)
			}
			out = appendInteropBlock(out, id, section)
		}
		if !ack {
			continue
		}
		if _, err := peer.WriteEncoderStream(encStream); err != nil {
			return nil, fmt.Errorf("peer: %w", err)
		}
		if _, err := peer.DecodeSection(id, section); err != nil {
			return nil, fmt.Errorf("peer: stream %d: %w", id, err)
		}
		decStream = peer.AppendDecoderStream(decStream[:0])
		if err := enc.WriteDecoderStream(decStream); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TestEncoderRoundTrip encodes every QIF of the corpus with several
// settings and decodes the result back. When QPACK_INTEROP_OUT names a
// directory, the encoded files are also written there, laid out like the
// corpus (encoded/qpack-05/peregrine/NAME.out.TABLE.BLOCKED.ACK), for other
// implementations to decode.
func TestEncoderRoundTrip(t *testing.T) {
	qifs, err := filepath.Glob(filepath.Join(interopDir(), "qifs", "*.qif"))
	if err != nil || len(qifs) == 0 {
		t.Fatalf("no QIF files in %s: %v", interopDir(), err)
	}
	for _, path := range qifs {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := readQIF(data)
		name := strings.TrimSuffix(filepath.Base(path), ".qif")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			roundTripQIF(t, name, want)
		})
	}
}

// roundTripQIF encodes and decodes sections with every combination of
// settings the test covers.
func roundTripQIF(t *testing.T, qif string, want [][]qifField) {
	outDir := os.Getenv("QPACK_INTEROP_OUT")
	if outDir != "" {
		outDir = filepath.Join(outDir, "encoded", "qpack-05", "peregrine")
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, capacity := range []uint64{0, 256, 4096} {
		for _, blocked := range []uint64{0, 100} {
			for ack := range 2 {
				name := fmt.Sprintf("%s.out.%d.%d.%d", qif, capacity, blocked, ack)
				encoded, err := encodeInteropFile(want, capacity, blocked, ack == 1)
				if err != nil {
					t.Errorf("%s: encoding: %v", name, err)
					continue
				}
				if outDir != "" {
					err := os.WriteFile(filepath.Join(outDir, name), encoded, 0o644)
					if err != nil {
						t.Fatal(err)
					}
				}
				got, nblocked, err := decodeInteropFileCounting(encoded, capacity, blocked)
				if err != nil {
					t.Errorf("%s: decoding: %v", name, err)
					continue
				}
				// Without acknowledgments every reference to the dynamic
				// table risks blocking, and sections go before the inserts.
				if ack == 0 && blocked > 0 && capacity >= 256 && nblocked == 0 {
					t.Errorf("%s: no section was ever blocked", name)
				}
				if !sectionsEqual(want, got) {
					t.Errorf("%s: (-want +got):\n%s", name, cmp.Diff(want, got))
				}
			}
		}
	}
}
