package wire

import "strconv"

// FrameType is the type of a QUIC frame (RFC 9000, Section 12.4; RFC 9221,
// Section 4). Types that carry flags (ACK, STREAM, MAX_STREAMS,
// STREAMS_BLOCKED, CONNECTION_CLOSE, DATAGRAM) have one constant per value.
//
// Values of this type are immutable and safe for concurrent use.
type FrameType uint64

// Frame types.
const (
	FrameTypePadding            FrameType = 0x00
	FrameTypePing               FrameType = 0x01
	FrameTypeAck                FrameType = 0x02
	FrameTypeAckECN             FrameType = 0x03
	FrameTypeResetStream        FrameType = 0x04
	FrameTypeStopSending        FrameType = 0x05
	FrameTypeCrypto             FrameType = 0x06
	FrameTypeNewToken           FrameType = 0x07
	FrameTypeStream             FrameType = 0x08 // 0x08-0x0f, see the streamXxxBit flags
	FrameTypeStreamMax          FrameType = 0x0f
	FrameTypeMaxData            FrameType = 0x10
	FrameTypeMaxStreamData      FrameType = 0x11
	FrameTypeMaxStreamsBidi     FrameType = 0x12
	FrameTypeMaxStreamsUni      FrameType = 0x13
	FrameTypeDataBlocked        FrameType = 0x14
	FrameTypeStreamDataBlocked  FrameType = 0x15
	FrameTypeStreamsBlockedBidi FrameType = 0x16
	FrameTypeStreamsBlockedUni  FrameType = 0x17
	FrameTypeNewConnectionID    FrameType = 0x18
	FrameTypeRetireConnectionID FrameType = 0x19
	FrameTypePathChallenge      FrameType = 0x1a
	FrameTypePathResponse       FrameType = 0x1b
	FrameTypeConnectionClose    FrameType = 0x1c
	FrameTypeConnectionCloseApp FrameType = 0x1d
	FrameTypeHandshakeDone      FrameType = 0x1e
	// FrameTypeResetStreamAt is RESET_STREAM_AT of
	// draft-ietf-quic-reliable-stream-reset (Section 4). It is only valid on
	// a connection where the receiver advertised the reset_stream_at
	// transport parameter; checking that is up to the caller.
	FrameTypeResetStreamAt FrameType = 0x24
	FrameTypeDatagram      FrameType = 0x30 // without Length
	FrameTypeDatagramLen   FrameType = 0x31 // with Length
)

var frameTypeNames = [...]string{
	FrameTypePadding:            "PADDING",
	FrameTypePing:               "PING",
	FrameTypeAck:                "ACK",
	FrameTypeAckECN:             "ACK_ECN",
	FrameTypeResetStream:        "RESET_STREAM",
	FrameTypeStopSending:        "STOP_SENDING",
	FrameTypeCrypto:             "CRYPTO",
	FrameTypeNewToken:           "NEW_TOKEN",
	0x08:                        "STREAM",
	0x09:                        "STREAM",
	0x0a:                        "STREAM",
	0x0b:                        "STREAM",
	0x0c:                        "STREAM",
	0x0d:                        "STREAM",
	0x0e:                        "STREAM",
	0x0f:                        "STREAM",
	FrameTypeMaxData:            "MAX_DATA",
	FrameTypeMaxStreamData:      "MAX_STREAM_DATA",
	FrameTypeMaxStreamsBidi:     "MAX_STREAMS_BIDI",
	FrameTypeMaxStreamsUni:      "MAX_STREAMS_UNI",
	FrameTypeDataBlocked:        "DATA_BLOCKED",
	FrameTypeStreamDataBlocked:  "STREAM_DATA_BLOCKED",
	FrameTypeStreamsBlockedBidi: "STREAMS_BLOCKED_BIDI",
	FrameTypeStreamsBlockedUni:  "STREAMS_BLOCKED_UNI",
	FrameTypeNewConnectionID:    "NEW_CONNECTION_ID",
	FrameTypeRetireConnectionID: "RETIRE_CONNECTION_ID",
	FrameTypePathChallenge:      "PATH_CHALLENGE",
	FrameTypePathResponse:       "PATH_RESPONSE",
	FrameTypeConnectionClose:    "CONNECTION_CLOSE",
	FrameTypeConnectionCloseApp: "CONNECTION_CLOSE_APP",
	FrameTypeHandshakeDone:      "HANDSHAKE_DONE",
}

