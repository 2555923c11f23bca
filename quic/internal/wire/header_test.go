package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Unprotected headers and Retry packets of RFC 9001, Appendix A and RFC 9369,
// Appendix A.
const (
	rfcClientInitialV1 = "c300000001088394c8f03e5157080000449e00000002"
	rfcClientInitialV2 = "d36b3343cf088394c8f03e5157080000449e00000002"
	rfcServerInitialV1 = "c1000000010008f067a5502a4262b50040750001"
	rfcServerInitialV2 = "d16b3343cf0008f067a5502a4262b50040750001"
	rfcRetryV1         = "ff000000010008f067a5502a4262b5746f6b656e" +
		"04a265ba2eff4d829058fb3f0f2496ba"
	rfcRetryV2 = "cf6b3343cf0008f067a5502a4262b5746f6b656e" +
		"c8646ce8bfe33952d955543665dcc7b6"
	rfcODCID = "8394c8f03e515708"
	rfcSCID  = "f067a5502a4262b5"
)

// headerCmp compares headers, treating nil and empty byte slices alike.
var headerCmp = cmpopts.EquateEmpty()

// TestParseHeaderRFCVectors parses the RFC's Initial headers, padded to the
// length their Length field announces, followed by another packet as in a
// coalesced datagram.
func TestParseHeaderRFCVectors(t *testing.T) {
	tests := []struct {
		name    string
		hdr     string
		version Version
		dcid    string
		scid    string
		length  uint64
		pnOff   int
		pnLen   int
	}{
		{"client v1", rfcClientInitialV1, Version1, rfcODCID, "", 1182, 18, 4},
		{"client v2", rfcClientInitialV2, Version2, rfcODCID, "", 1182, 18, 4},
		{"server v1", rfcServerInitialV1, Version1, "", rfcSCID, 117, 18, 2},
		{"server v2", rfcServerInitialV2, Version2, "", rfcSCID, 117, 18, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := mustHex(t, tt.hdr)
			pkt := append(hdr, make([]byte, int(tt.length)-tt.pnLen)...)
			datagram := append(bytes.Clone(pkt), 0x40, 1, 2, 3)
			h, err := ParseHeader(datagram, 8, false)
			if err != nil {
				t.Fatal(err)
			}
			want := Header{
				Type:      PacketTypeInitial,
				Version:   tt.version,
				DCID:      mustHex(t, tt.dcid),
				SCID:      mustHex(t, tt.scid),
				Token:     []byte{},
				Length:    tt.length,
				PNOffset:  tt.pnOff,
				PacketLen: len(pkt),
			}
			if diff := cmp.Diff(want, h, headerCmp); diff != "" {
				t.Errorf("header mismatch (-want +got):\n%s", diff)
			}
			if got := PacketNumberLenOf(hdr[0]); got != tt.pnLen {
				t.Errorf("PacketNumberLenOf = %d, want %d", got, tt.pnLen)
			}
			if err := CheckReservedBits(hdr[0]); err != nil {
				t.Errorf("CheckReservedBits: %v", err)
			}
		})
	}
}

// TestAppendLongHeaderRFCVectors rebuilds the RFC's unprotected headers.
func TestAppendLongHeaderRFCVectors(t *testing.T) {
	tests := []struct {
		want string
		h    LongHeader
	}{
		{rfcClientInitialV1, LongHeader{Type: PacketTypeInitial, Version: Version1,
			DCID: mustHex(t, rfcODCID), PacketNumber: 2, PacketNumberLen: 4}},
		{rfcClientInitialV2, LongHeader{Type: PacketTypeInitial, Version: Version2,
			DCID: mustHex(t, rfcODCID), PacketNumber: 2, PacketNumberLen: 4}},
		{rfcServerInitialV1, LongHeader{Type: PacketTypeInitial, Version: Version1,
			SCID: mustHex(t, rfcSCID), PacketNumber: 1, PacketNumberLen: 2}},
		{rfcServerInitialV2, LongHeader{Type: PacketTypeInitial, Version: Version2,
			SCID: mustHex(t, rfcSCID), PacketNumber: 1, PacketNumberLen: 2}},
	}
	for _, tt := range tests {
		b, lenOff := AppendLongHeader(nil, &tt.h)
		parsed, err := ParseHeader(append(bytes.Clone(b), make([]byte, 2000)...), 0, false)
		if err != nil {
			t.Fatal(err)
		}
		length := parsed.Length // the reserved slot holds 0
		if length != 0 {
			t.Errorf("reserved Length slot holds %d", length)
		}
		want := mustHex(t, tt.want)
		l, _ := ConsumeVarint(want[lenOff:])
		PutVarintN(b[lenOff:], l, 2)
		if !bytes.Equal(b, want) {
			t.Errorf("AppendLongHeader = %x, want %s", b, tt.want)
		}
		if tt.h.Len() != len(b) {
			t.Errorf("Len() = %d, wrote %d", tt.h.Len(), len(b))
		}
	}
}

