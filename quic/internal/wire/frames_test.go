package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sampleFrames holds one or more frames of every type, with values that need
// every varint width.
func sampleFrames() []Frame {
	token := [16]byte{0: 1, 15: 0xff}
	return []Frame{
		PaddingFrame{Len: 5},
		PingFrame{},
		AckFrame{Ranges: []AckRange{{Smallest: 1000, Largest: 1000}}, AckDelay: 0},
		AckFrame{Ranges: []AckRange{{90, 100}, {50, 80}, {48, 48}, {0, 10}}, AckDelay: 1 << 20},
		AckFrame{Ranges: []AckRange{{1 << 40, 1<<40 + 5}}, AckDelay: 7, ECN: true,
			ECT0: 1, ECT1: 1 << 33, ECNCE: 300},
		ResetStreamFrame{StreamID: 4, ErrorCode: 0x10c, FinalSize: 1 << 31},
		ResetStreamAtFrame{StreamID: 5, ErrorCode: 0x52e4a40fa8db, FinalSize: 1 << 40,
			ReliableSize: 70},
		ResetStreamAtFrame{StreamID: 1 << 20, FinalSize: 9, ReliableSize: 9},
		StopSendingFrame{StreamID: MaxVarint, ErrorCode: 0},
		CryptoFrame{Offset: 0, Data: []byte("hello")},
		CryptoFrame{Offset: 70000, Data: bytes.Repeat([]byte{7}, 300)},
		NewTokenFrame{Token: []byte{1, 2, 3}},
		StreamFrame{StreamID: 0, Data: []byte("x")},
		StreamFrame{StreamID: 3, Offset: 1 << 20, Data: []byte("data"), Fin: true},
		StreamFrame{StreamID: 8, Offset: 5, Fin: true},
		MaxDataFrame{Max: 1 << 50},
		MaxStreamDataFrame{StreamID: 2, Max: 65536},
		MaxStreamsFrame{Bidi: true, Max: 100},
		MaxStreamsFrame{Bidi: false, Max: 1 << 60},
		DataBlockedFrame{Limit: 12345},
		StreamDataBlockedFrame{StreamID: 6, Limit: 1},
		StreamsBlockedFrame{Bidi: true, Limit: 1 << 60},
		StreamsBlockedFrame{Bidi: false, Limit: 3},
		NewConnectionIDFrame{SequenceNumber: 5, RetirePriorTo: 5,
			ConnectionID: bytes.Repeat([]byte{0xc1}, 20), StatelessResetToken: token},
		NewConnectionIDFrame{SequenceNumber: 1, ConnectionID: []byte{9}},
		RetireConnectionIDFrame{SequenceNumber: 70},
		PathChallengeFrame{Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}},
		PathResponseFrame{Data: [8]byte{8, 7, 6, 5, 4, 3, 2, 1}},
		ConnectionCloseFrame{ErrorCode: uint64(FrameEncodingError),
			FrameType: FrameTypeStream | 3, Reason: []byte("bad frame")},
		ConnectionCloseFrame{App: true, ErrorCode: 0x100, Reason: []byte{}},
		HandshakeDoneFrame{},
		DatagramFrame{Data: []byte("dgram")},
		DatagramFrame{Data: []byte{}},
		// Frames without Length fields run to the end of the packet, so they
		// come last.
		StreamFrame{StreamID: 1 << 40, Offset: 1, Data: []byte("tail"), OmitLength: true},
	}
}

var frameCmp = cmp.Options{cmpopts.EquateEmpty()}

