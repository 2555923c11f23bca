package wire

import (
	"math"
	"time"
)

// DefaultMaxAckRanges is the number of ACK ranges ParseAck keeps when the
// caller supplies a slice without capacity.
const DefaultMaxAckRanges = 64

// AckRange is a closed interval of acknowledged packet numbers.
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type AckRange struct {
	Smallest PacketNumber
	Largest  PacketNumber
}

// AckFrame is an ACK frame (RFC 9000, Section 19.3), of type 0x03 when ECN is
// set. Ranges are in descending order, as on the wire: Ranges[0] holds the
// Largest Acknowledged packet, and consecutive ranges are separated by at
// least one unacknowledged packet.
//
// Frames are plain values: safe for concurrent reads, not for concurrent writes.
type AckFrame struct {
	Ranges []AckRange
	// AckDelay is the encoded ACK Delay field, in units of 2^ack_delay_exponent
	// microseconds; see AckDelayDuration and EncodeAckDelay.
	AckDelay uint64
	// ECN marks a frame with ECN counts (type 0x03).
	ECN   bool
	ECT0  uint64
	ECT1  uint64
	ECNCE uint64
	// Truncated is set by ParseAck when the frame had more ranges than the
	// caller's slice could hold; Ranges then holds the ranges with the
	// highest packet numbers and the older ones were checked and dropped.
	Truncated bool
}

// Largest returns the Largest Acknowledged field, or InvalidPacketNumber if
// f has no range.
func (f *AckFrame) Largest() PacketNumber {
	if len(f.Ranges) == 0 {
		return InvalidPacketNumber
	}
	return f.Ranges[0].Largest
}

// AckDelayDuration converts an encoded ACK Delay to a duration, given the
// sender's ack_delay_exponent (RFC 9000, Section 19.3). Values too large to
// represent saturate.
func AckDelayDuration(delay uint64, exponent uint8) time.Duration {
	if exponent > 20 || delay > math.MaxInt64>>(exponent+10) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(delay<<exponent) * time.Microsecond
}

// EncodeAckDelay converts a duration to the ACK Delay field for the given
// ack_delay_exponent. Negative durations encode as 0.
func EncodeAckDelay(d time.Duration, exponent uint8) uint64 {
	if d <= 0 {
		return 0
	}
	return min(uint64(d/time.Microsecond)>>exponent, MaxVarint)
}

// Type returns FrameTypeAckECN if f.ECN is set and FrameTypeAck otherwise.
func (f AckFrame) Type() FrameType {
	if f.ECN {
		return FrameTypeAckECN
	}
	return FrameTypeAck
}

// Size returns the encoded size of f.
func (f AckFrame) Size() int {
	if len(f.Ranges) == 0 {
		return 0
	}
	first := f.Ranges[0]
	n := 1 + VarintLen(uint64(first.Largest)) + VarintLen(f.AckDelay) +
		VarintLen(uint64(len(f.Ranges)-1)) + VarintLen(uint64(first.Largest-first.Smallest))
	for i := 1; i < len(f.Ranges); i++ {
		gap, length := ackGapAndLen(f.Ranges[i-1], f.Ranges[i])
		n += VarintLen(gap) + VarintLen(length)
	}
	if f.ECN {
		n += VarintLen(f.ECT0) + VarintLen(f.ECT1) + VarintLen(f.ECNCE)
	}
	return n
}

func ackGapAndLen(prev, r AckRange) (gap, length uint64) {
	return uint64(prev.Smallest - r.Largest - 2), uint64(r.Largest - r.Smallest)
}

// Append appends the frame. f.Ranges must be non-empty, in descending order
// and separated by gaps; anything else is a bug of the caller and panics.
func (f AckFrame) Append(b []byte) []byte {
	if len(f.Ranges) == 0 {
		panic("wire: ACK frame without ranges")
	}
	first := f.Ranges[0]
	b = append(b, byte(f.Type()))
	b = AppendVarint(b, uint64(first.Largest))
	b = AppendVarint(b, f.AckDelay)
	b = AppendVarint(b, uint64(len(f.Ranges)-1))
	b = AppendVarint(b, uint64(first.Largest-first.Smallest))
	for i := 1; i < len(f.Ranges); i++ {
		gap, length := ackGapAndLen(f.Ranges[i-1], f.Ranges[i])
		b = AppendVarint(b, gap)
		b = AppendVarint(b, length)
	}
	if f.ECN {
		b = AppendVarint(b, f.ECT0)
		b = AppendVarint(b, f.ECT1)
		b = AppendVarint(b, f.ECNCE)
	}
	return b
}

// ParseAck parses an ACK frame of either type at the start of b. The ranges
// are appended to ranges[:0], which is never grown beyond its capacity (or
// DefaultMaxAckRanges if that is 0), so a hostile frame cannot make it
// allocate: past that limit, ranges are still validated but dropped, and the
// frame is marked Truncated. Pass the previous frame's Ranges back in to reuse
// the memory. A range that would reach below packet number 0 is a
// FRAME_ENCODING_ERROR (RFC 9000, Section 19.3.1).
func ParseAck(b []byte, ranges []AckRange) (AckFrame, int, error) {
	t, body, err := frameBody(b, FrameTypeAck, FrameTypeAckECN)
	if err != nil {
		return AckFrame{}, 0, err
	}
	limit := cap(ranges)
	if limit == 0 {
		limit = DefaultMaxAckRanges
	}
	r := newReader(body)
	largest := r.varint()
	f := AckFrame{AckDelay: r.varint(), ECN: t == FrameTypeAckECN, Ranges: ranges[:0]}
	count := r.varint()
	firstLen := r.varint()
	if !r.ok {
		return AckFrame{}, 0, errTruncated(t)
	}
	if firstLen > largest {
		return AckFrame{}, 0, frameError(t, "ACK range below packet number 0")
	}
	smallest := largest - firstLen
	f.Ranges = append(f.Ranges, AckRange{PacketNumber(smallest), PacketNumber(largest)})

	// Each range takes at least two bytes, so the loop ends when the buffer
	// does, whatever count claims.
	for i := uint64(0); i < count && r.ok; i++ {
		var gap, length uint64
		if b := r.b; len(b) >= 2 && b[0]|b[1] < 0x40 {
			// Fast path: one-byte gap and length, the common case.
			gap, length = uint64(b[0]), uint64(b[1])
			r.b = b[2:]
		} else if gap, length = r.varint(), r.varint(); !r.ok {
			break
		}
		if smallest < gap+2 {
			return AckFrame{}, 0, frameError(t, "ACK gap below packet number 0")
		}
		largest = smallest - gap - 2
		if largest < length {
			return AckFrame{}, 0, frameError(t, "ACK range below packet number 0")
		}
		smallest = largest - length
		if len(f.Ranges) < limit {
			f.Ranges = append(f.Ranges, AckRange{PacketNumber(smallest), PacketNumber(largest)})
		} else {
			f.Truncated = true
		}
	}
	if f.ECN {
		f.ECT0, f.ECT1, f.ECNCE = r.varint(), r.varint(), r.varint()
	}
	if !r.ok {
		return AckFrame{}, 0, errTruncated(t)
	}
	return f, len(b) - len(r.b), nil
}
