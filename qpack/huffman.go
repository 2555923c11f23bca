package qpack

// huffmanEOS is the EOS symbol of RFC 7541, Appendix B.
const huffmanEOS = 256

// huffmanMaxLen is the longest code of RFC 7541, Appendix B, in bits.
const huffmanMaxLen = 30

// huffmanCode holds the code of each symbol, right-aligned, built from
// huffmanBitLen.
var huffmanCode [257]uint32

// Decoding tables, built from huffmanBitLen.
var (
	// huffmanFast maps the first 8 bits of the input to a symbol whose code
	// is at most 8 bits long: the low 9 bits hold the symbol, the high byte
	// the code length; zero means the code is longer than 8 bits.
	huffmanFast [256]uint16
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
		if n > 8 {
			continue
		}
		start := huffmanCode[sym] << (8 - n)
		for i := uint32(0); i < 1<<(8-n); i++ {
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
// output may not exceed limit bytes (errTooLong).
func appendHuffmanDecoded(dst, src []byte, limit uint64) ([]byte, error) {
	var acc uint64 // unread bits, right-aligned
	var nacc uint  // how many
	start := len(dst)
	for {
		for nacc <= 56 && len(src) > 0 {
			acc = acc<<8 | uint64(src[0])
			nacc += 8
			src = src[1:]
		}
		if nacc == 0 {
			return dst, nil
		}
		if len(src) == 0 && nacc <= 7 && acc == 1<<nacc-1 {
			// Up to seven ones at the end are padding: no code of seven
			// bits or fewer is all ones. Anything else must be a code.
			return dst, nil
		}
		sym, n := huffmanNext(acc, nacc)
		if n > nacc || sym == huffmanEOS {
			return dst, errHuffman
		}
		if uint64(len(dst)-start) >= limit {
			return dst, errTooLong
		}
		dst = append(dst, byte(sym))
		nacc -= n
		acc &= 1<<nacc - 1
	}
}

// huffmanNext decodes the symbol at the front of the nacc bits in acc and
// returns it with its code length, which may exceed nacc when the input is
// truncated; missing bits are read as ones.
func huffmanNext(acc uint64, nacc uint) (sym uint16, n uint) {
	var window uint64 // 32 bits, left-aligned in the low 32
	if nacc >= 32 {
		window = acc >> (nacc - 32) & 0xffffffff
	} else {
		window = (acc<<(32-nacc) | (1<<(32-nacc) - 1)) & 0xffffffff
	}
	if e := huffmanFast[window>>24]; e != 0 {
		return e & 0x1ff, uint(e >> 9)
	}
	for l := 9; l <= huffmanMaxLen; l++ {
		if window < huffmanLimit[l] {
			idx := uint32(window>>(32-l)) - huffmanFirst[l]
			return huffmanSorted[int(huffmanOffset[l])+int(idx)], uint(l)
		}
	}
	// Thirty ones and more: EOS, the last code.
	return huffmanEOS, huffmanMaxLen
}
