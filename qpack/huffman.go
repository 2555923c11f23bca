package qpack

// huffmanEOS is the EOS symbol of RFC 7541, Appendix B.
const huffmanEOS = 256

// huffmanMaxLen is the longest code of RFC 7541, Appendix B, in bits.
const huffmanMaxLen = 30

// huffmanFastBits is how many bits the first decoding table looks at.
const huffmanFastBits = 10

// huffmanCode holds the code of each symbol, right-aligned, built from
// huffmanBitLen.
var huffmanCode [257]uint32

// Decoding tables, built from huffmanBitLen.
var (
	// huffmanFast maps the first huffmanFastBits bits of the input to a
	// symbol whose code is at most that long: the low 9 bits hold the
	// symbol, the high bits the code length; zero means the code is longer.
	huffmanFast [1 << huffmanFastBits]uint16
	// huffmanLimit[n] is one more than the largest n-bit code, left-aligned
	// in 32 bits as a uint64 so that the value 1<<32 fits; a 32-bit window
	// starts with an n-bit code of length n exactly when it is below
	// huffmanLimit[n] and not below huffmanLimit[n-1].
	huffmanLimit [huffmanMaxLen + 1]uint64
	// huffmanFirst[n] is the smallest n-bit code and huffmanOffset[n] the
	// position of its symbol in huffmanSorted.
	huffmanFirst  [huffmanMaxLen + 1]uint32
	huffmanOffset [huffmanMaxLen + 1]uint16
	// huffmanSorted lists the symbols by code length, then by symbol.
	huffmanSorted [257]uint16
)

func init() {
	buildHuffmanCodes()
}

// buildHuffmanCodes assigns the canonical codes: going through the lengths
// in increasing order and the symbols of each length in increasing order,
// each code is the previous one plus one, shifted left by the increase in
// length.
func buildHuffmanCodes() {
	var count [huffmanMaxLen + 1]int
	for _, n := range huffmanBitLen {
		count[n]++
	}
	pos := 0
	code := uint32(0)
	for n := 1; n <= huffmanMaxLen; n++ {
		huffmanFirst[n] = code
		huffmanOffset[n] = uint16(pos)
		for sym, l := range huffmanBitLen {
			if int(l) != n {
				continue
			}
			huffmanCode[sym] = code
			huffmanSorted[pos] = uint16(sym)
			pos++
			code++
		}
		huffmanLimit[n] = uint64(code) << (32 - n)
		code <<= 1
	}
	for sym, n := range huffmanBitLen {
		if n > huffmanFastBits {
			continue
		}
		start := huffmanCode[sym] << (huffmanFastBits - n)
		for i := uint32(0); i < 1<<(huffmanFastBits-n); i++ {
			huffmanFast[start+i] = uint16(n)<<9 | uint16(sym)
		}
	}
}

// huffmanEncodedLen returns the length of s once Huffman-coded.
func huffmanEncodedLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n += int(huffmanBitLen[s[i]])
	}
	return (n + 7) / 8
}

// appendHuffman appends the Huffman coding of s, padded with the most
// significant bits of EOS (all ones) to a whole byte (RFC 7541, Section
// 5.2).
func appendHuffman(b []byte, s string) []byte {
	var acc uint64 // pending bits, right-aligned
	var nacc uint  // how many
	for i := 0; i < len(s); i++ {
		c := s[i]
		n := uint(huffmanBitLen[c])
		acc = acc<<n | uint64(huffmanCode[c])
		nacc += n
		for nacc >= 8 {
			nacc -= 8
			b = append(b, byte(acc>>nacc))
		}
	}
	if nacc > 0 {
		b = append(b, byte(acc<<(8-nacc))|byte(0xff>>nacc))
	}
	return b
}

// appendHuffmanDecoded appends the decoding of the Huffman-coded src to dst.
// Decoding is strict (RFC 7541, Section 5.2): EOS in the data, padding longer
// than 7 bits and padding that is not all ones are errors (errHuffman). The
// output may not exceed limit bytes (errTooLong); it is checked once the
// string is decoded, since the output can be at most 8/5 of the input, which
// is all present.
func appendHuffmanDecoded(dst, src []byte, limit uint64) ([]byte, error) {
	start := len(dst)
	out, err := huffmanDecode(dst, src)
	if err != nil {
		return dst, err
	}
	if uint64(len(out)-start) > limit {
		return dst, errTooLong
	}
	return out, nil
}

// huffmanDecode decodes src, appending to dst, without a length limit.
func huffmanDecode(dst, src []byte) ([]byte, error) {
	var acc uint64 // unread bits, right-aligned
	var nacc uint  // how many
	for {
		if nacc < 32 {
			for nacc <= 56 && len(src) > 0 {
				acc = acc<<8 | uint64(src[0])
				nacc += 8
				src = src[1:]
			}
			if len(src) == 0 && nacc <= 7 {
				// Up to seven ones at the end are padding: no code of
				// seven bits or fewer is all ones. Anything else must be
				// a code.
				if acc&(1<<nacc-1) == 1<<nacc-1 {
					return dst, nil
				}
			}
		}
		var window uint32 // the next 32 bits, missing ones read as ones
		if nacc >= 32 {
			window = uint32(acc >> (nacc - 32))
		} else {
			window = uint32(acc<<(32-nacc)) | uint32(1<<(32-nacc)-1)
		}
		sym, n := huffmanNext(window)
		if n > nacc || sym == huffmanEOS {
			return dst, errHuffman
		}
		dst = append(dst, byte(sym))
		nacc -= n
	}
}

// huffmanNext decodes the symbol whose code starts the 32-bit window and
// returns it with the length of its code.
func huffmanNext(window uint32) (sym uint16, n uint) {
	if e := huffmanFast[window>>(32-huffmanFastBits)]; e != 0 {
		return e & 0x1ff, uint(e >> 9)
	}
	w := uint64(window)
	for l := huffmanFastBits + 1; l <= huffmanMaxLen; l++ {
		if w < huffmanLimit[l] {
			idx := uint32(w>>(32-l)) - huffmanFirst[l]
			return huffmanSorted[int(huffmanOffset[l])+int(idx)], uint(l)
		}
	}
	// Thirty ones and more: EOS, the last code.
	return huffmanEOS, huffmanMaxLen
}
