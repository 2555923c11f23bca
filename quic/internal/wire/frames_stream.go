package wire

// STREAM frame type flags (RFC 9000, Section 19.8).
const (
	streamFinBit = 0x01
	streamLenBit = 0x02
	streamOffBit = 0x04
)

// StreamFrame is a STREAM frame (RFC 9000, Section 19.8). Data aliases the
// buffer the frame was parsed from.
//
// Frames are plain values: safe for concurrent reads, not for concurrent writes.
type StreamFrame struct {
	StreamID uint64
	Offset   uint64
	Data     []byte
	Fin      bool
	// OmitLength leaves out the Length field: the frame then runs to the end
	// of the packet and must be its last frame. ParseStream sets it when the
	// field was absent.
	OmitLength bool
}

// Type returns the STREAM frame type (0x08-0x0f) Append writes.
func (f StreamFrame) Type() FrameType {
	t := FrameTypeStream
	if f.Offset != 0 {
		t |= streamOffBit
	}
	if !f.OmitLength {
		t |= streamLenBit
	}
	if f.Fin {
		t |= streamFinBit
	}
	return t
}

// Size returns the encoded size of f.
func (f StreamFrame) Size() int {
	return streamHeaderLen(f.StreamID, f.Offset, len(f.Data), !f.OmitLength) + len(f.Data)
}

// Append appends the frame.
func (f StreamFrame) Append(b []byte) []byte {
	b = append(b, byte(f.Type()))
	b = AppendVarint(b, f.StreamID)
	if f.Offset != 0 {
		b = AppendVarint(b, f.Offset)
	}
	if !f.OmitLength {
		b = AppendVarint(b, uint64(len(f.Data)))
	}
	return append(b, f.Data...)
}

func streamHeaderLen(id, offset uint64, dataLen int, withLen bool) int {
	n := 1 + VarintLen(id)
	if offset != 0 {
		n += VarintLen(offset)
	}
	if withLen {
		n += VarintLen(uint64(dataLen))
	}
	return n
}

// ParseStream parses a STREAM frame of any of the eight types at the start of
// b. Data aliases b; parsing does not allocate. A frame whose offset plus
// length exceeds 2^62-1 is a FRAME_ENCODING_ERROR (RFC 9000, Section 19.8).
func ParseStream(b []byte) (StreamFrame, int, error) {
	t, body, err := frameBody(b, FrameTypeStream, FrameTypeStreamMax)
	if err != nil {
		return StreamFrame{}, 0, err
	}
	r := newReader(body)
	f := StreamFrame{StreamID: r.varint(), Fin: t&streamFinBit != 0}
	if t&streamOffBit != 0 {
		f.Offset = r.varint()
	}
	if t&streamLenBit != 0 {
		f.Data = r.lenBytes()
	} else {
		f.OmitLength = true
		f.Data = r.bytes(uint64(len(r.b)))
	}
	if !r.ok {
		return StreamFrame{}, 0, errTruncated(t)
	}
	if f.Offset+uint64(len(f.Data)) > MaxVarint {
		return StreamFrame{}, 0, frameError(t, "stream offset beyond 2^62-1")
	}
	return f, len(b) - len(r.b), nil
}

// AppendStreamHeader appends the header of a STREAM frame for stream id that
// starts at offset and would carry up to dataLen bytes, sized to fit in space
// bytes (header included). It returns the extended buffer, the number of data
// bytes n the caller must append right after the header, and whether the
// header has a Length field.
//
// The Length field is left out when the data fills the space, so that the
// frame is the last of the packet and carries as much as fits; otherwise it is
// included so that more frames can follow. FIN is set only when fin is true
// and all dataLen bytes fit. If not even one byte of data fits (or, for an
// empty frame with FIN, the header alone does not fit), it returns b unchanged
// and n = -1.
func AppendStreamHeader(b []byte, id, offset uint64, dataLen int, fin bool, space int) (
	out []byte, n int, hasLength bool) {
	noLen := streamHeaderLen(id, offset, 0, false)
	if space-noLen < 1 && (dataLen > 0 || !fin || space < noLen) {
		return b, -1, false
	}
	n = dataLen
	withLen := streamHeaderLen(id, offset, n, true)
	switch {
	case withLen+n <= space && noLen+n < space:
		// Room remains after this frame: keep the Length field.
		hasLength = true
	case noLen+n >= space:
		// The data fills the packet: leave out Length and cut the data.
		n = space - noLen
	}
	if offset+uint64(n) > MaxVarint {
		return b, -1, false
	}
	t := FrameTypeStream
	if offset != 0 {
		t |= streamOffBit
	}
	if hasLength {
		t |= streamLenBit
	}
	if fin && n == dataLen {
		t |= streamFinBit
	}
	b = append(b, byte(t))
	b = AppendVarint(b, id)
	if offset != 0 {
		b = AppendVarint(b, offset)
	}
	if hasLength {
		b = AppendVarint(b, uint64(n))
	}
	return b, n, hasLength
}

