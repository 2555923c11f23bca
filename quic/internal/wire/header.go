package wire

import "encoding/binary"

// Version is a QUIC version number as carried in long headers.
//
// Values of this type are immutable and safe for concurrent use.
type Version uint32

// Versions this package parses. Version 0 marks Version Negotiation packets.
const (
	Version1 Version = 0x00000001 // RFC 9000
	Version2 Version = 0x6b3343cf // RFC 9369, Section 3.1
)

// IsSupported reports whether this package can parse long headers of v.
func (v Version) IsSupported() bool {
	return v == Version1 || v == Version2
}

// IsReserved reports whether v has the form 0x?a?a?a?a that RFC 9000,
// Section 15 reserves for exercising version negotiation.
func (v Version) IsReserved() bool {
	return v&0x0f0f0f0f == 0x0a0a0a0a
}

// PacketType is the type of a QUIC packet.
//
// Values of this type are immutable and safe for concurrent use.
type PacketType uint8

// Packet types. PacketTypeInvalid is the zero value and is never returned
// with a nil error.
const (
	PacketTypeInvalid PacketType = iota
	PacketTypeInitial
	PacketType0RTT
	PacketTypeHandshake
	PacketTypeRetry
	PacketType1RTT
	PacketTypeVersionNegotiation
)

var packetTypeNames = [...]string{
	PacketTypeInvalid:            "invalid",
	PacketTypeInitial:            "Initial",
	PacketType0RTT:               "0-RTT",
	PacketTypeHandshake:          "Handshake",
	PacketTypeRetry:              "Retry",
	PacketType1RTT:               "1-RTT",
	PacketTypeVersionNegotiation: "VersionNegotiation",
}

// String returns the name RFC 9000 uses for the packet type.
func (t PacketType) String() string {
	if int(t) < len(packetTypeNames) {
		return packetTypeNames[t]
	}
	return "unknown"
}

// Connection ID limits.
const (
	// MaxConnIDLen is the longest connection ID in QUIC versions 1 and 2
	// (RFC 9000, Section 17.2).
	MaxConnIDLen = 20
	// maxInvariantConnIDLen is the longest connection ID of the
	// version-independent long header (RFC 8999, Section 5.1).
	maxInvariantConnIDLen = 255
)

// First-byte bits (RFC 9000, Section 17).
const (
	headerFormLong  = 0x80
	fixedBit        = 0x40
	longTypeMask    = 0x30
	longReserved    = 0x0c
	shortSpinBit    = 0x20
	shortReserved   = 0x18
	shortKeyPhase   = 0x04
	pnLenMask       = 0x03
	retryTagLen     = 16
	lengthFieldSize = 2
)

// longTypeBits returns the two type bits of a long header of version v
// (RFC 9000, Section 17.2; RFC 9369, Section 3.2).
func longTypeBits(v Version, t PacketType) byte {
	var bits byte
	switch t {
	case PacketTypeInitial:
		bits = 0
	case PacketType0RTT:
		bits = 1
	case PacketTypeHandshake:
		bits = 2
	case PacketTypeRetry:
		bits = 3
	}
	if v == Version2 {
		bits = (bits + 1) & 3
	}
	return bits << 4
}

// longPacketType is the inverse of longTypeBits.
func longPacketType(v Version, b0 byte) PacketType {
	bits := (b0 & longTypeMask) >> 4
	if v == Version2 {
		bits = (bits + 3) & 3
	}
	return [...]PacketType{PacketTypeInitial, PacketType0RTT, PacketTypeHandshake,
		PacketTypeRetry}[bits]
}

// IsLongHeader reports whether a packet starting with byte b0 has a long
// header.
func IsLongHeader(b0 byte) bool { return b0&headerFormLong != 0 }

