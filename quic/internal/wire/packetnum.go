package wire

// PacketNumber is a QUIC packet number, 0 to 2^62-1 (RFC 9000, Section 12.3).
// The negative value InvalidPacketNumber stands for "none".
//
// Values of this type are immutable and safe for concurrent use.
type PacketNumber int64

const (
	// InvalidPacketNumber means no packet number, e.g. nothing acknowledged
	// or received yet in a packet number space.
	InvalidPacketNumber PacketNumber = -1
	// MaxPacketNumber is the largest packet number an endpoint may use.
	MaxPacketNumber PacketNumber = 1<<62 - 1
)

// PacketNumberLen returns the number of bytes (1 to 4) to encode pn in a
// header so that the receiver can recover it, given the largest packet number
// the peer has acknowledged in the same space (InvalidPacketNumber if none).
// Following RFC 9000, Section 17.1, the encoding covers more than twice the
// number of packets in flight.
func PacketNumberLen(pn, largestAcked PacketNumber) int {
	var unacked uint64
	if largestAcked < 0 {
		unacked = uint64(pn) + 1
	} else {
		unacked = uint64(pn - largestAcked)
	}
	// Enough bits to represent 2*unacked, i.e. one more than unacked needs.
	switch {
	case unacked < 1<<7:
		return 1
	case unacked < 1<<15:
		return 2
	case unacked < 1<<23:
		return 3
	}
	return 4
}

// AppendPacketNumber appends the n low-order bytes of pn (n is 1 to 4), the
// truncated form carried in packet headers.
func AppendPacketNumber(b []byte, pn PacketNumber, n int) []byte {
	switch n {
	case 1:
		return append(b, byte(pn))
	case 2:
		return append(b, byte(pn>>8), byte(pn))
	case 3:
		return append(b, byte(pn>>16), byte(pn>>8), byte(pn))
	case 4:
		return append(b, byte(pn>>24), byte(pn>>16), byte(pn>>8), byte(pn))
	}
	panic("wire: packet number length must be 1 to 4")
}

// ReadPacketNumber reads a truncated packet number of n bytes (1 to 4) from
// the start of b, after header protection has been removed. ok is false if b
// is shorter than n or n is out of range.
func ReadPacketNumber(b []byte, n int) (truncated uint32, ok bool) {
	if n < 1 || n > 4 || len(b) < n {
		return 0, false
	}
	for _, c := range b[:n] {
		truncated = truncated<<8 | uint32(c)
	}
	return truncated, true
}

// DecodePacketNumber recovers a full packet number from its truncated form of
// n bytes (1 to 4), given the largest packet number successfully processed in
// the same space (InvalidPacketNumber if none). It implements the algorithm
// of RFC 9000, Appendix A.3. Near the end of the packet number space the
// result can exceed MaxPacketNumber; the caller drops such a packet.
func DecodePacketNumber(largest PacketNumber, truncated uint32, n int) PacketNumber {
	if n < 1 || n > 4 {
		n = 4
	}
	nbits := uint(8 * n)
	expected := int64(largest) + 1
	win := int64(1) << nbits
	hwin := win / 2
	mask := win - 1
	candidate := (expected &^ mask) | (int64(truncated) & mask)
	switch {
	case candidate <= expected-hwin && candidate < int64(MaxPacketNumber)+1-win:
		candidate += win
	case candidate > expected+hwin && candidate >= win:
		candidate -= win
	}
	return PacketNumber(candidate)
}
