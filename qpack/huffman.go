package qpack

import (
	"encoding/binary"
	"slices"
)

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
	// huffmanPair maps the first huffmanPairBits bits of the input to the
	// one or two symbols whose codes fill them: see pairEntry.
	huffmanPair [1 << huffmanPairBits]pairEntry
)

// huffmanPairBits is how many bits huffmanPair looks at.
const huffmanPairBits = 12

// A pairEntry packs the bytes whose codes start a huffmanPairBits window:
// bits 0-7 the first byte, 8-15 the second, 16-20 the length of the first
// code, 21-25 the length of both codes, 26-27 how many bytes (0 when the
// first code is longer than the window).
type pairEntry uint32

func (e pairEntry) count() int    { return int(e >> 26) }
func (e pairEntry) first() byte   { return byte(e) }
func (e pairEntry) second() byte  { return byte(e >> 8) }
func (e pairEntry) len1() uint    { return uint(e>>16) & 0x1f }
func (e pairEntry) lenBoth() uint { return uint(e>>21) & 0x1f }

func init() {
	buildHuffmanCodes()
	buildHuffmanPairs()
}

// buildHuffmanPairs fills huffmanPair by decoding every window with
// huffmanNext, so it must run after buildHuffmanCodes.
func buildHuffmanPairs() {
	for w := range huffmanPair {
		window := uint32(w) << (32 - huffmanPairBits)
		sym1, n1 := huffmanNext(window)
		if n1 > huffmanPairBits || sym1 == huffmanEOS {
			continue
		}
		e := pairEntry(1<<26 | uint32(n1)<<21 | uint32(n1)<<16 | uint32(sym1))
		sym2, n2 := huffmanNext(window << n1)
		if n1+n2 <= huffmanPairBits && sym2 != huffmanEOS {
			e = pairEntry(2<<26|uint32(n1+n2)<<21|uint32(n1)<<16) |
				pairEntry(sym2)<<8 | pairEntry(sym1)
		}
		huffmanPair[w] = e
	}
}

// buildHuffmanCodes assigns the canonical codes: going through the lengths
// in increasing order and the symbols of each length in increasing order,
// each code is the previous one plus one, shifted left by the increase in
// length.
func buildHuffmanCodes() {
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
	var acc uint64 // pending bits, right-aligned; higher bits are stale
	var nacc uint  // how many
	for i := 0; i < len(s); i++ {
		c := s[i]
		n := uint(huffmanBitLen[c])
		acc = acc<<n | uint64(huffmanCode[c])
		nacc += n
		// At most 31+30 bits are pending here: flush 32 at a time.
		if nacc >= 32 {
			nacc -= 32
			b = binary.BigEndian.AppendUint32(b, uint32(acc>>nacc))
		}
	}
	for nacc >= 8 {
		nacc -= 8
		b = append(b, byte(acc>>nacc))
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
	// The output is at most 8/5 of the input: grow once, then write by
	// index.
	start := len(dst)
	dst = slices.Grow(dst, len(src)*8/5+1)
	out := dst[start : start+len(src)*8/5+1]
	i := 0
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
					return dst[:start+i], nil
				}
			}
		}
		var window uint32 // the next 32 bits, missing ones read as ones
		if nacc >= 32 {
			window = uint32(acc >> (nacc - 32))
		} else {
			window = uint32(acc<<(32-nacc)) | uint32(1<<(32-nacc)-1)
		}
		if e := huffmanPair[window>>(32-huffmanPairBits)]; e.count() > 0 &&
			i+1 < len(out) {
			// Most codes are 5 to 7 bits: take two bytes at once, or one
			// when the second code would run into missing bits.
			out[i] = e.first()
			if e.count() == 2 && e.lenBoth() <= nacc {
				out[i+1] = e.second()
				i += 2
				nacc -= e.lenBoth()
				continue
			}
			if e.len1() <= nacc {
				i++
				nacc -= e.len1()
				continue
			}
		}
		sym, n := huffmanNext(window)
		if n > nacc || sym == huffmanEOS || i >= len(out) {
			return dst[:start], errHuffman
		}
		out[i] = byte(sym)
		i++
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