// String returns the RFC name of the frame type, or its hexadecimal value if
// the type is unknown.
func (t FrameType) String() string {
	switch {
	case t < FrameType(len(frameTypeNames)):
		return frameTypeNames[t]
	case t == FrameTypeDatagram || t == FrameTypeDatagramLen:
		return "DATAGRAM"
	case t == FrameTypeResetStreamAt:
		return "RESET_STREAM_AT"
	}
	return "0x" + strconv.FormatUint(uint64(t), 16)
}

// IsKnown reports whether this package can parse frames of type t.
func (t FrameType) IsKnown() bool {
	return t <= FrameTypeHandshakeDone || t == FrameTypeDatagram || t == FrameTypeDatagramLen ||
		t == FrameTypeResetStreamAt
}

// IsStream reports whether t is one of the eight STREAM frame types.
func (t FrameType) IsStream() bool {
	return t >= FrameTypeStream && t <= FrameTypeStreamMax
}

// IsAckEliciting reports whether a packet holding a frame of type t must be
// acknowledged: every frame except ACK, PADDING and CONNECTION_CLOSE
// (RFC 9000, Section 13.2.1).
func (t FrameType) IsAckEliciting() bool {
	switch t {
	case FrameTypeAck, FrameTypeAckECN, FrameTypePadding,
		FrameTypeConnectionClose, FrameTypeConnectionCloseApp:
		return false
	}
	return true
}

// IsProbing reports whether t is a probing frame, one that does not make a
// packet from a new address count as a migration (RFC 9000, Section 9.1).
func (t FrameType) IsProbing() bool {
	switch t {
	case FrameTypePadding, FrameTypeNewConnectionID, FrameTypePathChallenge,
		FrameTypePathResponse:
		return true
	}
	return false
}

// Packet type bit sets for FrameAllowed, in the order of the "Pkts" column of
// RFC 9000, Table 3.
const (
	inInitial   = 1 << PacketTypeInitial
	inHandshake = 1 << PacketTypeHandshake
	in0RTT      = 1 << PacketType0RTT
	in1RTT      = 1 << PacketType1RTT
	inIH01      = inInitial | inHandshake | in0RTT | in1RTT
	inIH1       = inInitial | inHandshake | in1RTT
	in01        = in0RTT | in1RTT
)

// FrameAllowed reports whether a frame of type t may appear in a packet of
// type pt, following RFC 9000, Table 3 (Section 12.4) and RFC 9221,
// Section 4. A frame that is not allowed is a connection error of type
// PROTOCOL_VIOLATION (RFC 9000, Section 12.4). Unknown types are not allowed
// anywhere. RESET_STREAM_AT goes in 0-RTT and 1-RTT packets, like
// RESET_STREAM (draft-ietf-quic-reliable-stream-reset, Section 4).
// RETIRE_CONNECTION_ID is allowed in 0-RTT as the table says, even though
// Section 12.5 lets a server reject it there.
func FrameAllowed(t FrameType, pt PacketType) bool {
	var set uint
	switch {
	case t == FrameTypePadding, t == FrameTypePing, t == FrameTypeConnectionClose:
		set = inIH01
	case t == FrameTypeAck, t == FrameTypeAckECN, t == FrameTypeCrypto:
		set = inIH1
	case t == FrameTypeNewToken, t == FrameTypePathResponse, t == FrameTypeHandshakeDone:
		set = in1RTT
	case t.IsKnown():
		// RESET_STREAM to RETIRE_CONNECTION_ID, PATH_CHALLENGE, the
		// application CONNECTION_CLOSE (type 0x1d, Section 12.5), DATAGRAM and
		// RESET_STREAM_AT.
		set = in01
	}
	return set&(1<<pt) != 0
}

// ConsumeFrameType reads the frame type at the start of b, which must be a
// known type in its shortest encoding. It returns a FRAME_ENCODING_ERROR for
// an unknown type or a truncated buffer, and a PROTOCOL_VIOLATION for a type
// encoded in more bytes than necessary (RFC 9000, Section 12.4).
func ConsumeFrameType(b []byte) (FrameType, int, error) {
	v, n, minimal := ConsumeMinimalVarint(b)
	if n < 0 {
		return 0, 0, frameError(0, "truncated frame type")
	}
	t := FrameType(v)
	if !t.IsKnown() {
		return t, n, &TransportError{Code: FrameEncodingError, FrameType: t,
			Reason: "unknown frame type"}
	}
	if !minimal {
		return t, n, &TransportError{Code: ProtocolViolation, FrameType: t,
			Reason: "frame type not minimally encoded"}
	}
	return t, n, nil
}

