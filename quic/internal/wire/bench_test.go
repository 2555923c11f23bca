package wire

import (
	"bytes"
	"testing"
)

// benchPayloadSize is the plaintext payload of a full-size packet on a
// 1500-byte path.
const benchPayloadSize = 1350

// streamPayload returns a 1350-byte payload: an ACK frame and STREAM frames
// with Length fields, the last one without.
func streamPayload(tb testing.TB) []byte {
	b := AckFrame{Ranges: []AckRange{{900, 1000}, {700, 850}, {10, 600}}, AckDelay: 40}.
		Append(nil)
	data := bytes.Repeat([]byte{'s'}, 200)
	for id := uint64(0); len(b) < benchPayloadSize; id += 4 {
		var n int
		b, n, _ = AppendStreamHeader(b, id, id<<20, len(data), false, benchPayloadSize-len(b))
		if n < 0 {
			break
		}
		b = append(b, data[:n]...)
	}
	if len(b) != benchPayloadSize {
		tb.Fatalf("payload of %d bytes", len(b))
	}
	return b
}

// ackPayload returns a 1350-byte payload of ACK frames with many ranges each.
func ackPayload(tb testing.TB) []byte {
	var ranges []AckRange
	for i := range 30 {
		pn := PacketNumber(1_000_000 - 50*i)
		ranges = append(ranges, AckRange{pn - 20, pn})
	}
	ack := AckFrame{Ranges: ranges, AckDelay: 100, ECN: true, ECT0: 5000}
	var b []byte
	for len(b)+ack.Size() <= benchPayloadSize {
		b = ack.Append(b)
	}
	return AppendPadding(b, benchPayloadSize-len(b))
}

// parsePayload is the receive loop a connection runs over a payload, with the
// typed parsers. It returns the number of STREAM bytes and ACK ranges seen.
func parsePayload(b []byte, ranges []AckRange) (streamBytes, ackRanges int, err error) {
	for len(b) > 0 {
		t, _, err := ConsumeFrameType(b)
		if err != nil {
			return 0, 0, err
		}
		var n int
		switch {
		case t == FrameTypePadding:
			n = ParsePadding(b)
		case t.IsStream():
			var f StreamFrame
			f, n, err = ParseStream(b)
			streamBytes += len(f.Data)
		case t == FrameTypeAck || t == FrameTypeAckECN:
			var f AckFrame
			f, n, err = ParseAck(b, ranges)
			ackRanges += len(f.Ranges)
		default:
			_, n, err = ParseFrame(b, ranges)
		}
		if err != nil {
			return 0, 0, err
		}
		b = b[n:]
	}
	return streamBytes, ackRanges, nil
}

