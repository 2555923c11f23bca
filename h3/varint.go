package h3

import (
	"errors"
	"io"

	"github.com/peregrine-h3/peregrine/internal/quicvarint"
)

// maxVarint is the largest value a QUIC variable-length integer can hold
// (RFC 9000, Section 16).
const maxVarint = quicvarint.Max

var errVarintTruncated = errors.New("h3: truncated variable-length integer")

// varintLen returns the encoded size of v, which must be at most maxVarint.
func varintLen(v uint64) int { return quicvarint.Len(v) }

// appendVarint appends v, which must be at most maxVarint, in the shortest
// encoding.
func appendVarint(b []byte, v uint64) []byte { return quicvarint.Append(b, v) }

// parseVarint decodes a varint at the start of b and returns it with its size;
// n is 0 when b is too short.
func parseVarint(b []byte) (v uint64, n int) {
	v, n = quicvarint.Consume(b)
	if n < 0 {
		return 0, 0
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