// Frame is implemented by every frame struct of this package. It exists for
// tests, tracing and code off the hot path; the connection's receive loop calls
// the typed ParseXxx functions instead, since putting a frame in an interface
// allocates.
//
// Implementations in this package are plain values, safe for concurrent reads.
type Frame interface {
	// Type returns the frame type that Append writes.
	Type() FrameType
	// Size returns the number of bytes Append writes.
	Size() int
	// Append appends the encoded frame to b.
	Append(b []byte) []byte
}

// ParseFrame parses the frame at the start of b, whatever its type, and
// returns it with the number of bytes it occupies. ACK ranges go into ranges
// as ParseAck describes. Unlike the typed parsers, it allocates.
func ParseFrame(b []byte, ranges []AckRange) (Frame, int, error) {
	t, _, err := ConsumeFrameType(b)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case t == FrameTypePadding:
		n := ParsePadding(b)
		return PaddingFrame{Len: n}, n, nil
	case t == FrameTypePing:
		return PingFrame{}, 1, nil
	case t == FrameTypeAck || t == FrameTypeAckECN:
		return parseAs(ParseAck(b, ranges))
	case t == FrameTypeResetStream:
		return parseAs(ParseResetStream(b))
	case t == FrameTypeResetStreamAt:
		return parseAs(ParseResetStreamAt(b))
	case t == FrameTypeStopSending:
		return parseAs(ParseStopSending(b))
	case t == FrameTypeCrypto:
		return parseAs(ParseCrypto(b))
	case t == FrameTypeNewToken:
		return parseAs(ParseNewToken(b))
	case t.IsStream():
		return parseAs(ParseStream(b))
	case t == FrameTypeMaxData:
		return parseAs(ParseMaxData(b))
	case t == FrameTypeMaxStreamData:
		return parseAs(ParseMaxStreamData(b))
	case t == FrameTypeMaxStreamsBidi || t == FrameTypeMaxStreamsUni:
		return parseAs(ParseMaxStreams(b))
	case t == FrameTypeDataBlocked:
		return parseAs(ParseDataBlocked(b))
	case t == FrameTypeStreamDataBlocked:
		return parseAs(ParseStreamDataBlocked(b))
	case t == FrameTypeStreamsBlockedBidi || t == FrameTypeStreamsBlockedUni:
		return parseAs(ParseStreamsBlocked(b))
	case t == FrameTypeNewConnectionID:
		return parseAs(ParseNewConnectionID(b))
	case t == FrameTypeRetireConnectionID:
		return parseAs(ParseRetireConnectionID(b))
	case t == FrameTypePathChallenge:
		return parseAs(ParsePathChallenge(b))
	case t == FrameTypePathResponse:
		return parseAs(ParsePathResponse(b))
	case t == FrameTypeConnectionClose || t == FrameTypeConnectionCloseApp:
		return parseAs(ParseConnectionClose(b))
	case t == FrameTypeHandshakeDone:
		return HandshakeDoneFrame{}, 1, nil
	}
	return parseAs(ParseDatagram(b))
}

// parseAs converts the result of a typed parser to ParseFrame's.
func parseAs[F Frame](f F, n int, err error) (Frame, int, error) {
	if err != nil {
		return nil, 0, err
	}
	return f, n, nil
}

// frameBody checks that b starts with a frame type in [lo, hi] (a bug of the
// caller otherwise, reported as an error all the same) and returns the type
// and the bytes after it.
func frameBody(b []byte, lo, hi FrameType) (FrameType, []byte, error) {
	if len(b) == 0 || FrameType(b[0]) < lo || FrameType(b[0]) > hi {
		return lo, nil, frameError(lo, "wrong frame type for parser")
	}
	return FrameType(b[0]), b[1:], nil
}

// errTruncated is returned for a frame whose fields run past the end of b.
func errTruncated(t FrameType) error { return frameError(t, "frame truncated") }
