// Package quicvarint is the one implementation of QUIC's variable-length
// integer encoding (RFC 9000, Section 16) shared by the QUIC wire format,
// HTTP/3 and WebTransport, which all carry these integers.
//
// The functions are pure and safe for concurrent use; none allocates beyond
// the append it is asked for.
//
// # Limitations
//
//   - Append does not check its range: a value above Max is cut to its low 62
//     bits. Callers that encode values they did not check (package wire does)
//     check them first.
package quicvarint

import "encoding/binary"

// Max is the largest value a variable-length integer can carry: 2^62-1.
const Max = 1<<62 - 1

// Len returns the number of bytes of the shortest encoding of v: 1, 2, 4 or 8.
// It returns 8 for values above Max, which cannot be encoded.
func Len(v uint64) int {
	switch {
	case v < 1<<6:
		return 1
	case v < 1<<14:
		return 2
	case v < 1<<30:
		return 4
	}
	return 8
}

// Append appends the shortest encoding of v, which must be at most Max, to b.
func Append(b []byte, v uint64) []byte {
	switch {
	case v < 1<<6:
		return append(b, byte(v))
	case v < 1<<14:
		return append(b, 0x40|byte(v>>8), byte(v))
	case v < 1<<30:
		return append(b, 0x80|byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(b, 0xc0|byte(v>>56)&0x3f, byte(v>>48), byte(v>>40), byte(v>>32),
		byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// Consume decodes the integer at the start of b. It returns the value and the
// number of bytes read, or n < 0 if b is too short to hold it. Encodings longer
// than necessary are accepted.
func Consume(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, -1
	}
	switch b[0] >> 6 {
	case 0:
		return uint64(b[0]), 1
	case 1:
		if len(b) < 2 {
			return 0, -1
		}
		return uint64(binary.BigEndian.Uint16(b)) & 0x3fff, 2
	case 2:
		if len(b) < 4 {
			return 0, -1
		}
		return uint64(binary.BigEndian.Uint32(b)) & 0x3fffffff, 4
	}
	if len(b) < 8 {
		return 0, -1
	}
	return binary.BigEndian.Uint64(b) & Max, 8
}
