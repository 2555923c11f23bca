package wire

// PaddingFrame is a run of PADDING frames (type 0x00, RFC 9000, Section
// 19.1), each a single zero byte. Len is the number of bytes.
//
// Frames are plain values: safe for concurrent reads, not for concurrent writes.
type PaddingFrame struct {
	Len int
}

// Type returns FrameTypePadding.
func (f PaddingFrame) Type() FrameType { return FrameTypePadding }

// Size returns f.Len.
func (f PaddingFrame) Size() int { return f.Len }

// Append appends f.Len zero bytes.
func (f PaddingFrame) Append(b []byte) []byte { return AppendPadding(b, f.Len) }

// AppendPadding appends n PADDING frames (zero bytes) to b.
func AppendPadding(b []byte, n int) []byte {
	for range n {
		b = append(b, 0)
	}
	return b
}

// ParsePadding returns the number of consecutive PADDING bytes at the start of
// b. Padding is skipped as one unit since each byte is a frame.
func ParsePadding(b []byte) int {
	for i, c := range b {
		if c != 0 {
			return i
		}
	}
	return len(b)
}

// PingFrame is a PING frame (RFC 9000, Section 19.2).
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type PingFrame struct{}

// Type returns FrameTypePing.
func (PingFrame) Type() FrameType { return FrameTypePing }

// Size returns 1.
func (PingFrame) Size() int { return 1 }

// Append appends the frame.
func (PingFrame) Append(b []byte) []byte { return append(b, byte(FrameTypePing)) }

// HandshakeDoneFrame is a HANDSHAKE_DONE frame (RFC 9000, Section 19.20).
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type HandshakeDoneFrame struct{}

// Type returns FrameTypeHandshakeDone.
func (HandshakeDoneFrame) Type() FrameType { return FrameTypeHandshakeDone }

// Size returns 1.
func (HandshakeDoneFrame) Size() int { return 1 }

// Append appends the frame.
func (HandshakeDoneFrame) Append(b []byte) []byte {
	return append(b, byte(FrameTypeHandshakeDone))
}

// PathChallengeFrame is a PATH_CHALLENGE frame (RFC 9000, Section 19.17).
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type PathChallengeFrame struct {
	Data [8]byte
}

// Type returns FrameTypePathChallenge.
func (PathChallengeFrame) Type() FrameType { return FrameTypePathChallenge }

// Size returns 9.
func (PathChallengeFrame) Size() int { return 9 }

// Append appends the frame.
func (f PathChallengeFrame) Append(b []byte) []byte {
	return append(append(b, byte(FrameTypePathChallenge)), f.Data[:]...)
}

// ParsePathChallenge parses a PATH_CHALLENGE frame at the start of b.
func ParsePathChallenge(b []byte) (PathChallengeFrame, int, error) {
	var f PathChallengeFrame
	n, err := parsePathData(b, FrameTypePathChallenge, &f.Data)
	return f, n, err
}

// PathResponseFrame is a PATH_RESPONSE frame (RFC 9000, Section 19.18).
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type PathResponseFrame struct {
	Data [8]byte
}

// Type returns FrameTypePathResponse.
func (PathResponseFrame) Type() FrameType { return FrameTypePathResponse }

// Size returns 9.
func (PathResponseFrame) Size() int { return 9 }

// Append appends the frame.
func (f PathResponseFrame) Append(b []byte) []byte {
	return append(append(b, byte(FrameTypePathResponse)), f.Data[:]...)
}

// ParsePathResponse parses a PATH_RESPONSE frame at the start of b.
func ParsePathResponse(b []byte) (PathResponseFrame, int, error) {
	var f PathResponseFrame
	n, err := parsePathData(b, FrameTypePathResponse, &f.Data)
	return f, n, err
}

func parsePathData(b []byte, t FrameType, data *[8]byte) (int, error) {
	_, body, err := frameBody(b, t, t)
	if err != nil {
		return 0, err
	}
	if len(body) < len(data) {
		return 0, errTruncated(t)
	}
	copy(data[:], body)
	return 1 + len(data), nil
}

// RetireConnectionIDFrame is a RETIRE_CONNECTION_ID frame (RFC 9000, Section
// 19.16).
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type RetireConnectionIDFrame struct {
	SequenceNumber uint64
}

// Type returns FrameTypeRetireConnectionID.
func (RetireConnectionIDFrame) Type() FrameType { return FrameTypeRetireConnectionID }

// Size returns the encoded size of f.
func (f RetireConnectionIDFrame) Size() int { return 1 + VarintLen(f.SequenceNumber) }

// Append appends the frame.
func (f RetireConnectionIDFrame) Append(b []byte) []byte {
	return AppendVarint(append(b, byte(FrameTypeRetireConnectionID)), f.SequenceNumber)
}

// ParseRetireConnectionID parses a RETIRE_CONNECTION_ID frame at the start of b.
func ParseRetireConnectionID(b []byte) (RetireConnectionIDFrame, int, error) {
	v, n, err := parseOneVarint(b, FrameTypeRetireConnectionID)
	return RetireConnectionIDFrame{SequenceNumber: v}, n, err
}

// parseOneVarint parses a frame of type t whose only field is a varint.
func parseOneVarint(b []byte, t FrameType) (uint64, int, error) {
	_, body, err := frameBody(b, t, t)
	if err != nil {
		return 0, 0, err
	}
	v, n := ConsumeVarint(body)
	if n < 0 {
		return 0, 0, errTruncated(t)
	}
	return v, 1 + n, nil
}

// parseTwoVarints parses a frame of type t made of two varints.
func parseTwoVarints(b []byte, t FrameType) (v1, v2 uint64, n int, err error) {
	_, body, err := frameBody(b, t, t)
	if err != nil {
		return 0, 0, 0, err
	}
	r := newReader(body)
	v1 = r.varint()
	v2 = r.varint()
	if !r.ok {
		return 0, 0, 0, errTruncated(t)
	}
	return v1, v2, len(b) - len(r.b), nil
}
