package h3

import (
	"context"
	"io"
)

// literalCodec is a QPACK codec that uses neither the static nor the dynamic
// table: it encodes every field line as a literal with a literal name, which
// any decoder accepts, and decodes only such sections. Tests use it to script
// a peer's HEADERS frames without a qpack encoder stream; h3 itself speaks
// QPACK through package qpack (see qpackCodec). It is safe for concurrent use
// because it holds no state.
type literalCodec struct{}

func (literalCodec) localSettings() (uint64, uint64)          { return 0, 0 }
func (literalCodec) setPeerSettings(capacity, blocked uint64) {}
func (literalCodec) setStreams(enc, dec io.Writer)            {}
func (literalCodec) cancelStream(streamID int64)              {}
func (literalCodec) fail(err error)                           {}

func (literalCodec) encode(streamID int64, fields []hfield) ([]byte, error) {
	b := []byte{0, 0} // Required Insert Count 0, Delta Base 0.
	for _, f := range fields {
		b = appendPrefixInt(b, 0x20, 3, uint64(len(f.name)))
		b = append(b, f.name...)
		b = appendPrefixInt(b, 0x00, 7, uint64(len(f.value)))
		b = append(b, f.value...)
	}
	return b, nil
}

func (literalCodec) decode(_ context.Context, _ int64, p []byte, maxSize uint64) ([]hfield,
	error) {
	ric, n := parsePrefixInt(p, 8)
	if n == 0 || ric != 0 {
		return nil, connError(ErrCodeQPACKDecompressionFailed, "dynamic table reference")
	}
	p = p[n:]
	if _, n = parsePrefixInt(p, 7); n == 0 {
		return nil, connError(ErrCodeQPACKDecompressionFailed, "truncated prefix")
	}
	p = p[n:]
	var fields []hfield
	var size uint64
	for len(p) > 0 {
		if p[0]&0xe0 != 0x20 || p[0]&0x08 != 0 {
			return nil, connError(ErrCodeQPACKDecompressionFailed, "unsupported field line")
		}
		name, rest, ok := parseLiteral(p, 3)
		if !ok || len(rest) == 0 || rest[0]&0x80 != 0 {
			return nil, connError(ErrCodeQPACKDecompressionFailed, "bad field line")
		}
		value, rest, ok := parseLiteral(rest, 7)
		if !ok {
			return nil, connError(ErrCodeQPACKDecompressionFailed, "bad field value")
		}
		p = rest
		f := hfield{name, value}
		if size += fieldSize(f); size > maxSize {
			return nil, errFieldSectionTooLarge
		}
		fields = append(fields, f)
	}
	return fields, nil
}

// parseLiteral parses a length-prefixed string with an n-bit prefix.
func parseLiteral(p []byte, n uint8) (string, []byte, bool) {
	l, k := parsePrefixInt(p, n)
	if k == 0 || l > uint64(len(p)-k) {
		return "", nil, false
	}
	return string(p[k : k+int(l)]), p[k+int(l):], true
}

func (literalCodec) readEncoderStream(r io.Reader) error {
	// We advertise a capacity of 0, so the only valid instruction is Set
	// Dynamic Table Capacity to 0 (RFC 9204, Section 4.3.1).
	var b [1]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return err
		}
		if b[0] != 0x20 {
			return connError(ErrCodeQPACKEncoderStreamError, "insert into a zero-size table")
		}
	}
}

func (literalCodec) readDecoderStream(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}

// appendPrefixInt appends v as an integer with an n-bit prefix, the other
// bits of the first byte taken from first (RFC 7541, Section 5.1).
func appendPrefixInt(b []byte, first byte, n uint8, v uint64) []byte {
	max := uint64(1)<<n - 1
	if v < max {
		return append(b, first|byte(v))
	}
	b = append(b, first|byte(max))
	v -= max
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// parsePrefixInt parses an integer with an n-bit prefix; the size is 0 when p
// is truncated or the value exceeds 62 bits.
func parsePrefixInt(p []byte, n uint8) (uint64, int) {
	if len(p) == 0 {
		return 0, 0
	}
	max := uint64(1)<<n - 1
	v := uint64(p[0]) & max
	if v < max {
		return v, 1
	}
	for i, shift := 1, uint(0); i < len(p) && shift < 63; i, shift = i+1, shift+7 {
		v += uint64(p[i]&0x7f) << shift
		if p[i]&0x80 == 0 {
			if v > maxVarint {
				return 0, 0
			}
			return v, i + 1
		}
	}
	return 0, 0
}
