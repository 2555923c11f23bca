package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzHeader parses arbitrary datagrams as packet headers. Whatever parses
// must be self-consistent and rebuild into a header that parses the same.
func FuzzHeader(f *testing.F) {
	for _, s := range []string{rfcClientInitialV1, rfcClientInitialV2, rfcServerInitialV1,
		rfcServerInitialV2, rfcRetryV1, rfcRetryV2} {
		b := mustHex(f, s)
		f.Add(append(b, make([]byte, 120)...), uint8(8), false)
	}
	f.Add(AppendVersionNegotiation(nil, []byte{1}, []byte{2}, []Version{Version1}, 0x40),
		uint8(0), false)
	f.Add(AppendShortHeader(nil, &ShortHeader{DCID: []byte{1, 2, 3, 4}, PacketNumberLen: 2}),
		uint8(4), true)
	f.Fuzz(func(t *testing.T, b []byte, cidLen uint8, grease bool) {
		h, err := ParseHeader(b, int(cidLen%(MaxConnIDLen+2)), grease)
		if errors.Is(err, ErrUnsupportedVersion) {
			if h.Version.IsSupported() || h.Version == 0 {
				t.Fatalf("unsupported version error for %v", h.Version)
			}
			return
		}
		if err != nil {
			return
		}
		if h.PNOffset > h.PacketLen || h.PacketLen > len(b) || h.PacketLen <= 0 {
			t.Fatalf("offsets out of range: %+v, len %d", h, len(b))
		}
		dcid, err := DestinationConnectionID(b, int(cidLen%(MaxConnIDLen+2)))
		if err != nil || !bytes.Equal(dcid, h.DCID) {
			t.Fatalf("DestinationConnectionID = %x, %v; header has %x", dcid, err, h.DCID)
		}
		switch h.Type {
		case PacketTypeVersionNegotiation:
			checkVersionNegotiationRebuild(t, b)
		case PacketTypeRetry:
			rebuilt := AppendRetry(nil, h.Version, h.DCID, h.SCID, h.Token)
			rebuilt = append(rebuilt, h.RetryTag...)
			if !bytes.Equal(rebuilt[1:], b[1:]) || rebuilt[0]&0xb0 != b[0]&0xb0 {
				t.Fatalf("Retry rebuilt as %x from %x", rebuilt, b)
			}
		case PacketType1RTT:
			if len(h.DCID) > MaxConnIDLen || h.PNOffset != 1+len(h.DCID) {
				t.Fatalf("short header %+v", h)
			}
		default:
			checkLongHeaderRebuild(t, b, h)
		}
	})
}

func checkVersionNegotiationRebuild(t *testing.T, b []byte) {
	dcid, scid, versions, err := ParseVersionNegotiation(b, nil)
	if err != nil {
		return // the version list may be malformed
	}
	rebuilt := AppendVersionNegotiation(nil, dcid, scid, versions, b[0])
	if !bytes.Equal(rebuilt, b) {
		t.Fatalf("Version Negotiation rebuilt as %x from %x", rebuilt, b)
	}
}

// checkLongHeaderRebuild rebuilds an Initial, 0-RTT or Handshake header from
// its parsed fields and parses it again.
func checkLongHeaderRebuild(t *testing.T, b []byte, h Header) {
	if len(h.DCID) > MaxConnIDLen || len(h.SCID) > MaxConnIDLen {
		t.Fatalf("connection ID over 20 bytes: %+v", h)
	}
	pnLen := PacketNumberLenOf(b[0])
	lh := LongHeader{Type: h.Type, Version: h.Version, DCID: h.DCID, SCID: h.SCID,
		Token: h.Token, PacketNumberLen: pnLen, LengthLen: 8, ClearFixedBit: b[0]&fixedBit == 0}
	rebuilt, lenOff := AppendLongHeader(nil, &lh)
	PutVarintN(rebuilt[lenOff:], h.Length, 8)
	// The header's packet number is part of Length; pad to the full length.
	rebuilt = append(rebuilt, make([]byte, max(0, int(h.Length)-pnLen))...)
	h2, err := ParseHeader(rebuilt, 0, true)
	if err != nil {
		if int(h.Length) < pnLen {
			return // too short to hold its own packet number; cannot rebuild
		}
		t.Fatalf("rebuilt header %x does not parse: %v", rebuilt, err)
	}
	if rebuilt[0]&0xf3 != b[0]&0xf3 {
		t.Fatalf("first byte %08b rebuilt as %08b", b[0], rebuilt[0])
	}
	h.PNOffset, h.PacketLen, h2.PNOffset, h2.PacketLen = 0, 0, 0, 0
	if diff := cmp.Diff(h, h2, headerCmp); diff != "" {
		t.Fatalf("rebuilt header mismatch (-orig +rebuilt):\n%s", diff)
	}
}

