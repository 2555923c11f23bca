package h3

import (
	"errors"
	"io"
)

// maxVarint is the largest value a QUIC variable-length integer can hold
// (RFC 9000, Section 16).
const maxVarint = 1<<62 - 1

var errVarintTruncated = errors.New("h3: truncated variable-length integer")

// varintLen returns the encoded size of v, which must be at most maxVarint.
func varintLen(v uint64) int {
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

// appendVarint appends v, which must be at most maxVarint, in the shortest
// encoding.
func appendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 1<<6:
		return append(b, byte(v))
	case v < 1<<14:
		return append(b, byte(v>>8)|0x40, byte(v))
	case v < 1<<30:
		return append(b, byte(v>>24)|0x80, byte(v>>16), byte(v>>8), byte(v))
	}
	return append(b, byte(v>>56)|0xc0, byte(v>>48), byte(v>>40), byte(v>>32),
		byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// parseVarint decodes a varint at the start of b and returns it with its size;
// n is 0 when b is too short.
func parseVarint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0
	}
	v = uint64(b[0] & 0x3f)
	for i := 1; i < n; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, n
}

// readVarint reads one varint from r. It returns io.EOF when r ends before the
// first byte and errVarintTruncated when it ends inside the integer.
func readVarint(r io.ByteReader) (uint64, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	n := 1 << (b >> 6)
	v := uint64(b & 0x3f)
	for i := 1; i < n; i++ {
		b, err = r.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = errVarintTruncated
			}
			return 0, err
		}
		v = v<<8 | uint64(b)
	}
	return v, nil
}
