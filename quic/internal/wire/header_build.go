package wire

import "encoding/binary"

// LongHeader describes an Initial, 0-RTT or Handshake header to build.
//
// A LongHeader is a plain value; it is safe for concurrent reads.
type LongHeader struct {
	Type    PacketType // PacketTypeInitial, PacketType0RTT or PacketTypeHandshake
	Version Version
	DCID    []byte
	SCID    []byte
	Token   []byte // Initial packets only
	// PacketNumber is the full packet number; PacketNumberLen bytes (1 to
	// 4, see PacketNumberLen) of it are written.
	PacketNumber    PacketNumber
	PacketNumberLen int
	// LengthLen is the width of the reserved Length slot: 2 (the default
	// when 0, enough for packets up to 16383 bytes) or 4.
	LengthLen int
	// ClearFixedBit sends the fixed bit as 0, for a peer that sent
	// grease_quic_bit (RFC 9287, Section 3).
	ClearFixedBit bool
}

func (h *LongHeader) lengthLen() int {
	if h.LengthLen == 0 {
		return lengthFieldSize
	}
	return h.LengthLen
}

// Len returns the number of bytes AppendLongHeader writes for h.
func (h *LongHeader) Len() int {
	n := 1 + 4 + 1 + len(h.DCID) + 1 + len(h.SCID) + h.lengthLen() + h.PacketNumberLen
	if h.Type == PacketTypeInitial {
		n += VarintLen(uint64(len(h.Token))) + len(h.Token)
	}
	return n
}

// AppendLongHeader appends the header described by h, ending with the
// unprotected packet number, and returns the extended buffer and the offset of
// the Length slot. Once the payload and the AEAD tag size are known, the
// caller fills the slot with
//
//	PutVarintN(pkt[lengthOffset:], uint64(pnAndPayloadLen), h.LengthLen or 2)
//
// The packet number starts at len(out)-h.PacketNumberLen.
func AppendLongHeader(b []byte, h *LongHeader) (out []byte, lengthOffset int) {
	first := byte(headerFormLong|fixedBit) | longTypeBits(h.Version, h.Type) |
		byte(h.PacketNumberLen-1)&pnLenMask
	if h.ClearFixedBit {
		first &^= fixedBit
	}
	b = append(b, first)
	b = binary.BigEndian.AppendUint32(b, uint32(h.Version))
	b = appendConnID(b, h.DCID)
	b = appendConnID(b, h.SCID)
	if h.Type == PacketTypeInitial {
		b = AppendVarint(b, uint64(len(h.Token)))
		b = append(b, h.Token...)
	}
	lengthOffset = len(b)
	b = AppendVarintN(b, 0, h.lengthLen())
	b = AppendPacketNumber(b, h.PacketNumber, h.PacketNumberLen)
	return b, lengthOffset
}

func appendConnID(b, cid []byte) []byte {
	b = append(b, byte(len(cid)))
	return append(b, cid...)
}

// ShortHeader describes a 1-RTT header to build.
//
// A ShortHeader is a plain value; it is safe for concurrent reads.
type ShortHeader struct {
	DCID            []byte
	PacketNumber    PacketNumber
	PacketNumberLen int // 1 to 4
	KeyPhase        bool
	Spin            bool
	ClearFixedBit   bool // see LongHeader.ClearFixedBit
}

// Len returns the number of bytes AppendShortHeader writes for h.
func (h *ShortHeader) Len() int { return 1 + len(h.DCID) + h.PacketNumberLen }

// AppendShortHeader appends the short header described by h, ending with the
// unprotected packet number.
func AppendShortHeader(b []byte, h *ShortHeader) []byte {
	first := byte(fixedBit) | byte(h.PacketNumberLen-1)&pnLenMask
	if h.ClearFixedBit {
		first &^= fixedBit
	}
	if h.KeyPhase {
		first |= shortKeyPhase
	}
	if h.Spin {
		first |= shortSpinBit
	}
	b = append(b, first)
	b = append(b, h.DCID...)
	return AppendPacketNumber(b, h.PacketNumber, h.PacketNumberLen)
}

// AppendRetry appends a Retry packet of version v without its integrity tag,
// which the caller computes over AppendRetryPseudoPacket and appends.
func AppendRetry(b []byte, v Version, dcid, scid, token []byte) []byte {
	b = append(b, headerFormLong|fixedBit|longTypeBits(v, PacketTypeRetry))
	b = binary.BigEndian.AppendUint32(b, uint32(v))
	b = appendConnID(b, dcid)
	b = appendConnID(b, scid)
	return append(b, token...)
}

// AppendRetryPseudoPacket appends the Retry pseudo-packet of RFC 9001,
// Section 5.8: the original destination connection ID, length-prefixed,
// followed by the Retry packet without its integrity tag.
func AppendRetryPseudoPacket(b, odcid, retryWithoutTag []byte) []byte {
	b = appendConnID(b, odcid)
	return append(b, retryWithoutTag...)
}

// AppendVersionNegotiation appends a Version Negotiation packet (RFC 9000,
// Section 17.2.1) listing versions. The DCID and SCID echo the client's SCID
// and DCID. unused supplies the seven arbitrary low bits of the first byte;
// RFC 9000 suggests setting 0x40 among them.
func AppendVersionNegotiation(b, dcid, scid []byte, versions []Version, unused byte) []byte {
	b = append(b, headerFormLong|unused&^headerFormLong)
	b = append(b, 0, 0, 0, 0)
	b = appendConnID(b, dcid)
	b = appendConnID(b, scid)
	for _, v := range versions {
		b = binary.BigEndian.AppendUint32(b, uint32(v))
	}
	return b
}

// ParseVersionNegotiation parses a Version Negotiation packet, appending the
// versions it lists to versions (pass a reused slice to avoid allocation).
// The connection IDs alias b. A packet whose version list is empty or not a
// multiple of four bytes long is invalid.
func ParseVersionNegotiation(b []byte, versions []Version) (
	dcid, scid []byte, out []Version, err error) {
	if len(b) < 5 {
		return nil, nil, versions, ErrTruncated
	}
	if !IsLongHeader(b[0]) || binary.BigEndian.Uint32(b[1:5]) != 0 {
		return nil, nil, versions, ErrInvalidHeader
	}
	dcid, scid, off, err := parseConnIDs(b, 5, maxInvariantConnIDLen)
	if err != nil {
		return nil, nil, versions, err
	}
	rest := b[off:]
	if len(rest) == 0 || len(rest)%4 != 0 {
		return nil, nil, versions, ErrInvalidHeader
	}
	for ; len(rest) > 0; rest = rest[4:] {
		versions = append(versions, Version(binary.BigEndian.Uint32(rest)))
	}
	return dcid, scid, versions, nil
}
