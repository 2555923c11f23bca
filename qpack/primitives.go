package qpack

// maxVarint is the largest value a prefixed integer may carry here. RFC 9204,
// Section 4.1.1 leaves the limit to the implementation; every quantity QPACK
// encodes fits in 62 bits, like a QUIC variable-length integer.
const maxVarint = 1<<62 - 1

// appendInt appends v as a prefixed integer (RFC 7541, Section 5.1, used by
// RFC 9204, Section 4.1.1) whose prefix has n bits. first holds the bits of
// the first byte above the prefix; its low n bits must be zero.
func appendInt(b []byte, first byte, n uint8, v uint64) []byte {
	limit := uint64(1)<<n - 1
	if v < limit {
		return append(b, first|byte(v))
	}
	b = append(b, first|byte(limit))
	v -= limit
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// readInt reads a prefixed integer with an n-bit prefix from the start of p.
// It returns the value and the number of bytes read, errNeedMore when p ends
// inside the integer, or errIntegerOverflow when the value exceeds maxVarint.
func readInt(p []byte, n uint8) (uint64, int, error) {
	if len(p) == 0 {
		return 0, 0, errNeedMore
	}
	limit := uint64(1)<<n - 1
	v := uint64(p[0]) & limit
	if v < limit {
		return v, 1, nil
	}
	var shift uint
	for i := 1; i < len(p); i++ {
		c := p[i]
		// Ten continuation bytes carry 70 bits: more than any valid value.
		if shift > 63 {
			return 0, 0, errIntegerOverflow
		}
		add := uint64(c & 0x7f)
		if shift > 0 && add > maxVarint>>shift {
			return 0, 0, errIntegerOverflow
		}
		v += add << shift
		if v > maxVarint {
			return 0, 0, errIntegerOverflow
		}
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
		shift += 7
	}
	return 0, 0, errNeedMore
}

// appendString appends s as a string literal (RFC 9204, Section 4.1.2) whose
// length has an n-bit prefix; the Huffman flag is the bit just above the
// prefix and first holds the bits above that. The Huffman code is used when
// it is shorter and huff is set.
func appendString(b []byte, first byte, n uint8, s string, huff bool) []byte {
	if hl := huffmanEncodedLen(s); huff && hl < len(s) {
		b = appendInt(b, first|1<<n, n, uint64(hl))
		return appendHuffman(b, s)
	}
	b = appendInt(b, first, n, uint64(len(s)))
	return append(b, s...)
}

// stringReader decodes string literals, reusing one buffer for Huffman
// output. Its zero value is ready for use.
type stringReader struct {
	buf []byte
}

// read reads a string literal like appendStringLiteral and returns it as a
// string of its own.
func (r *stringReader) read(p []byte, n uint8, limit uint64) (string, int, error) {
	var k int
	var err error
	r.buf, k, err = appendStringLiteral(r.buf[:0], p, n, limit)
	if err != nil {
		return "", 0, err
	}
	return string(r.buf), k, nil
}

// appendStringLiteral reads a string literal whose length has an n-bit
// prefix from the start of p and appends its decoded bytes to dst, refusing
// any string whose decoded length would exceed limit before it allocates.
// It returns dst and the bytes consumed; errNeedMore when p ends inside the
// literal, errTooLong when the limit is hit, errHuffman or
// errIntegerOverflow when the literal is malformed. On error dst is
// returned unchanged.
func appendStringLiteral(dst, p []byte, n uint8, limit uint64) ([]byte, int, error) {
	if len(p) == 0 {
		return dst, 0, errNeedMore
	}
	huff := p[0]&(1<<n) != 0
	length, k, err := readInt(p, n)
	if err != nil {
		return dst, 0, err
	}
	// Refuse a string that cannot fit before waiting for its bytes: a
	// Huffman code is at most 30 bits a byte.
	if !huff && length > limit || huff && length > limit/8*30+8 {
		return dst, 0, errTooLong
	}
	if length > uint64(len(p)-k) {
		return dst, 0, errNeedMore
	}
	data := p[k : k+int(length)]
	if !huff {
		return append(dst, data...), k + int(length), nil
	}
	out, err := appendHuffmanDecoded(dst, data, limit)
	if err != nil {
		return dst, 0, err
	}
	return out, k + int(length), nil
}