// TestFrameRoundTrip appends each sample frame, checks Size and Type, and
// parses it back with ParseFrame, alone and inside a packet of all frames.
func TestFrameRoundTrip(t *testing.T) {
	frames := sampleFrames()
	frames = append(frames, DatagramFrame{Data: []byte("last"), OmitLength: true})
	for _, f := range frames {
		b := f.Append([]byte{0xaa})[1:]
		if len(b) != f.Size() {
			t.Errorf("%T: Size() = %d, Append wrote %d", f, f.Size(), len(b))
		}
		if FrameType(b[0]) != f.Type() && f.Size() > 0 {
			t.Errorf("%T: Type() = %v, wire type %#x", f, f.Type(), b[0])
		}
		got, n, err := ParseFrame(b, nil)
		if err != nil {
			t.Errorf("%T: ParseFrame(%x): %v", f, b, err)
			continue
		}
		if n != len(b) {
			t.Errorf("%T: ParseFrame consumed %d of %d bytes", f, n, len(b))
		}
		if diff := cmp.Diff(f, got, frameCmp); diff != "" {
			t.Errorf("%T mismatch (-want +got):\n%s", f, diff)
		}
	}

	// All frames in one payload, parsed in sequence.
	want := sampleFrames()
	var payload []byte
	for _, f := range want {
		payload = f.Append(payload)
	}
	var got []Frame
	for rest := payload; len(rest) > 0; {
		f, n, err := ParseFrame(rest, make([]AckRange, 0, 8))
		if err != nil {
			t.Fatalf("frame %d: %v", len(got), err)
		}
		got = append(got, f)
		rest = rest[n:]
	}
	if diff := cmp.Diff(want, got, frameCmp); diff != "" {
		t.Errorf("payload mismatch (-want +got):\n%s", diff)
	}
}

// TestParseAliasesInput checks that STREAM, CRYPTO and DATAGRAM payloads alias
// the packet instead of being copied.
func TestParseAliasesInput(t *testing.T) {
	b := StreamFrame{StreamID: 1, Data: []byte("abc")}.Append(nil)
	f, _, err := ParseStream(b)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] = 'z'
	if string(f.Data) != "abz" {
		t.Errorf("STREAM data %q does not alias the packet", f.Data)
	}
	b = DatagramFrame{Data: []byte("abc")}.Append(nil)
	d, _, _ := ParseDatagram(b)
	b[len(b)-1] = 'z'
	if string(d.Data) != "abz" {
		t.Errorf("DATAGRAM data %q does not alias the packet", d.Data)
	}
	b = CryptoFrame{Data: []byte("abc")}.Append(nil)
	c, _, _ := ParseCrypto(b)
	b[len(b)-1] = 'z'
	if string(c.Data) != "abz" {
		t.Errorf("CRYPTO data %q does not alias the packet", c.Data)
	}
}

