package qpack

import (
	"errors"
	"fmt"
)

// An ErrorCode is an HTTP/3 error code defined by RFC 9204, Section 6. It is
// a plain value, safe to copy and share.
type ErrorCode uint64

// The QPACK error codes (RFC 9204, Section 6). Each one is a connection error.
const (
	// ErrCodeDecompressionFailed (QPACK_DECOMPRESSION_FAILED) means an encoded
	// field section could not be interpreted.
	ErrCodeDecompressionFailed ErrorCode = 0x200
	// ErrCodeEncoderStream (QPACK_ENCODER_STREAM_ERROR) means an instruction on
	// the encoder stream could not be interpreted.
	ErrCodeEncoderStream ErrorCode = 0x201
	// ErrCodeDecoderStream (QPACK_DECODER_STREAM_ERROR) means an instruction on
	// the decoder stream could not be interpreted.
	ErrCodeDecoderStream ErrorCode = 0x202
)

// String returns the name RFC 9204 gives the code, or a hexadecimal number for
// codes it does not define.
func (c ErrorCode) String() string {
	switch c {
	case ErrCodeDecompressionFailed:
		return "QPACK_DECOMPRESSION_FAILED"
	case ErrCodeEncoderStream:
		return "QPACK_ENCODER_STREAM_ERROR"
	case ErrCodeDecoderStream:
		return "QPACK_DECODER_STREAM_ERROR"
	}
	return fmt.Sprintf("0x%x", uint64(c))
}

// An Error is a QPACK connection error caused by what the peer sent. The
// caller should close the connection with Code as the application error code.
//
// errors.Is(err, ErrDecompressionFailed) and the other sentinels below match
// any *Error with the same Code, whatever its Reason. An Error is never
// modified once returned, so it may be shared between goroutines.
type Error struct {
	Code   ErrorCode
	Reason string
}

// Error returns the code name followed by the reason.
func (e *Error) Error() string {
	if e.Reason == "" {
		return "qpack: " + e.Code.String()
	}
	return "qpack: " + e.Code.String() + ": " + e.Reason
}

// Is reports whether target is an *Error with the same code and either the
// same reason or no reason, so that the sentinels match every error of
// their code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Reason == "" || t.Reason == e.Reason)
}

// Sentinels for errors.Is. They carry no reason.
var (
	ErrDecompressionFailed = &Error{Code: ErrCodeDecompressionFailed}
	ErrEncoderStream       = &Error{Code: ErrCodeEncoderStream}
	ErrDecoderStream       = &Error{Code: ErrCodeDecoderStream}
)

// ErrBlocked is returned by Decoder.DecodeSection when the field section
// refers to dynamic table entries that have not arrived yet. The decoder
// keeps a copy of the section; once Decoder.WriteEncoderStream reports the
// stream as unblocked, Decoder.TakeSection returns its fields.
var ErrBlocked = errors.New("qpack: field section blocked on dynamic table inserts")

// ErrFieldSectionTooLarge is returned by the Decoder when a field section
// would exceed DecoderConfig.MaxFieldSectionSize. It is not a QPACK
// connection error: an HTTP/3 endpoint answers it on the request stream
// (RFC 9114, Section 4.2.2).
var ErrFieldSectionTooLarge = errors.New("qpack: field section exceeds the size limit")

// errNeedMore reports that an instruction is incomplete; it never leaves the
// package.
var errNeedMore = errors.New("qpack: instruction incomplete")

// errIntegerOverflow reports a prefixed integer above 2^62-1.
var errIntegerOverflow = errors.New("integer exceeds 62 bits")

// errHuffman reports an invalid Huffman-coded string (RFC 7541, Section 5.2).
var errHuffman = errors.New("invalid Huffman-coded string")

// decompressionError returns a QPACK_DECOMPRESSION_FAILED error.
func decompressionError(format string, args ...any) *Error {
	return &Error{Code: ErrCodeDecompressionFailed, Reason: fmt.Sprintf(format, args...)}
}

// encoderStreamError returns a QPACK_ENCODER_STREAM_ERROR error.
func encoderStreamError(format string, args ...any) *Error {
	return &Error{Code: ErrCodeEncoderStream, Reason: fmt.Sprintf(format, args...)}
}

// decoderStreamError returns a QPACK_DECODER_STREAM_ERROR error.
func decoderStreamError(format string, args ...any) *Error {
	return &Error{Code: ErrCodeDecoderStream, Reason: fmt.Sprintf(format, args...)}
}

// errTooLong reports a string that would exceed the remaining field section
// size budget.
var errTooLong = errors.New("string exceeds the size limit")