// maxFuzzPayload bounds the payloads FuzzFrames parses: larger than any
// packet on a 1500-byte path.
const maxFuzzPayload = 4096

// FuzzFrames parses arbitrary packet payloads. Every frame that parses must
// re-encode to Size bytes and parse back to the same frame.
func FuzzFrames(f *testing.F) {
	for _, fr := range sampleFrames() {
		f.Add(fr.Append(nil))
	}
	var payload []byte
	for _, fr := range sampleFrames() {
		payload = fr.Append(payload)
	}
	f.Add(payload)
	f.Add(mustHex(f, "020a0001020106"))
	f.Add(mustHex(f, "2401020304")) // RESET_STREAM_AT, reliable size above final size
	f.Fuzz(func(t *testing.T, b []byte) {
		// A packet payload is far below the fuzzer's 1 MB inputs, on which
		// every execution (and so minimization) would take a long time.
		if len(b) > maxFuzzPayload {
			b = b[:maxFuzzPayload]
		}
		ranges := make([]AckRange, 0, 4)
		for rest := b; len(rest) > 0; {
			fr, n, err := ParseFrame(rest, ranges)
			if err != nil {
				var te *TransportError
				if !errors.As(err, &te) || te.Code == NoError {
					t.Fatalf("error %v is not a transport error", err)
				}
				return
			}
			if n <= 0 || n > len(rest) {
				t.Fatalf("%T consumed %d of %d bytes", fr, n, len(rest))
			}
			checkFrameRoundTrip(t, fr)
			rest = rest[n:]
		}
	})
}

// checkFrameRoundTrip re-encodes a parsed frame, parses that and encodes it
// again: both encodings must match. Comparing bytes instead of structures
// keeps each execution cheap, which the fuzzer's minimization depends on.
func checkFrameRoundTrip(t *testing.T, fr Frame) {
	enc := fr.Append(nil)
	if len(enc) != fr.Size() {
		t.Fatalf("%T: Size() = %d, Append wrote %d", fr, fr.Size(), len(enc))
	}
	again, n, err := ParseFrame(enc, make([]AckRange, 0, 4))
	if err != nil || n != len(enc) {
		t.Fatalf("%T %+v: re-encoded %x does not parse: %v (n %d)", fr, fr, enc, err, n)
	}
	if enc2 := again.Append(nil); !bytes.Equal(enc, enc2) {
		t.Fatalf("%T round trip: %x became %x", fr, enc, enc2)
	}
}

// FuzzTransportParameters parses arbitrary transport parameter blocks.
// Whatever parses must validate, re-encode and parse back to the same value.
func FuzzTransportParameters(f *testing.F) {
	server := fullServerParams()
	f.Add(server.Append(nil), true)
	client := DefaultTransportParameters()
	client.InitialSourceConnectionID = []byte{1, 2}
	client.MaxDatagramFrameSize = 1200
	client.Extra = []TransportParameter{{ID: 27, Value: []byte{1}}}
	f.Add(client.Append(nil), false)
	// The legacy reset_stream_at ID, with and without a (forbidden) value.
	client.Extra = []TransportParameter{{ID: tpResetStreamAtLegacy, Value: []byte{}}}
	f.Add(client.Append(nil), false)
	client.Extra = []TransportParameter{{ID: tpResetStreamAtLegacy, Value: []byte{1}}}
	f.Add(client.Append(nil), false)
	f.Fuzz(func(t *testing.T, b []byte, fromServer bool) {
		sender := ClientSide
		if fromServer {
			sender = ServerSide
		}
		p, err := ParseTransportParameters(b, sender)
		if err != nil {
			var te *TransportError
			if !errors.As(err, &te) || te.Code != TransportParameterError {
				t.Fatalf("error %v is not TRANSPORT_PARAMETER_ERROR", err)
			}
			return
		}
		if err := p.Validate(sender); err != nil {
			t.Fatalf("parsed parameters do not validate: %v", err)
		}
		// Durations travel in milliseconds; huge idle timeouts saturate.
		if p.MaxIdleTimeout%1e6 != 0 {
			return
		}
		p2, err := ParseTransportParameters(p.Append(nil), sender)
		if err != nil {
			t.Fatalf("re-encoded parameters do not parse: %v", err)
		}
		if diff := cmp.Diff(p, p2, tpCmp); diff != "" {
			t.Fatalf("round trip mismatch (-first +second):\n%s", diff)
		}
	})
}

