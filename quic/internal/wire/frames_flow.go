package wire

// maxStreamCount is the largest stream count that MAX_STREAMS and
// STREAMS_BLOCKED may carry (RFC 9000, Sections 19.11 and 19.14).
const maxStreamCount = 1 << 60

// MaxDataFrame is a MAX_DATA frame (RFC 9000, Section 19.9).
//
// Frames are plain values: safe for concurrent reads, not for concurrent writes.
type MaxDataFrame struct {
	Max uint64
}

// Type returns FrameTypeMaxData.
func (MaxDataFrame) Type() FrameType { return FrameTypeMaxData }

// Size returns the encoded size of f.
func (f MaxDataFrame) Size() int { return 1 + VarintLen(f.Max) }

// Append appends the frame.
func (f MaxDataFrame) Append(b []byte) []byte {
	return AppendVarint(append(b, byte(FrameTypeMaxData)), f.Max)
}

// ParseMaxData parses a MAX_DATA frame at the start of b.
func ParseMaxData(b []byte) (MaxDataFrame, int, error) {
	v, n, err := parseOneVarint(b, FrameTypeMaxData)
	return MaxDataFrame{Max: v}, n, err
}

// DataBlockedFrame is a DATA_BLOCKED frame (RFC 9000, Section 19.12).
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type DataBlockedFrame struct {
	Limit uint64
}

// Type returns FrameTypeDataBlocked.
func (DataBlockedFrame) Type() FrameType { return FrameTypeDataBlocked }

// Size returns the encoded size of f.
func (f DataBlockedFrame) Size() int { return 1 + VarintLen(f.Limit) }

// Append appends the frame.
func (f DataBlockedFrame) Append(b []byte) []byte {
	return AppendVarint(append(b, byte(FrameTypeDataBlocked)), f.Limit)
}

// ParseDataBlocked parses a DATA_BLOCKED frame at the start of b.
func ParseDataBlocked(b []byte) (DataBlockedFrame, int, error) {
	v, n, err := parseOneVarint(b, FrameTypeDataBlocked)
	return DataBlockedFrame{Limit: v}, n, err
}

// MaxStreamDataFrame is a MAX_STREAM_DATA frame (RFC 9000, Section 19.10).
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type MaxStreamDataFrame struct {
	StreamID uint64
	Max      uint64
}

// Type returns FrameTypeMaxStreamData.
func (MaxStreamDataFrame) Type() FrameType { return FrameTypeMaxStreamData }

// Size returns the encoded size of f.
func (f MaxStreamDataFrame) Size() int { return 1 + VarintLen(f.StreamID) + VarintLen(f.Max) }

// Append appends the frame.
func (f MaxStreamDataFrame) Append(b []byte) []byte {
	b = AppendVarint(append(b, byte(FrameTypeMaxStreamData)), f.StreamID)
	return AppendVarint(b, f.Max)
}

// ParseMaxStreamData parses a MAX_STREAM_DATA frame at the start of b.
func ParseMaxStreamData(b []byte) (MaxStreamDataFrame, int, error) {
	id, v, n, err := parseTwoVarints(b, FrameTypeMaxStreamData)
	return MaxStreamDataFrame{StreamID: id, Max: v}, n, err
}

// StreamDataBlockedFrame is a STREAM_DATA_BLOCKED frame (RFC 9000, Section
// 19.13).
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type StreamDataBlockedFrame struct {
	StreamID uint64
	Limit    uint64
}

// Type returns FrameTypeStreamDataBlocked.
func (StreamDataBlockedFrame) Type() FrameType { return FrameTypeStreamDataBlocked }

// Size returns the encoded size of f.
func (f StreamDataBlockedFrame) Size() int {
	return 1 + VarintLen(f.StreamID) + VarintLen(f.Limit)
}

