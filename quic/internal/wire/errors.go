package wire

import (
	"crypto/tls"
	"errors"
	"strconv"
	"strings"
)

// TransportErrorCode is a QUIC transport error code (RFC 9000, Section 20.1),
// carried in CONNECTION_CLOSE frames of type 0x1c.
//
// Values of this type are immutable and safe for concurrent use.
type TransportErrorCode uint64

// Transport error codes of RFC 9000, Section 20.1, and RFC 9368, Section 10.2.
const (
	NoError                 TransportErrorCode = 0x00
	InternalError           TransportErrorCode = 0x01
	ConnectionRefused       TransportErrorCode = 0x02
	FlowControlError        TransportErrorCode = 0x03
	StreamLimitError        TransportErrorCode = 0x04
	StreamStateError        TransportErrorCode = 0x05
	FinalSizeError          TransportErrorCode = 0x06
	FrameEncodingError      TransportErrorCode = 0x07
	TransportParameterError TransportErrorCode = 0x08
	ConnectionIDLimitError  TransportErrorCode = 0x09
	ProtocolViolation       TransportErrorCode = 0x0a
	InvalidToken            TransportErrorCode = 0x0b
	ApplicationError        TransportErrorCode = 0x0c
	CryptoBufferExceeded    TransportErrorCode = 0x0d
	KeyUpdateError          TransportErrorCode = 0x0e
	AEADLimitReached        TransportErrorCode = 0x0f
	NoViablePath            TransportErrorCode = 0x10
	VersionNegotiationError TransportErrorCode = 0x11

	// CryptoErrorBase is the first code of the CRYPTO_ERROR range
	// 0x0100-0x01ff; the low byte is a TLS alert (RFC 9001, Section 4.8).
	CryptoErrorBase TransportErrorCode = 0x0100
)

var transportErrorNames = [...]string{
	NoError:                 "NO_ERROR",
	InternalError:           "INTERNAL_ERROR",
	ConnectionRefused:       "CONNECTION_REFUSED",
	FlowControlError:        "FLOW_CONTROL_ERROR",
	StreamLimitError:        "STREAM_LIMIT_ERROR",
	StreamStateError:        "STREAM_STATE_ERROR",
	FinalSizeError:          "FINAL_SIZE_ERROR",
	FrameEncodingError:      "FRAME_ENCODING_ERROR",
	TransportParameterError: "TRANSPORT_PARAMETER_ERROR",
	ConnectionIDLimitError:  "CONNECTION_ID_LIMIT_ERROR",
	ProtocolViolation:       "PROTOCOL_VIOLATION",
	InvalidToken:            "INVALID_TOKEN",
	ApplicationError:        "APPLICATION_ERROR",
	CryptoBufferExceeded:    "CRYPTO_BUFFER_EXCEEDED",
	KeyUpdateError:          "KEY_UPDATE_ERROR",
	AEADLimitReached:        "AEAD_LIMIT_REACHED",
	NoViablePath:            "NO_VIABLE_PATH",
	VersionNegotiationError: "VERSION_NEGOTIATION_ERROR",
}

// CryptoError returns the CRYPTO_ERROR code that carries a TLS alert.
func CryptoError(alert uint8) TransportErrorCode {
	return CryptoErrorBase + TransportErrorCode(alert)
}

// IsCryptoError reports whether c is in the CRYPTO_ERROR range 0x0100-0x01ff.
func (c TransportErrorCode) IsCryptoError() bool {
	return c >= CryptoErrorBase && c <= CryptoErrorBase+0xff
}

// TLSAlert returns the TLS alert of a CRYPTO_ERROR code, or false if c is not
// in that range.
func (c TransportErrorCode) TLSAlert() (uint8, bool) {
	if !c.IsCryptoError() {
		return 0, false
	}
	return uint8(c - CryptoErrorBase), true
}

// String returns the RFC name of the code, "CRYPTO_ERROR(<alert>)" for the
// crypto range, and the hexadecimal value for codes this package does not know.
func (c TransportErrorCode) String() string {
	if c < TransportErrorCode(len(transportErrorNames)) {
		return transportErrorNames[c]
	}
	if alert, ok := c.TLSAlert(); ok {
		name := strings.TrimPrefix(tls.AlertError(alert).Error(), "tls: ")
		return "CRYPTO_ERROR(" + name + ")"
	}
	return "0x" + strconv.FormatUint(uint64(c), 16)
}

// TransportError is a connection error detected while decoding: the code to
// send in CONNECTION_CLOSE, the type of the frame that caused it (0 when not
// caused by a frame) and a human-readable reason. Parsers return it as a
// *TransportError; find it with errors.As.
//
// A TransportError is a plain value; it is safe for concurrent reads.
type TransportError struct {
	Code      TransportErrorCode
	FrameType FrameType
	Reason    string
}

// Error implements the error interface.
func (e *TransportError) Error() string {
	s := "quic: " + e.Code.String()
	if e.FrameType != 0 {
		s += " in " + e.FrameType.String() + " frame"
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// frameError returns a FRAME_ENCODING_ERROR for a frame of type t.
func frameError(t FrameType, reason string) error {
	return &TransportError{Code: FrameEncodingError, FrameType: t, Reason: reason}
}

// tpError returns a TRANSPORT_PARAMETER_ERROR.
func tpError(reason string) error {
	return &TransportError{Code: TransportParameterError, Reason: reason}
}

// Errors returned by the header parsers. A packet whose header fails to parse
// is dropped (RFC 9000, Section 5.2); none of these closes a connection.
var (
	// ErrTruncated means the buffer ends before the header or the packet does.
	ErrTruncated = errors.New("wire: packet truncated")
	// ErrInvalidHeader means the header breaks a rule of its version, such
	// as a cleared fixed bit or a connection ID longer than 20 bytes.
	ErrInvalidHeader = errors.New("wire: invalid packet header")
	// ErrUnsupportedVersion means a long header carries a version this
	// package cannot parse. The version-independent fields (RFC 8999) of the
	// returned Header are still set so that a server can answer with Version
	// Negotiation.
	ErrUnsupportedVersion = errors.New("wire: unsupported QUIC version")
)