// Header is the part of a packet header that can be read without keys. Byte
// slices alias the buffer given to ParseHeader; their capacity ends with
// them, so appending to one copies instead of overwriting the packet.
//
// A Header is a plain value; it is safe for concurrent reads.
type Header struct {
	Type    PacketType
	Version Version // 0 for short headers and Version Negotiation
	DCID    []byte
	SCID    []byte // nil for short headers
	// Token is the token of an Initial packet (empty if none) or the Retry
	// token of a Retry packet.
	Token []byte
	// RetryTag is the 16-byte Retry Integrity Tag of a Retry packet.
	RetryTag []byte
	// Length is the Length field of Initial, 0-RTT and Handshake packets:
	// the size of the packet number and the protected payload.
	Length uint64
	// PNOffset is the offset of the (still protected) packet number in the
	// buffer; 0 for Retry and Version Negotiation packets.
	PNOffset int
	// PacketLen is the size of this packet within a datagram that may
	// coalesce several: PNOffset+Length for long headers with a Length
	// field, and the rest of the datagram otherwise.
	PacketLen int
}

// ParseHeader parses the header of the packet at the start of b, which holds
// the rest of a UDP datagram, up to the protected packet number. shortDCIDLen
// is the length of this endpoint's connection IDs, which short headers do not
// carry. If greasedFixedBit is set (the peer sent grease_quic_bit, RFC 9287)
// the fixed bit may be 0; otherwise such a packet is invalid.
//
// A long header of an unknown version yields ErrUnsupportedVersion with Type
// PacketTypeInvalid and the Version, DCID and SCID fields set.
func ParseHeader(b []byte, shortDCIDLen int, greasedFixedBit bool) (Header, error) {
	if len(b) == 0 {
		return Header{}, ErrTruncated
	}
	if !IsLongHeader(b[0]) {
		return parseShortHeader(b, shortDCIDLen, greasedFixedBit)
	}
	return parseLongHeader(b, greasedFixedBit)
}

func parseShortHeader(b []byte, dcidLen int, greasedFixedBit bool) (Header, error) {
	// RFC 9000, Section 17.3.1: the fixed bit must be 1 unless greased.
	if b[0]&fixedBit == 0 && !greasedFixedBit {
		return Header{}, ErrInvalidHeader
	}
	if dcidLen < 0 || dcidLen > MaxConnIDLen {
		return Header{}, ErrInvalidHeader
	}
	if len(b) < 1+dcidLen {
		return Header{}, ErrTruncated
	}
	return Header{
		Type:      PacketType1RTT,
		DCID:      b[1 : 1+dcidLen : 1+dcidLen],
		PNOffset:  1 + dcidLen,
		PacketLen: len(b),
	}, nil
}

// parseConnIDs reads the two length-prefixed connection IDs that follow the
// version of a long header, each at most maxLen bytes.
func parseConnIDs(b []byte, off, maxLen int) (dcid, scid []byte, next int, err error) {
	dcid, off, err = parseConnID(b, off, maxLen)
	if err != nil {
		return nil, nil, 0, err
	}
	scid, off, err = parseConnID(b, off, maxLen)
	if err != nil {
		return nil, nil, 0, err
	}
	return dcid, scid, off, nil
}

func parseConnID(b []byte, off, maxLen int) ([]byte, int, error) {
	if off >= len(b) {
		return nil, 0, ErrTruncated
	}
	n := int(b[off])
	off++
	if n > maxLen {
		return nil, 0, ErrInvalidHeader
	}
	if len(b)-off < n {
		return nil, 0, ErrTruncated
	}
	return b[off : off+n : off+n], off + n, nil
}

func parseLongHeader(b []byte, greasedFixedBit bool) (Header, error) {
	if len(b) < 5 {
		return Header{}, ErrTruncated
	}
	h := Header{Version: Version(binary.BigEndian.Uint32(b[1:5]))}
	if !h.Version.IsSupported() {
		// Version Negotiation and unknown versions: only the invariant
		// fields of RFC 8999 are known.
		dcid, scid, _, err := parseConnIDs(b, 5, maxInvariantConnIDLen)
		if err != nil {
			return Header{}, err
		}
		h.DCID, h.SCID, h.PacketLen = dcid, scid, len(b)
		if h.Version == 0 {
			h.Type = PacketTypeVersionNegotiation
			return h, nil
		}
		return h, ErrUnsupportedVersion
	}

	// RFC 9000, Section 17.2: the fixed bit must be 1 unless greased, and
	// connection IDs longer than 20 bytes make the packet invalid.
	if b[0]&fixedBit == 0 && !greasedFixedBit {
		return Header{}, ErrInvalidHeader
	}
	dcid, scid, off, err := parseConnIDs(b, 5, MaxConnIDLen)
	if err != nil {
		return Header{}, err
	}
	h.DCID, h.SCID = dcid, scid
	h.Type = longPacketType(h.Version, b[0])
	if err := parseLongRest(b, off, &h); err != nil {
		return Header{}, err
	}
	return h, nil
}