// FuzzPacketNumber checks DecodePacketNumber against the properties of RFC
// 9000, Appendix A.3: the result matches the truncated bits, lies in the
// window around the expected number, and recovers any number that
// PacketNumberLen would have chosen that length for.
func FuzzPacketNumber(f *testing.F) {
	f.Add(int64(0xa82f30ea), uint32(0x9b32), uint8(1), uint64(5))
	f.Add(int64(-1), uint32(0), uint8(0), uint64(0))
	f.Add(int64(MaxPacketNumber-1), uint32(0xffffffff), uint8(3), uint64(1))
	f.Fuzz(func(t *testing.T, largest int64, truncated uint32, n uint8, delta uint64) {
		length := int(n%4) + 1
		largest = max(-1, min(largest, int64(MaxPacketNumber)))
		mask := uint64(1)<<(8*length) - 1
		got := DecodePacketNumber(PacketNumber(largest), truncated, length)
		if got < 0 || uint64(got)&mask != uint64(truncated)&mask {
			t.Fatalf("decode(%d, %#x, %d) = %d", largest, truncated, length, got)
		}
		expected := largest + 1
		hwin := int64(mask+1) / 2
		if expected-hwin >= 0 && expected+hwin <= int64(MaxPacketNumber) &&
			(int64(got) <= expected-hwin || int64(got) > expected+hwin) {
			t.Fatalf("decode(%d, %#x, %d) = %d, outside the window", largest, truncated,
				length, got)
		}

		// A packet number sent with the length PacketNumberLen picks for it
		// decodes correctly at a receiver whose largest is at least the
		// sender's largest acknowledged.
		acked := PacketNumber(largest)
		pn := acked + 1 + PacketNumber(delta%(1<<31))
		if pn > MaxPacketNumber {
			return
		}
		pnLen := PacketNumberLen(pn, acked)
		tr, _ := ReadPacketNumber(AppendPacketNumber(nil, pn, pnLen), pnLen)
		if dec := DecodePacketNumber(acked, tr, pnLen); dec != pn {
			t.Fatalf("pn %d acked %d len %d decoded as %d", pn, acked, pnLen, dec)
		}
	})
}

// FuzzVarint checks that decoding and re-encoding agree.
func FuzzVarint(f *testing.F) {
	f.Add([]byte{0x25})
	f.Add(mustHex(f, "c2197c5eff14e88c"))
	f.Add([]byte{0x40, 0x25})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n := ConsumeVarint(b)
		if n < 0 {
			if len(b) > 0 && len(b) >= 1<<(b[0]>>6) {
				t.Fatalf("ConsumeVarint(%x) reported truncation", b)
			}
			return
		}
		enc := AppendVarint(nil, v)
		if len(enc) != VarintLen(v) || len(enc) > n {
			t.Fatalf("%d encoded in %d bytes, read from %d", v, len(enc), n)
		}
		if w, m := ConsumeVarint(AppendVarintN(nil, v, n)); w != v || m != n {
			t.Fatalf("fixed-width round trip of %d: %d, %d", v, w, m)
		}
	})
}

// FuzzAppendStreamHeader checks that the STREAM header built for any space
// fits it together with the data it asks for, and parses back.
func FuzzAppendStreamHeader(f *testing.F) {
	f.Add(uint64(4), uint64(0), uint16(10), true, uint16(100))
	f.Add(uint64(1<<40), uint64(1<<50), uint16(1500), false, uint16(1200))
	f.Add(uint64(0), uint64(70), uint16(0), true, uint16(4))
	f.Fuzz(func(t *testing.T, id, off uint64, dataLen uint16, fin bool, space uint16) {
		id, off = id&MaxVarint, off&MaxVarint
		b, n, hasLength := AppendStreamHeader(nil, id, off, int(dataLen), fin, int(space))
		if n < 0 {
			if len(b) != 0 {
				t.Fatalf("failed call wrote %x", b)
			}
			return
		}
		if n > int(dataLen) || len(b)+n > int(space) {
			t.Fatalf("n = %d of %d, frame %d bytes in space %d", n, dataLen, len(b)+n, space)
		}
		b = append(b, make([]byte, n)...)
		fr, m, err := ParseStream(b)
		if err != nil || m != len(b) {
			t.Fatalf("ParseStream(%x): %v, n %d", b, err, m)
		}
		if fr.StreamID != id || fr.Offset != off || len(fr.Data) != n ||
			fr.OmitLength == hasLength || fr.Fin != (fin && n == int(dataLen)) {
			t.Fatalf("parsed %+v from id %d off %d n %d fin %v", fr, id, off, n, fin)
		}
	})
}
