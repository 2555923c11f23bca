package wire

// DatagramFrame is a DATAGRAM frame (RFC 9221, Section 4): type 0x31 with a
// Length field, or 0x30 without one when OmitLength is set. Data aliases the
// buffer the frame was parsed from.
//
// Frames are plain values: safe for concurrent reads, not for concurrent writes.
type DatagramFrame struct {
	Data []byte
	// OmitLength leaves out the Length field: the frame then runs to the end
	// of the packet and must be its last frame. ParseDatagram sets it for
	// frames of type 0x30.
	OmitLength bool
}

// Type returns FrameTypeDatagram or FrameTypeDatagramLen.
func (f DatagramFrame) Type() FrameType {
	if f.OmitLength {
		return FrameTypeDatagram
	}
	return FrameTypeDatagramLen
}

// Size returns the encoded size of f.
func (f DatagramFrame) Size() int {
	return DatagramHeaderLen(len(f.Data), !f.OmitLength) + len(f.Data)
}

// DatagramHeaderLen returns the size of a DATAGRAM frame header for a payload
// of dataLen bytes, with or without the Length field.
func DatagramHeaderLen(dataLen int, withLength bool) int {
	if !withLength {
		return 1
	}
	return 1 + VarintLen(uint64(dataLen))
}

// Append appends the frame.
func (f DatagramFrame) Append(b []byte) []byte {
	b = append(b, byte(f.Type()))
	if !f.OmitLength {
		b = AppendVarint(b, uint64(len(f.Data)))
	}
	return append(b, f.Data...)
}

// ParseDatagram parses a DATAGRAM frame of either type at the start of b. Data
// aliases b; parsing does not allocate. Whether the payload fits the
// max_datagram_frame_size this endpoint advertised is the caller's check
// (RFC 9221, Section 3: PROTOCOL_VIOLATION).
func ParseDatagram(b []byte) (DatagramFrame, int, error) {
	t, body, err := frameBody(b, FrameTypeDatagram, FrameTypeDatagramLen)
	if err != nil {
		return DatagramFrame{}, 0, err
	}
	if t == FrameTypeDatagram {
		return DatagramFrame{Data: body[:len(body):len(body)], OmitLength: true}, len(b), nil
	}
	r := newReader(body)
	f := DatagramFrame{Data: r.lenBytes()}
	if !r.ok {
		return DatagramFrame{}, 0, errTruncated(t)
	}
	return f, len(b) - len(r.b), nil
}