// CryptoFrame is a CRYPTO frame (RFC 9000, Section 19.6). Data aliases the
// buffer the frame was parsed from.
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type CryptoFrame struct {
	Offset uint64
	Data   []byte
}

// Type returns FrameTypeCrypto.
func (CryptoFrame) Type() FrameType { return FrameTypeCrypto }

// Size returns the encoded size of f.
func (f CryptoFrame) Size() int { return CryptoHeaderLen(f.Offset, len(f.Data)) + len(f.Data) }

// CryptoHeaderLen returns the size of a CRYPTO frame header for data of
// dataLen bytes at offset.
func CryptoHeaderLen(offset uint64, dataLen int) int {
	return 1 + VarintLen(offset) + VarintLen(uint64(dataLen))
}

// Append appends the frame.
func (f CryptoFrame) Append(b []byte) []byte {
	b = AppendVarint(append(b, byte(FrameTypeCrypto)), f.Offset)
	b = AppendVarint(b, uint64(len(f.Data)))
	return append(b, f.Data...)
}

// ParseCrypto parses a CRYPTO frame at the start of b. Data aliases b; parsing
// does not allocate. Offset plus length above 2^62-1 is a FRAME_ENCODING_ERROR
// (RFC 9000, Section 19.6).
func ParseCrypto(b []byte) (CryptoFrame, int, error) {
	t, body, err := frameBody(b, FrameTypeCrypto, FrameTypeCrypto)
	if err != nil {
		return CryptoFrame{}, 0, err
	}
	r := newReader(body)
	f := CryptoFrame{Offset: r.varint()}
	f.Data = r.lenBytes()
	if !r.ok {
		return CryptoFrame{}, 0, errTruncated(t)
	}
	if f.Offset+uint64(len(f.Data)) > MaxVarint {
		return CryptoFrame{}, 0, frameError(t, "crypto offset beyond 2^62-1")
	}
	return f, len(b) - len(r.b), nil
}

// ResetStreamFrame is a RESET_STREAM frame (RFC 9000, Section 19.4).
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type ResetStreamFrame struct {
	StreamID  uint64
	ErrorCode uint64 // application protocol error code
	FinalSize uint64
}

// Type returns FrameTypeResetStream.
func (ResetStreamFrame) Type() FrameType { return FrameTypeResetStream }

// Size returns the encoded size of f.
func (f ResetStreamFrame) Size() int {
	return 1 + VarintLen(f.StreamID) + VarintLen(f.ErrorCode) + VarintLen(f.FinalSize)
}

// Append appends the frame.
func (f ResetStreamFrame) Append(b []byte) []byte {
	b = AppendVarint(append(b, byte(FrameTypeResetStream)), f.StreamID)
	b = AppendVarint(b, f.ErrorCode)
	return AppendVarint(b, f.FinalSize)
}

// ParseResetStream parses a RESET_STREAM frame at the start of b.
func ParseResetStream(b []byte) (ResetStreamFrame, int, error) {
	t, body, err := frameBody(b, FrameTypeResetStream, FrameTypeResetStream)
	if err != nil {
		return ResetStreamFrame{}, 0, err
	}
	r := newReader(body)
	f := ResetStreamFrame{StreamID: r.varint(), ErrorCode: r.varint(), FinalSize: r.varint()}
	if !r.ok {
		return ResetStreamFrame{}, 0, errTruncated(t)
	}
	return f, len(b) - len(r.b), nil
}

// StopSendingFrame is a STOP_SENDING frame (RFC 9000, Section 19.5).
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type StopSendingFrame struct {
	StreamID  uint64
	ErrorCode uint64 // application protocol error code
}

// Type returns FrameTypeStopSending.
func (StopSendingFrame) Type() FrameType { return FrameTypeStopSending }

// Size returns the encoded size of f.
func (f StopSendingFrame) Size() int { return 1 + VarintLen(f.StreamID) + VarintLen(f.ErrorCode) }

// Append appends the frame.
func (f StopSendingFrame) Append(b []byte) []byte {
	b = AppendVarint(append(b, byte(FrameTypeStopSending)), f.StreamID)
	return AppendVarint(b, f.ErrorCode)
}

// ParseStopSending parses a STOP_SENDING frame at the start of b.
func ParseStopSending(b []byte) (StopSendingFrame, int, error) {
	id, code, n, err := parseTwoVarints(b, FrameTypeStopSending)
	return StopSendingFrame{StreamID: id, ErrorCode: code}, n, err
}
