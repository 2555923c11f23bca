package qpack

import (
	"os"
	"path/filepath"
	"testing"
)

// loadFieldLists reads a QIF file of the corpus as header field lists.
func loadFieldLists(tb testing.TB, name string) [][]HeaderField {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(interopDir(), "qifs", name))
	if err != nil {
		tb.Fatalf("reading the corpus: %v", err)
	}
	var lists [][]HeaderField
	for _, sec := range readQIF(data) {
		fields := make([]HeaderField, len(sec))
		for i, f := range sec {
			fields[i] = HeaderField{Name: f.Name, Value: f.Value}
		}
		lists = append(lists, fields)
	}
	return lists
}

// benchConfig is one way of encoding in the benchmarks.
type benchConfig struct {
	name     string
	capacity uint64 // the peer's table capacity; 0 is static table only
}

var benchConfigs = []benchConfig{{"static", 0}, {"dynamic4096", 4096}}

// encodeAll encodes lists on one connection whose peer acknowledges each
// section at once, and returns the sections, the encoder-stream bytes and
// the decoder-stream bytes in order.
func encodeAll(tb testing.TB, lists [][]HeaderField, capacity uint64) (
	sections [][]byte, encStreams [][]byte) {
	enc := NewEncoder(EncoderConfig{})
	enc.SetPeerSettings(capacity, 100)
	dec := NewDecoder(DecoderConfig{MaxTableCapacity: capacity, MaxBlockedStreams: 100})
	for i, fields := range lists {
		id := uint64(i) * 4
		sec, err := enc.EncodeSection(id, fields, nil)
		if err != nil {
			tb.Fatal(err)
		}
		es := enc.AppendEncoderStream(nil)
		if _, err := dec.WriteEncoderStream(es); err != nil {
			tb.Fatal(err)
		}
		if _, err := dec.DecodeSection(id, sec); err != nil {
			tb.Fatal(err)
		}
		if err := enc.WriteDecoderStream(dec.AppendDecoderStream(nil)); err != nil {
			tb.Fatal(err)
		}
		sections = append(sections, sec)
		encStreams = append(encStreams, es)
	}
	return sections, encStreams
}

// BenchmarkEncodeFBReq encodes the request lists of fb-req.qif, one
// connection per pass over the file, with every section acknowledged at
// once. It reports the compressed bytes per section and the encoder-stream
// bytes per section.
func BenchmarkEncodeFBReq(b *testing.B) {
	lists := loadFieldLists(b, "fb-req.qif")
	for _, c := range benchConfigs {
		b.Run(c.name, func(b *testing.B) {
			secs, es := encodeAll(b, lists, c.capacity)
			var secBytes, esBytes int
			for i := range secs {
				secBytes += len(secs[i])
				esBytes += len(es[i])
			}
			ack := make([]byte, 0, 16)
			var buf, esBuf []byte
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; {
				enc := NewEncoder(EncoderConfig{})
				enc.SetPeerSettings(c.capacity, 100)
				for i := 0; i < len(lists) && n < b.N; i, n = i+1, n+1 {
					id := uint64(i) * 4
					buf, _ = enc.EncodeSection(id, lists[i], buf[:0])
					esBuf = enc.AppendEncoderStream(esBuf[:0])
					if len(buf) > 2 && buf[0] != 0 {
						ack = appendSectionAck(ack[:0], id)
						if err := enc.WriteDecoderStream(ack); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.ReportMetric(float64(secBytes)/float64(len(secs)), "section-B/op")
			b.ReportMetric(float64(esBytes)/float64(len(secs)), "encstream-B/op")
		})
	}
}

// BenchmarkDecodeFBReq decodes the request lists of fb-req.qif as our
// encoder produced them, one connection per pass over the file.
func BenchmarkDecodeFBReq(b *testing.B) {
	lists := loadFieldLists(b, "fb-req.qif")
	for _, c := range benchConfigs {
		b.Run(c.name, func(b *testing.B) {
			secs, es := encodeAll(b, lists, c.capacity)
			var out []byte
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; {
				dec := NewDecoder(DecoderConfig{
					MaxTableCapacity: c.capacity, MaxBlockedStreams: 100})
				for i := 0; i < len(secs) && n < b.N; i, n = i+1, n+1 {
					if len(es[i]) > 0 {
						if _, err := dec.WriteEncoderStream(es[i]); err != nil {
							b.Fatal(err)
						}
					}
					if _, err := dec.DecodeSection(uint64(i)*4, secs[i]); err != nil {
						b.Fatal(err)
					}
					out = dec.AppendDecoderStream(out[:0])
				}
			}
		})
	}
}

// BenchmarkHuffmanDecode decodes the values of fb-req.qif, Huffman-coded;
// SetBytes counts the decoded bytes.
func BenchmarkHuffmanDecode(b *testing.B) {
	var encoded [][]byte
	total := 0
	for _, fields := range loadFieldLists(b, "fb-req.qif") {
		for _, f := range fields {
			encoded = append(encoded, appendHuffman(nil, f.Value))
			total += len(f.Value)
		}
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		for _, e := range encoded {
			var err error
			buf, err = appendHuffmanDecoded(buf[:0], e, 1<<20)
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkHuffmanEncode encodes the values of fb-req.qif.
func BenchmarkHuffmanEncode(b *testing.B) {
	var values []string
	total := 0
	for _, fields := range loadFieldLists(b, "fb-req.qif") {
		for _, f := range fields {
			values = append(values, f.Value)
			total += len(f.Value)
		}
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		for _, v := range values {
			buf = appendHuffman(buf[:0], v)
		}
	}
}
