package wire

import "github.com/peregrine-h3/peregrine/internal/quicvarint"

// MaxVarint is the largest value a variable-length integer can carry
// (RFC 9000, Section 16): 2^62-1.
const MaxVarint = quicvarint.Max

// VarintLen returns the number of bytes of the shortest encoding of v:
// 1, 2, 4 or 8. It returns 8 for values above MaxVarint, which cannot be
// encoded; callers check the range first.
func VarintLen(v uint64) int { return quicvarint.Len(v) }

// AppendVarint appends the shortest encoding of v to b. It panics if v is
// above MaxVarint: a value that large can only come from a bug of ours, since
// every peer-supplied value is range-checked when parsed.
func AppendVarint(b []byte, v uint64) []byte {
	if v > MaxVarint {
		panic("wire: varint value above 2^62-1")
	}
	return quicvarint.Append(b, v)
}

// AppendVarintN appends v encoded in exactly n bytes (1, 2, 4 or 8), which may
// be longer than the shortest encoding. It is used to reserve a slot of fixed
// width that PutVarintN fills in later. It panics if n is not a valid width or
// v does not fit in n bytes; both are bugs of the caller.
func AppendVarintN(b []byte, v uint64, n int) []byte {
	off := len(b)
	for range n {
		b = append(b, 0)
	}
	PutVarintN(b[off:], v, n)
	return b
}

// PutVarintN writes v into b[:n] as a varint of exactly n bytes (1, 2, 4 or 8).
// Packet builders use it to fill a Length field reserved before the payload was
// known. It panics if n is not a valid width, b is shorter than n or v does not
// fit in n bytes; each of these is a bug of the caller.
func PutVarintN(b []byte, v uint64, n int) {
	_ = b[n-1]
	switch n {
	case 1:
		if v >= 1<<6 {
			break
		}
		b[0] = byte(v)
		return
	case 2:
		if v >= 1<<14 {
			break
		}
		b[0], b[1] = 0x40|byte(v>>8), byte(v)
		return
	case 4:
		if v >= 1<<30 {
			break
		}
		b[0], b[1], b[2], b[3] = 0x80|byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		return
	case 8:
		if v > MaxVarint {
			break
		}
		for i := range 8 {
			b[i] = byte(v >> (56 - 8*i))
		}
		b[0] |= 0xc0
		return
	}
	panic("wire: varint value does not fit the requested width")
}

// ConsumeVarint decodes the varint at the start of b. It returns the value and
// the number of bytes read, or n < 0 if b is too short to hold it. It accepts
// encodings that are longer than necessary; see ConsumeMinimalVarint.
func ConsumeVarint(b []byte) (v uint64, n int) { return quicvarint.Consume(b) }

// ConsumeMinimalVarint is ConsumeVarint that also reports whether the
// encoding was the shortest possible one, as RFC 9000, Section 12.4 requires
// for frame types.
func ConsumeMinimalVarint(b []byte) (v uint64, n int, minimal bool) {
	v, n = ConsumeVarint(b)
	if n < 0 {
		return 0, n, false
	}
	return v, n, VarintLen(v) == n
}

// consumeVarintField reads a varint and returns the rest of b. ok is false when
// b is truncated.
func consumeVarintField(b []byte) (v uint64, rest []byte, ok bool) {
	v, n := ConsumeVarint(b)
	if n < 0 {
		return 0, b, false
	}
	return v, b[n:], true
}