// TestParseFrameErrors feeds malformed frames and checks the error code.
func TestParseFrameErrors(t *testing.T) {
	h := func(s string) []byte { return mustHex(t, s) }
	tests := []struct {
		name string
		b    []byte
		code TransportErrorCode
		ft   FrameType
	}{
		{"unknown type", h("1f"), FrameEncodingError, 0x1f},
		{"unknown 2-byte type", h("4040"), FrameEncodingError, 0x40},
		{"non-minimal PING", h("4001"), ProtocolViolation, FrameTypePing},
		{"truncated type", h("40"), FrameEncodingError, 0},
		{"ACK truncated", h("02050000"), FrameEncodingError, FrameTypeAck},
		{"ACK first range below 0", h("0205000006"), FrameEncodingError, FrameTypeAck},
		{"ACK gap below 0", h("020a0001020700"), FrameEncodingError, FrameTypeAck},
		{"ACK range below 0", h("020a0001020106"), FrameEncodingError, FrameTypeAck},
		{"ACK range reaching 0", h("020a0001020105"), 0, 0},
		{"ACK count past end", h("020a00050101"), FrameEncodingError, FrameTypeAck},
		{"ACK_ECN counts missing", h("030a0000000102"), FrameEncodingError, FrameTypeAckECN},
		{"RESET_STREAM truncated", h("040102"), FrameEncodingError, FrameTypeResetStream},
		{"RESET_STREAM_AT truncated", h("24010203"), FrameEncodingError,
			FrameTypeResetStreamAt},
		{"RESET_STREAM_AT reliable above final", h("2401020304"), FrameEncodingError,
			FrameTypeResetStreamAt},
		{"RESET_STREAM_AT reliable equals final", h("2401020303"), 0, 0},
		{"RESET_STREAM_AT non-minimal type", h("40240102030304"), ProtocolViolation,
			FrameTypeResetStreamAt},
		{"STOP_SENDING truncated", h("0501"), FrameEncodingError, FrameTypeStopSending},
		{"CRYPTO length past end", h("060005616263"), FrameEncodingError, FrameTypeCrypto},
		{"CRYPTO offset overflow", h("06ffffffffffffffff0161"), FrameEncodingError,
			FrameTypeCrypto},
		{"NEW_TOKEN empty", h("0700"), FrameEncodingError, FrameTypeNewToken},
		{"NEW_TOKEN past end", h("070301"), FrameEncodingError, FrameTypeNewToken},
		{"STREAM length past end", h("0a010461"), FrameEncodingError, 0x0a},
		{"STREAM offset overflow", h("0e01ffffffffffffffff0161"), FrameEncodingError, 0x0e},
		{"STREAM offset at max, no data", h("0c01ffffffffffffffff"), 0, 0},
		{"STREAM offset overflow no length", h("0c01fffffffffffffffe6162"),
			FrameEncodingError, 0x0c},
		{"STREAM id truncated", h("08"), FrameEncodingError, 0x08},
		{"MAX_DATA truncated", h("1040"), FrameEncodingError, FrameTypeMaxData},
		{"MAX_STREAM_DATA truncated", h("1101"), FrameEncodingError, FrameTypeMaxStreamData},
		{"MAX_STREAMS over 2^60", h("12d000000000000001"), FrameEncodingError,
			FrameTypeMaxStreamsBidi},
		{"MAX_STREAMS uni over 2^60", h("13ffffffffffffffff"), FrameEncodingError,
			FrameTypeMaxStreamsUni},
		{"MAX_STREAMS at 2^60", h("12d000000000000000"), 0, 0},
		{"STREAMS_BLOCKED over 2^60", h("17d000000000000001"), FrameEncodingError,
			FrameTypeStreamsBlockedUni},
		{"DATA_BLOCKED truncated", h("14"), FrameEncodingError, FrameTypeDataBlocked},
		{"STREAM_DATA_BLOCKED truncated", h("1501"), FrameEncodingError,
			FrameTypeStreamDataBlocked},
		{"NEW_CONNECTION_ID length 0", h("18010000" + zeros(16)), FrameEncodingError,
			FrameTypeNewConnectionID},
		{"NEW_CONNECTION_ID length 21", h("180100" + "15" + zeros(21+16)),
			FrameEncodingError, FrameTypeNewConnectionID},
		{"NEW_CONNECTION_ID retire above seq", h("18010201aa" + zeros(16)),
			FrameEncodingError, FrameTypeNewConnectionID},
		{"NEW_CONNECTION_ID token short", h("18010001aa" + zeros(15)), FrameEncodingError,
			FrameTypeNewConnectionID},
		{"RETIRE_CONNECTION_ID truncated", h("19"), FrameEncodingError,
			FrameTypeRetireConnectionID},
		{"PATH_CHALLENGE short", h("1a01020304050607"), FrameEncodingError,
			FrameTypePathChallenge},
		{"PATH_RESPONSE short", h("1b"), FrameEncodingError, FrameTypePathResponse},
		{"CONNECTION_CLOSE reason past end", h("1c07000561"), FrameEncodingError,
			FrameTypeConnectionClose},
		{"CONNECTION_CLOSE frame type missing", h("1c07"), FrameEncodingError,
			FrameTypeConnectionClose},
		{"CONNECTION_CLOSE app reason cut", h("1d0002ff"), FrameEncodingError,
			FrameTypeConnectionCloseApp},
		{"DATAGRAM length past end", h("310561"), FrameEncodingError, FrameTypeDatagramLen},
		{"DATAGRAM length truncated", h("3140"), FrameEncodingError, FrameTypeDatagramLen},
	}
	for _, tt := range tests {
		_, _, err := ParseFrame(tt.b, nil)
		if tt.code == 0 {
			if err != nil {
				t.Errorf("%s: unexpected error %v", tt.name, err)
			}
			continue
		}
		var te *TransportError
		if !errors.As(err, &te) {
			t.Errorf("%s: err = %v, want a *TransportError", tt.name, err)
			continue
		}
		if te.Code != tt.code || te.FrameType != tt.ft {
			t.Errorf("%s: got %v in %v, want %v in %v", tt.name, te.Code, te.FrameType,
				tt.code, tt.ft)
		}
	}
}