func BenchmarkParseStreamPayload(b *testing.B) {
	payload := streamPayload(b)
	ranges := make([]AckRange, 0, DefaultMaxAckRanges)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, _, err := parsePayload(payload, ranges); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAckPayload(b *testing.B) {
	payload := ackPayload(b)
	ranges := make([]AckRange, 0, DefaultMaxAckRanges)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, _, err := parsePayload(payload, ranges); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendFrames builds a packet payload of the frames a sender
// writes most: ACK, STREAM, MAX_DATA, MAX_STREAM_DATA, DATAGRAM, PING.
func BenchmarkAppendFrames(b *testing.B) {
	buf := make([]byte, 0, 1500)
	data := bytes.Repeat([]byte{'d'}, 1000)
	ack := AckFrame{Ranges: []AckRange{{900, 1000}, {700, 850}, {10, 600}}, AckDelay: 40}
	b.ReportAllocs()
	for b.Loop() {
		p := ack.Append(buf[:0])
		p = MaxDataFrame{Max: 1 << 30}.Append(p)
		p = MaxStreamDataFrame{StreamID: 4, Max: 1 << 22}.Append(p)
		p = DatagramFrame{Data: data[:100]}.Append(p)
		p = PingFrame{}.Append(p)
		p, n, _ := AppendStreamHeader(p, 8, 1<<20, len(data), true, benchPayloadSize-len(p))
		p = append(p, data[:n]...)
		if len(p) == 0 {
			b.Fatal("empty payload")
		}
	}
}

// BenchmarkAppendStreamFrame appends a full STREAM frame through its struct.
func BenchmarkAppendStreamFrame(b *testing.B) {
	buf := make([]byte, 0, 1500)
	f := StreamFrame{StreamID: 4, Offset: 1 << 20, Data: bytes.Repeat([]byte{'d'}, 1200)}
	b.ReportAllocs()
	for b.Loop() {
		if p := f.Append(buf[:0]); len(p) != f.Size() {
			b.Fatal("size mismatch")
		}
	}
}

func BenchmarkParseHeader(b *testing.B) {
	long := append(mustHex(b, rfcClientInitialV1), make([]byte, 1178)...)
	short := AppendShortHeader(make([]byte, 0, 1400), &ShortHeader{DCID: make([]byte, 8),
		PacketNumberLen: 2})
	short = append(short, make([]byte, 1300)...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseHeader(long, 8, false); err != nil {
			b.Fatal(err)
		}
		if _, err := ParseHeader(short, 8, false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendHeaders(b *testing.B) {
	buf := make([]byte, 0, 1500)
	lh := LongHeader{Type: PacketTypeHandshake, Version: Version1, DCID: make([]byte, 8),
		SCID: make([]byte, 8), PacketNumber: 7, PacketNumberLen: 2}
	sh := ShortHeader{DCID: make([]byte, 8), PacketNumber: 1 << 20, PacketNumberLen: 3}
	b.ReportAllocs()
	for b.Loop() {
		p, off := AppendLongHeader(buf[:0], &lh)
		PutVarintN(p[off:], 1200, 2)
		p = AppendShortHeader(p, &sh)
		if len(p) == 0 {
			b.Fatal("empty")
		}
	}
}

// TestParseAllocs pins the zero-allocation guarantee of the hot parsers and
// builders, so that a regression fails the ordinary test run too.
func TestParseAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are checked in full runs")
	}
	stream, acks := streamPayload(t), ackPayload(t)
	ranges := make([]AckRange, 0, DefaultMaxAckRanges)
	buf := make([]byte, 0, 1500)
	data := make([]byte, 1000)
	crypto := CryptoFrame{Offset: 1000, Data: data[:500]}.Append(nil)
	dgram := DatagramFrame{Data: data[:500]}.Append(nil)
	checks := map[string]func(){
		"parse CRYPTO":         func() { ParseCrypto(crypto) },
		"parse DATAGRAM":       func() { ParseDatagram(dgram) },
		"parse STREAM payload": func() { parsePayload(stream, ranges) },
		"parse ACK payload":    func() { parsePayload(acks, ranges) },
		"append frames": func() {
			p, _, _ := AppendStreamHeader(buf[:0], 4, 99, len(data), true, 1300)
			p = AckFrame{Ranges: ranges[:1]}.Append(p)
			_ = DatagramFrame{Data: data[:10]}.Append(p)
		},
	}
	for name, fn := range checks {
		if avg := testing.AllocsPerRun(50, fn); avg != 0 {
			t.Errorf("%s: %v allocations, want 0", name, avg)
		}
	}
	if n, a, err := parsePayload(stream, ranges); err != nil || n == 0 || a != 3 {
		t.Errorf("stream payload: %d bytes, %d ranges, %v", n, a, err)
	}
	if _, a, err := parsePayload(acks, ranges); err != nil || a == 0 || a%30 != 0 {
		t.Errorf("ACK payload: %d ranges, %v", a, err)
	}
}

// BenchmarkResetStreamAtRoundTrip appends and parses a RESET_STREAM_AT frame;
// neither step may allocate.
func BenchmarkResetStreamAtRoundTrip(b *testing.B) {
	buf := make([]byte, 0, 64)
	f := ResetStreamAtFrame{StreamID: 1 << 20, ErrorCode: 0x52e4a40fa8db, FinalSize: 1 << 30,
		ReliableSize: 9}
	b.ReportAllocs()
	for b.Loop() {
		p := f.Append(buf[:0])
		got, n, err := ParseResetStreamAt(p)
		if err != nil || n != len(p) || got != f {
			b.Fatalf("round trip: %+v %d %v", got, n, err)
		}
	}
}
