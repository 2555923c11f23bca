package recovery

import "errors"

// Space is a packet number space (RFC 9000, Section 12.3).
type Space uint8

const (
	// Initial is the space of Initial packets.
	Initial Space = iota
	// Handshake is the space of Handshake packets.
	Handshake
	// AppData is the space of 0-RTT and 1-RTT packets.
	AppData

	// NumSpaces is the number of packet number spaces, for arrays indexed
	// by Space.
	NumSpaces = 3
)

// String returns the space's name.
func (s Space) String() string {
	switch s {
	case Initial:
		return "initial"
	case Handshake:
		return "handshake"
	case AppData:
		return "appdata"
	}
	return "invalid"
}

// AckRange is an inclusive range of packet numbers, Smallest <= Largest, as
// carried by an ACK frame. The connection translates between this type and
// its wire representation.
type AckRange struct {
	Smallest, Largest int64
}

// ErrUnsentPacketAcked is returned by LossDetector.OnAckReceived when an ACK
// frame acknowledges a packet number that was never sent in that space. The
// connection must close with PROTOCOL_VIOLATION (RFC 9000, Section 13.1).
var ErrUnsentPacketAcked = errors.New("recovery: ACK of a packet number never sent")

// ErrBadAckRanges is returned by LossDetector.OnAckReceived when the ranges
// are not in strictly descending, non-overlapping order or a range has
// Smallest > Largest or a negative bound. A frame decoder that follows
// RFC 9000, Section 19.3.1 never produces such ranges; the connection should
// treat it as FRAME_ENCODING_ERROR.
var ErrBadAckRanges = errors.New("recovery: malformed ACK ranges")

// Handler receives the per-packet outcome of ACK processing and loss
// detection, so that the connection can release or rebuild the frames each
// packet carried. Calls happen synchronously inside LossDetector methods; a
// Handler must not call back into the LossDetector.
//
// Implementations are typically the connection itself (a pointer), which
// keeps the calls free of allocation.
type Handler interface {
	// PacketAcked reports that packet pn of space was newly acknowledged.
	PacketAcked(space Space, pn int64)
	// PacketLost reports that packet pn of space was declared lost; its
	// frames should be rebuilt from current state if still needed.
	PacketLost(space Space, pn int64)
}