func TestParseRetryRFCVectors(t *testing.T) {
	for _, tt := range []struct {
		hex string
		v   Version
	}{{rfcRetryV1, Version1}, {rfcRetryV2, Version2}} {
		b := mustHex(t, tt.hex)
		h, err := ParseHeader(b, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		want := Header{
			Type: PacketTypeRetry, Version: tt.v, DCID: []byte{}, SCID: mustHex(t, rfcSCID),
			Token: []byte("token"), RetryTag: b[len(b)-16:], PacketLen: len(b),
		}
		if diff := cmp.Diff(want, h, headerCmp); diff != "" {
			t.Errorf("%v Retry mismatch (-want +got):\n%s", tt.v, diff)
		}
		built := AppendRetry(nil, tt.v, nil, mustHex(t, rfcSCID), []byte("token"))
		built = append(built, h.RetryTag...)
		// The RFC's Retry packets set the four unused bits; ours are zero.
		if built[0]&0xf0 != b[0]&0xf0 || !bytes.Equal(built[1:], b[1:]) {
			t.Errorf("AppendRetry = %x, want %x", built, b)
		}
		pseudo := AppendRetryPseudoPacket(nil, mustHex(t, rfcODCID), b[:len(b)-16])
		if pseudo[0] != 8 || !bytes.Equal(pseudo[9:], b[:len(b)-16]) {
			t.Errorf("AppendRetryPseudoPacket = %x", pseudo)
		}
	}
}

// TestLongHeaderRoundTrip builds and parses every long header type of both
// versions, with a token, a 4-byte Length slot and a coalesced packet after.
func TestLongHeaderRoundTrip(t *testing.T) {
	for _, v := range []Version{Version1, Version2} {
		for _, typ := range []PacketType{PacketTypeInitial, PacketType0RTT,
			PacketTypeHandshake} {
			for _, lengthLen := range []int{0, 4} {
				h := LongHeader{Type: typ, Version: v, DCID: []byte{1, 2, 3, 4, 5},
					SCID: bytes.Repeat([]byte{9}, 20), PacketNumber: 0x123456,
					PacketNumberLen: 3, LengthLen: lengthLen}
				if typ == PacketTypeInitial {
					h.Token = []byte("a token")
				}
				b, lenOff := AppendLongHeader(nil, &h)
				pnOff := len(b) - 3
				payload := 40
				b = append(b, make([]byte, payload)...)
				width := max(lengthLen, 2)
				PutVarintN(b[lenOff:], uint64(3+payload), width)
				next := AppendShortHeader(nil, &ShortHeader{DCID: []byte{7}, PacketNumberLen: 1})
				got, err := ParseHeader(append(b, next...), 5, false)
				if err != nil {
					t.Fatalf("%v %v: %v", v, typ, err)
				}
				want := Header{Type: typ, Version: v, DCID: h.DCID, SCID: h.SCID,
					Token: h.Token, Length: uint64(3 + payload), PNOffset: pnOff,
					PacketLen: len(b)}
				if diff := cmp.Diff(want, got, headerCmp); diff != "" {
					t.Errorf("%v %v mismatch (-want +got):\n%s", v, typ, diff)
				}
				if PacketNumberLenOf(b[0]) != 3 {
					t.Errorf("%v %v: packet number length %d", v, typ, PacketNumberLenOf(b[0]))
				}
				if pn, _ := ReadPacketNumber(b[pnOff:], 3); pn != 0x123456 {
					t.Errorf("%v %v: packet number %#x", v, typ, pn)
				}
			}
		}
	}
}

func TestShortHeaderRoundTrip(t *testing.T) {
	for _, kp := range []bool{false, true} {
		for _, spin := range []bool{false, true} {
			h := ShortHeader{DCID: []byte{1, 2, 3, 4, 5, 6, 7, 8}, PacketNumber: 0x1ff,
				PacketNumberLen: 2, KeyPhase: kp, Spin: spin}
			b := AppendShortHeader(nil, &h)
			if len(b) != h.Len() {
				t.Errorf("Len() = %d, wrote %d", h.Len(), len(b))
			}
			b = append(b, 0xee, 0xee, 0xee)
			got, err := ParseHeader(b, 8, false)
			if err != nil {
				t.Fatal(err)
			}
			want := Header{Type: PacketType1RTT, DCID: h.DCID, PNOffset: 9, PacketLen: len(b)}
			if diff := cmp.Diff(want, got, headerCmp); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if KeyPhase(b[0]) != kp || SpinBit(b[0]) != spin || PacketNumberLenOf(b[0]) != 2 {
				t.Errorf("first byte %08b: key phase %v spin %v", b[0], KeyPhase(b[0]),
					SpinBit(b[0]))
			}
			dcid, err := DestinationConnectionID(b, 8)
			if err != nil || !bytes.Equal(dcid, h.DCID) {
				t.Errorf("DestinationConnectionID = %x, %v", dcid, err)
			}
		}
	}
}

func TestVersionNegotiationRoundTrip(t *testing.T) {
	dcid, scid := []byte{1, 2, 3}, bytes.Repeat([]byte{4}, 40) // invariant CIDs up to 255
	versions := []Version{Version2, Version1, 0x1a2a3a4a}
	b := AppendVersionNegotiation(nil, dcid, scid, versions, 0x40)
	h, err := ParseHeader(b, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	want := Header{Type: PacketTypeVersionNegotiation, DCID: dcid, SCID: scid, PacketLen: len(b)}
	if diff := cmp.Diff(want, h, headerCmp); diff != "" {
		t.Errorf("header mismatch (-want +got):\n%s", diff)
	}
	gotD, gotS, gotV, err := ParseVersionNegotiation(b, make([]Version, 0, 8))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotD, dcid) || !bytes.Equal(gotS, scid) {
		t.Errorf("connection IDs %x %x", gotD, gotS)
	}
	if diff := cmp.Diff(versions, gotV); diff != "" {
		t.Errorf("versions mismatch (-want +got):\n%s", diff)
	}
	if !Version(0x1a2a3a4a).IsReserved() || Version1.IsReserved() {
		t.Error("IsReserved is wrong")
	}
	for _, bad := range [][]byte{b[:len(b)-1], b[:len(b)-12], b[:4]} {
		if _, _, _, err := ParseVersionNegotiation(bad, nil); err == nil {
			t.Errorf("ParseVersionNegotiation(%x) succeeded", bad)
		}
	}
}

func TestParseHeaderErrors(t *testing.T) {
	initial := mustHex(t, rfcClientInitialV1)
	withPayload := append(bytes.Clone(initial), make([]byte, 1178)...)
	cleared := bytes.Clone(withPayload)
	cleared[0] &^= fixedBit
	longCID := bytes.Clone(withPayload)
	longCID[5] = 21
	unknown := bytes.Clone(withPayload)
	copy(unknown[1:5], []byte{0xff, 0, 0, 0x1d})
	short := []byte{0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9}

	tests := []struct {
		name   string
		b      []byte
		grease bool
		want   error
	}{
		{"empty", nil, false, ErrTruncated},
		{"version cut", initial[:3], false, ErrTruncated},
		{"DCID cut", initial[:10], false, ErrTruncated},
		{"token length cut", initial[:15], false, ErrTruncated},
		{"length cut", initial[:17], false, ErrTruncated},
		{"payload cut", withPayload[:len(withPayload)-1], false, ErrTruncated},
		{"fixed bit", cleared, false, ErrInvalidHeader},
		{"fixed bit greased", cleared, true, nil},
		{"CID over 20", longCID, false, ErrInvalidHeader},
		{"unknown version", unknown, false, ErrUnsupportedVersion},
		{"short fixed bit", short, false, ErrInvalidHeader},
		{"short fixed bit greased", short, true, nil},
		{"short cut", short[:5], true, ErrTruncated},
		{"retry without tag", mustHex(t, rfcRetryV1)[:30], false, ErrTruncated},
	}
	vn := AppendVersionNegotiation(nil, []byte{1, 2}, []byte{3, 4, 5}, []Version{Version1}, 0)
	tests = append(tests, []struct {
		name   string
		b      []byte
		grease bool
		want   error
	}{
		{"VN SCID cut", vn[:9], false, ErrTruncated},
		{"VN SCID length missing", vn[:8], false, ErrTruncated},
		{"unknown version DCID cut", unknown[:8], false, ErrTruncated},
	}...)
	for _, tt := range tests {
		_, err := ParseHeader(tt.b, 8, tt.grease)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := ParseHeader(short, MaxConnIDLen+1, true); !errors.Is(err, ErrInvalidHeader) {
		t.Errorf("short header with 21-byte DCID: %v", err)
	}
	for _, bad := range [][]byte{nil, initial[:4], longCID, short[:3]} {
		if _, err := DestinationConnectionID(bad, 8); err == nil {
			t.Errorf("DestinationConnectionID(%x) succeeded", bad)
		}
	}

	h, err := ParseHeader(unknown, 8, false)
	if !errors.Is(err, ErrUnsupportedVersion) || h.Version != 0xff00001d ||
		!bytes.Equal(h.DCID, mustHex(t, rfcODCID)) {
		t.Errorf("unknown version: %+v, %v", h, err)
	}
}

func TestCheckReservedBits(t *testing.T) {
	for _, tt := range []struct {
		b0 byte
		ok bool
	}{
		{0xc3, true}, {0xc7, false}, {0xcb, false},
		{0x43, true}, {0x47, true}, {0x4b, false}, {0x53, false},
	} {
		err := CheckReservedBits(tt.b0)
		var te *TransportError
		if tt.ok != (err == nil) || (err != nil && (!errors.As(err, &te) ||
			te.Code != ProtocolViolation)) {
			t.Errorf("CheckReservedBits(%08b) = %v", tt.b0, err)
		}
	}
}
