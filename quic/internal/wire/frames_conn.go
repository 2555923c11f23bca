package wire

// NewTokenFrame is a NEW_TOKEN frame (RFC 9000, Section 19.7). Token aliases
// the buffer the frame was parsed from; copy it to keep it.
//
// Frames are plain values: safe for concurrent reads, not for concurrent writes.
type NewTokenFrame struct {
	Token []byte
}

// Type returns FrameTypeNewToken.
func (NewTokenFrame) Type() FrameType { return FrameTypeNewToken }

// Size returns the encoded size of f.
func (f NewTokenFrame) Size() int { return 1 + VarintLen(uint64(len(f.Token))) + len(f.Token) }

// Append appends the frame.
func (f NewTokenFrame) Append(b []byte) []byte {
	b = AppendVarint(append(b, byte(FrameTypeNewToken)), uint64(len(f.Token)))
	return append(b, f.Token...)
}

// ParseNewToken parses a NEW_TOKEN frame at the start of b. An empty token is
// a FRAME_ENCODING_ERROR (RFC 9000, Section 19.7).
func ParseNewToken(b []byte) (NewTokenFrame, int, error) {
	t, body, err := frameBody(b, FrameTypeNewToken, FrameTypeNewToken)
	if err != nil {
		return NewTokenFrame{}, 0, err
	}
	r := newReader(body)
	f := NewTokenFrame{Token: r.lenBytes()}
	if !r.ok {
		return NewTokenFrame{}, 0, errTruncated(t)
	}
	if len(f.Token) == 0 {
		return NewTokenFrame{}, 0, frameError(t, "empty token")
	}
	return f, len(b) - len(r.b), nil
}

// NewConnectionIDFrame is a NEW_CONNECTION_ID frame (RFC 9000, Section 19.15).
// ConnectionID aliases the buffer the frame was parsed from.
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type NewConnectionIDFrame struct {
	SequenceNumber      uint64
	RetirePriorTo       uint64
	ConnectionID        []byte
	StatelessResetToken [16]byte
}

// Type returns FrameTypeNewConnectionID.
func (NewConnectionIDFrame) Type() FrameType { return FrameTypeNewConnectionID }

// Size returns the encoded size of f.
func (f NewConnectionIDFrame) Size() int {
	return 1 + VarintLen(f.SequenceNumber) + VarintLen(f.RetirePriorTo) + 1 +
		len(f.ConnectionID) + len(f.StatelessResetToken)
}

// Append appends the frame.
func (f NewConnectionIDFrame) Append(b []byte) []byte {
	b = AppendVarint(append(b, byte(FrameTypeNewConnectionID)), f.SequenceNumber)
	b = AppendVarint(b, f.RetirePriorTo)
	b = appendConnID(b, f.ConnectionID)
	return append(b, f.StatelessResetToken[:]...)
}

// ParseNewConnectionID parses a NEW_CONNECTION_ID frame at the start of b.
// A connection ID of length 0 or above 20, or a Retire Prior To above the
// sequence number, is a FRAME_ENCODING_ERROR (RFC 9000, Section 19.15).
func ParseNewConnectionID(b []byte) (NewConnectionIDFrame, int, error) {
	t, body, err := frameBody(b, FrameTypeNewConnectionID, FrameTypeNewConnectionID)
	if err != nil {
		return NewConnectionIDFrame{}, 0, err
	}
	r := newReader(body)
	f := NewConnectionIDFrame{SequenceNumber: r.varint(), RetirePriorTo: r.varint()}
	cidLen := r.byte1()
	if r.ok && (cidLen < 1 || cidLen > MaxConnIDLen) {
		return NewConnectionIDFrame{}, 0, frameError(t, "connection ID length not 1 to 20")
	}
	f.ConnectionID = r.bytes(uint64(cidLen))
	copy(f.StatelessResetToken[:], r.bytes(uint64(len(f.StatelessResetToken))))
	if !r.ok {
		return NewConnectionIDFrame{}, 0, errTruncated(t)
	}
	if f.RetirePriorTo > f.SequenceNumber {
		return NewConnectionIDFrame{}, 0, frameError(t, "retire prior to above sequence number")
	}
	return f, len(b) - len(r.b), nil
}

// ConnectionCloseFrame is a CONNECTION_CLOSE frame (RFC 9000, Section 19.19):
// type 0x1c for transport errors, 0x1d (App set) for application errors.
// Reason aliases the buffer the frame was parsed from.
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type ConnectionCloseFrame struct {
	App       bool
	ErrorCode uint64 // a TransportErrorCode unless App is set
	// FrameType is the type of the frame that caused a transport error; it
	// is absent from application closes.
	FrameType FrameType
	Reason    []byte
}

// Type returns FrameTypeConnectionCloseApp if f.App is set and
// FrameTypeConnectionClose otherwise.
func (f ConnectionCloseFrame) Type() FrameType {
	if f.App {
		return FrameTypeConnectionCloseApp
	}
	return FrameTypeConnectionClose
}

// Size returns the encoded size of f.
func (f ConnectionCloseFrame) Size() int {
	n := 1 + VarintLen(f.ErrorCode) + VarintLen(uint64(len(f.Reason))) + len(f.Reason)
	if !f.App {
		n += VarintLen(uint64(f.FrameType))
	}
	return n
}

// Append appends the frame.
func (f ConnectionCloseFrame) Append(b []byte) []byte {
	b = AppendVarint(append(b, byte(f.Type())), f.ErrorCode)
	if !f.App {
		b = AppendVarint(b, uint64(f.FrameType))
	}
	b = AppendVarint(b, uint64(len(f.Reason)))
	return append(b, f.Reason...)
}

// ParseConnectionClose parses a CONNECTION_CLOSE frame of either type at the
// start of b.
func ParseConnectionClose(b []byte) (ConnectionCloseFrame, int, error) {
	t, body, err := frameBody(b, FrameTypeConnectionClose, FrameTypeConnectionCloseApp)
	if err != nil {
		return ConnectionCloseFrame{}, 0, err
	}
	r := newReader(body)
	f := ConnectionCloseFrame{App: t == FrameTypeConnectionCloseApp, ErrorCode: r.varint()}
	if !f.App {
		f.FrameType = FrameType(r.varint())
	}
	f.Reason = r.lenBytes()
	if !r.ok {
		return ConnectionCloseFrame{}, 0, errTruncated(t)
	}
	return f, len(b) - len(r.b), nil
}