// parseLongRest parses what follows the connection IDs of a long header of
// a known version: the Retry token and tag, or the Initial token and the
// Length field.
func parseLongRest(b []byte, off int, h *Header) error {
	if h.Type == PacketTypeRetry {
		// RFC 9000, Section 17.2.5: the token runs to the integrity tag.
		if len(b)-off < retryTagLen {
			return ErrTruncated
		}
		end := len(b) - retryTagLen
		h.Token, h.RetryTag = b[off:end:end], b[end:]
		h.PacketLen = len(b)
		return nil
	}
	if h.Type == PacketTypeInitial {
		tokenLen, n := ConsumeVarint(b[off:])
		if n < 0 || tokenLen > uint64(len(b)-off-n) {
			return ErrTruncated
		}
		off += n
		end := off + int(tokenLen)
		h.Token = b[off:end:end]
		off = end
	}
	length, n := ConsumeVarint(b[off:])
	if n < 0 {
		return ErrTruncated
	}
	off += n
	if length > uint64(len(b)-off) {
		return ErrTruncated
	}
	h.Length = length
	h.PNOffset = off
	h.PacketLen = off + int(length)
	return nil
}

// DestinationConnectionID returns the destination connection ID of the packet
// at the start of b without parsing the rest of the header, for routing a
// datagram to its connection. shortDCIDLen is the length of this endpoint's
// connection IDs. The result aliases b.
func DestinationConnectionID(b []byte, shortDCIDLen int) ([]byte, error) {
	if len(b) == 0 {
		return nil, ErrTruncated
	}
	if !IsLongHeader(b[0]) {
		return ShortHeaderDCID(b, shortDCIDLen)
	}
	if len(b) < 5 {
		return nil, ErrTruncated
	}
	maxLen := maxInvariantConnIDLen
	if Version(binary.BigEndian.Uint32(b[1:5])).IsSupported() {
		maxLen = MaxConnIDLen
	}
	dcid, _, err := parseConnID(b, 5, maxLen)
	return dcid, err
}

// ShortHeaderDCID returns the destination connection ID of a short-header
// packet, given the length of this endpoint's connection IDs. The result
// aliases b.
func ShortHeaderDCID(b []byte, cidLen int) ([]byte, error) {
	if cidLen < 0 || cidLen > MaxConnIDLen {
		return nil, ErrInvalidHeader
	}
	if len(b) < 1+cidLen {
		return nil, ErrTruncated
	}
	return b[1 : 1+cidLen : 1+cidLen], nil
}

// PacketNumberLenOf returns the length in bytes (1 to 4) of the packet number
// encoded in the first byte of a long or short header, which must be read
// after header protection has been removed.
func PacketNumberLenOf(b0 byte) int { return int(b0&pnLenMask) + 1 }

// KeyPhase returns the Key Phase bit of a short header's first byte, read
// after header protection has been removed (RFC 9000, Section 17.3.1).
func KeyPhase(b0 byte) bool { return b0&shortKeyPhase != 0 }

// SpinBit returns the latency spin bit of a short header's first byte
// (RFC 9000, Section 17.4).
func SpinBit(b0 byte) bool { return b0&shortSpinBit != 0 }

// CheckReservedBits returns a PROTOCOL_VIOLATION error if the reserved bits of
// a long or short header's first byte are not zero. Call it only after both
// header and packet protection have been removed (RFC 9000, Sections 17.2 and
// 17.3.1), since a packet failing decryption must be dropped silently instead.
func CheckReservedBits(b0 byte) error {
	mask := byte(shortReserved)
	if IsLongHeader(b0) {
		mask = longReserved
	}
	if b0&mask != 0 {
		return &TransportError{Code: ProtocolViolation, Reason: "reserved header bits set"}
	}
	return nil
}