// Append appends the frame.
func (f StreamDataBlockedFrame) Append(b []byte) []byte {
	b = AppendVarint(append(b, byte(FrameTypeStreamDataBlocked)), f.StreamID)
	return AppendVarint(b, f.Limit)
}

// ParseStreamDataBlocked parses a STREAM_DATA_BLOCKED frame at the start of b.
func ParseStreamDataBlocked(b []byte) (StreamDataBlockedFrame, int, error) {
	id, v, n, err := parseTwoVarints(b, FrameTypeStreamDataBlocked)
	return StreamDataBlockedFrame{StreamID: id, Limit: v}, n, err
}

// MaxStreamsFrame is a MAX_STREAMS frame (RFC 9000, Section 19.11).
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type MaxStreamsFrame struct {
	Bidi bool // type 0x12 if set, 0x13 otherwise
	Max  uint64
}

// Type returns FrameTypeMaxStreamsBidi or FrameTypeMaxStreamsUni.
func (f MaxStreamsFrame) Type() FrameType {
	if f.Bidi {
		return FrameTypeMaxStreamsBidi
	}
	return FrameTypeMaxStreamsUni
}

// Size returns the encoded size of f.
func (f MaxStreamsFrame) Size() int { return 1 + VarintLen(f.Max) }

// Append appends the frame.
func (f MaxStreamsFrame) Append(b []byte) []byte {
	return AppendVarint(append(b, byte(f.Type())), f.Max)
}

// ParseMaxStreams parses a MAX_STREAMS frame of either type at the start of b.
// A count above 2^60 is a FRAME_ENCODING_ERROR (RFC 9000, Section 19.11).
func ParseMaxStreams(b []byte) (MaxStreamsFrame, int, error) {
	v, t, n, err := parseStreamCount(b, FrameTypeMaxStreamsBidi)
	return MaxStreamsFrame{Bidi: t == FrameTypeMaxStreamsBidi, Max: v}, n, err
}

// StreamsBlockedFrame is a STREAMS_BLOCKED frame (RFC 9000, Section 19.14).
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type StreamsBlockedFrame struct {
	Bidi  bool // type 0x16 if set, 0x17 otherwise
	Limit uint64
}

// Type returns FrameTypeStreamsBlockedBidi or FrameTypeStreamsBlockedUni.
func (f StreamsBlockedFrame) Type() FrameType {
	if f.Bidi {
		return FrameTypeStreamsBlockedBidi
	}
	return FrameTypeStreamsBlockedUni
}

// Size returns the encoded size of f.
func (f StreamsBlockedFrame) Size() int { return 1 + VarintLen(f.Limit) }

// Append appends the frame.
func (f StreamsBlockedFrame) Append(b []byte) []byte {
	return AppendVarint(append(b, byte(f.Type())), f.Limit)
}

// ParseStreamsBlocked parses a STREAMS_BLOCKED frame of either type at the
// start of b. A count above 2^60 is a FRAME_ENCODING_ERROR (RFC 9000, Section
// 19.14).
func ParseStreamsBlocked(b []byte) (StreamsBlockedFrame, int, error) {
	v, t, n, err := parseStreamCount(b, FrameTypeStreamsBlockedBidi)
	return StreamsBlockedFrame{Bidi: t == FrameTypeStreamsBlockedBidi, Limit: v}, n, err
}

// parseStreamCount parses a MAX_STREAMS or STREAMS_BLOCKED frame; bidi is the
// bidirectional type and bidi+1 the unidirectional one.
func parseStreamCount(b []byte, bidi FrameType) (uint64, FrameType, int, error) {
	t, body, err := frameBody(b, bidi, bidi+1)
	if err != nil {
		return 0, 0, 0, err
	}
	v, n := ConsumeVarint(body)
	if n < 0 {
		return 0, 0, 0, errTruncated(t)
	}
	if v > maxStreamCount {
		return 0, 0, 0, frameError(t, "stream count above 2^60")
	}
	return v, t, 1 + n, nil
}
