package wire

// ResetStreamAtFrame is a RESET_STREAM_AT frame
// (draft-ietf-quic-reliable-stream-reset, Section 4): a RESET_STREAM that
// still promises delivery of the first ReliableSize bytes of the stream.
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type ResetStreamAtFrame struct {
	StreamID     uint64
	ErrorCode    uint64 // application protocol error code
	FinalSize    uint64
	ReliableSize uint64 // at most FinalSize
}

// Type returns FrameTypeResetStreamAt.
func (ResetStreamAtFrame) Type() FrameType { return FrameTypeResetStreamAt }

// Size returns the encoded size of f.
func (f ResetStreamAtFrame) Size() int {
	return 1 + VarintLen(f.StreamID) + VarintLen(f.ErrorCode) + VarintLen(f.FinalSize) +
		VarintLen(f.ReliableSize)
}

// Append appends the frame.
func (f ResetStreamAtFrame) Append(b []byte) []byte {
	b = AppendVarint(append(b, byte(FrameTypeResetStreamAt)), f.StreamID)
	b = AppendVarint(b, f.ErrorCode)
	b = AppendVarint(b, f.FinalSize)
	return AppendVarint(b, f.ReliableSize)
}

// ParseResetStreamAt parses a RESET_STREAM_AT frame at the start of b. A
// Reliable Size above the Final Size is a FRAME_ENCODING_ERROR
// (draft-ietf-quic-reliable-stream-reset, Section 4).
func ParseResetStreamAt(b []byte) (ResetStreamAtFrame, int, error) {
	t, body, err := frameBody(b, FrameTypeResetStreamAt, FrameTypeResetStreamAt)
	if err != nil {
		return ResetStreamAtFrame{}, 0, err
	}
	r := newReader(body)
	f := ResetStreamAtFrame{StreamID: r.varint(), ErrorCode: r.varint(),
		FinalSize: r.varint(), ReliableSize: r.varint()}
	if !r.ok {
		return ResetStreamAtFrame{}, 0, errTruncated(t)
	}
	if f.ReliableSize > f.FinalSize {
		return ResetStreamAtFrame{}, 0, frameError(t, "reliable size above final size")
	}
	return f, len(b) - len(r.b), nil
}