func zeros(n int) string { return string(bytes.Repeat([]byte("00"), n)) }

// TestTypedParserRejectsOtherType makes sure a typed parser called on the
// wrong frame reports an error instead of misreading it.
func TestTypedParserRejectsOtherType(t *testing.T) {
	ping := []byte{0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if _, _, err := ParseStream(ping); err == nil {
		t.Error("ParseStream accepted PING")
	}
	if _, _, err := ParseAck(ping, nil); err == nil {
		t.Error("ParseAck accepted PING")
	}
	if _, _, err := ParseDatagram(nil); err == nil {
		t.Error("ParseDatagram accepted an empty buffer")
	}
}

// TestParseAckRangeCap checks the defined action when a frame has more ranges
// than the caller's slice holds: the highest ranges are kept, the rest are
// validated and dropped, and the slice is not grown.
func TestParseAckRangeCap(t *testing.T) {
	var ranges []AckRange
	for i := range 100 {
		pn := PacketNumber(10000 - 10*i)
		ranges = append(ranges, AckRange{pn - 3, pn})
	}
	b := AckFrame{Ranges: ranges}.Append(nil)

	buf := make([]AckRange, 0, 10)
	f, n, err := ParseAck(b, buf)
	if err != nil || n != len(b) {
		t.Fatalf("ParseAck: %v, n = %d of %d", err, n, len(b))
	}
	if !f.Truncated || len(f.Ranges) != 10 || cap(f.Ranges) != 10 {
		t.Fatalf("truncated %v, %d ranges, cap %d", f.Truncated, len(f.Ranges), cap(f.Ranges))
	}
	if &f.Ranges[0] != &buf[:1][0] {
		t.Error("ParseAck did not reuse the caller's slice")
	}
	if diff := cmp.Diff(ranges[:10], f.Ranges); diff != "" {
		t.Errorf("kept ranges (-want +got):\n%s", diff)
	}

	f, _, err = ParseAck(b, nil)
	if err != nil || len(f.Ranges) != DefaultMaxAckRanges || !f.Truncated {
		t.Errorf("nil slice: %v, %d ranges", err, len(f.Ranges))
	}
	if f.Largest() != 10000 {
		t.Errorf("Largest() = %d", f.Largest())
	}

	// A bad range beyond the cap is still an error.
	bad := AckFrame{Ranges: append(ranges[:len(ranges):len(ranges)], AckRange{0, 2})}
	b = bad.Append(nil)
	b[len(b)-1] = 5 // the last range, {0, 2}, now reaches down to -3
	if _, _, err := ParseAck(b, buf); err == nil {
		t.Error("ParseAck accepted a range below 0 past the cap")
	}
}

func TestAckDelay(t *testing.T) {
	d := AckDelayDuration(EncodeAckDelay(25000*1000, 3), 3) // 25 ms
	if d != 25000*1000 {
		t.Errorf("round trip of 25ms = %v", d)
	}
	if got := AckDelayDuration(MaxVarint, 20); got <= 0 {
		t.Errorf("huge ACK delay = %v, want saturation", got)
	}
	if EncodeAckDelay(-1, 3) != 0 {
		t.Error("negative delay not encoded as 0")
	}
}

func TestConsumeFrameType(t *testing.T) {
	for _, f := range sampleFrames() {
		b := f.Append(nil)
		if len(b) == 0 {
			continue
		}
		typ, n, err := ConsumeFrameType(b)
		if err != nil || n != 1 || typ != f.Type() {
			t.Errorf("%T: ConsumeFrameType = %v, %d, %v", f, typ, n, err)
		}
	}
}

// TestFrameAllowed checks RFC 9000, Table 3 and RFC 9221, Section 4.
func TestFrameAllowed(t *testing.T) {
	// Letters: I Initial, H Handshake, 0 0-RTT, 1 1-RTT.
	tests := []struct {
		t    FrameType
		pkts string
	}{
		{FrameTypePadding, "IH01"}, {FrameTypePing, "IH01"},
		{FrameTypeAck, "IH1"}, {FrameTypeAckECN, "IH1"},
		{FrameTypeResetStream, "01"}, {FrameTypeStopSending, "01"},
		{FrameTypeCrypto, "IH1"}, {FrameTypeNewToken, "1"},
		{FrameTypeStream, "01"}, {FrameTypeStreamMax, "01"},
		{FrameTypeMaxData, "01"}, {FrameTypeMaxStreamData, "01"},
		{FrameTypeMaxStreamsBidi, "01"}, {FrameTypeMaxStreamsUni, "01"},
		{FrameTypeDataBlocked, "01"}, {FrameTypeStreamDataBlocked, "01"},
		{FrameTypeStreamsBlockedBidi, "01"}, {FrameTypeStreamsBlockedUni, "01"},
		{FrameTypeNewConnectionID, "01"}, {FrameTypeRetireConnectionID, "01"},
		{FrameTypePathChallenge, "01"}, {FrameTypePathResponse, "1"},
		{FrameTypeConnectionClose, "IH01"}, {FrameTypeConnectionCloseApp, "01"},
		{FrameTypeHandshakeDone, "1"},
		{FrameTypeDatagram, "01"}, {FrameTypeDatagramLen, "01"},
		{FrameTypeResetStreamAt, "01"},
		{0x1f, ""}, {0x23, ""}, {0x25, ""}, {0x2f, ""},
	}
	pts := map[byte]PacketType{'I': PacketTypeInitial, 'H': PacketTypeHandshake,
		'0': PacketType0RTT, '1': PacketType1RTT}
	for _, tt := range tests {
		for c, pt := range pts {
			want := bytes.IndexByte([]byte(tt.pkts), c) >= 0
			if got := FrameAllowed(tt.t, pt); got != want {
				t.Errorf("FrameAllowed(%v, %v) = %v, want %v", tt.t, pt, got, want)
			}
		}
		for _, pt := range []PacketType{PacketTypeRetry, PacketTypeVersionNegotiation,
			PacketTypeInvalid, 200} {
			if FrameAllowed(tt.t, pt) {
				t.Errorf("FrameAllowed(%v, %v) = true", tt.t, pt)
			}
		}
	}
}

func TestFrameTypeProperties(t *testing.T) {
	for _, tt := range []struct {
		t                FrameType
		name             string
		elicits, probing bool
	}{
		{FrameTypeAck, "ACK", false, false},
		{FrameTypePadding, "PADDING", false, true},
		{FrameTypeConnectionClose, "CONNECTION_CLOSE", false, false},
		{FrameTypeStream | 7, "STREAM", true, false},
		{FrameTypePathChallenge, "PATH_CHALLENGE", true, true},
		{FrameTypeDatagram, "DATAGRAM", true, false},
		{FrameTypeResetStreamAt, "RESET_STREAM_AT", true, false},
		{0x40, "0x40", true, false},
	} {
		if tt.t.String() != tt.name || tt.t.IsAckEliciting() != tt.elicits ||
			tt.t.IsProbing() != tt.probing {
			t.Errorf("%#x: %q eliciting %v probing %v", uint64(tt.t), tt.t.String(),
				tt.t.IsAckEliciting(), tt.t.IsProbing())
		}
	}
}
