package quic

import (
	"errors"
	"fmt"
	"net"
)

// TransportErrorCode is a QUIC transport error code (RFC 9000, Section 20.1), carried
// in CONNECTION_CLOSE frames of type 0x1c.
type TransportErrorCode uint64

// Transport error codes of RFC 9000, Section 20.1. Codes 0x0100-0x01ff carry a TLS
// alert (errCodeCryptoBase plus the alert number).
const (
	errCodeNoError                 TransportErrorCode = 0x00
	errCodeInternal                TransportErrorCode = 0x01
	errCodeConnectionRefused       TransportErrorCode = 0x02
	errCodeFlowControl             TransportErrorCode = 0x03
	errCodeStreamLimit             TransportErrorCode = 0x04
	errCodeStreamState             TransportErrorCode = 0x05
	errCodeFinalSize               TransportErrorCode = 0x06
	errCodeFrameEncoding           TransportErrorCode = 0x07
	errCodeTransportParameter      TransportErrorCode = 0x08
	errCodeConnectionIDLimit       TransportErrorCode = 0x09
	errCodeProtocolViolation       TransportErrorCode = 0x0a
	errCodeInvalidToken            TransportErrorCode = 0x0b
	errCodeApplication             TransportErrorCode = 0x0c
	errCodeCryptoBufferExceeded    TransportErrorCode = 0x0d
	errCodeKeyUpdate               TransportErrorCode = 0x0e
	errCodeAEADLimitReached        TransportErrorCode = 0x0f
	errCodeNoViablePath            TransportErrorCode = 0x10
	errCodeVersionNegotiationError TransportErrorCode = 0x11 // RFC 9368
	errCodeCryptoBase              TransportErrorCode = 0x0100
	errCodeCryptoMax               TransportErrorCode = 0x01ff
)

var transportErrorNames = [...]string{
	errCodeNoError:                 "NO_ERROR",
	errCodeInternal:                "INTERNAL_ERROR",
	errCodeConnectionRefused:       "CONNECTION_REFUSED",
	errCodeFlowControl:             "FLOW_CONTROL_ERROR",
	errCodeStreamLimit:             "STREAM_LIMIT_ERROR",
	errCodeStreamState:             "STREAM_STATE_ERROR",
	errCodeFinalSize:               "FINAL_SIZE_ERROR",
	errCodeFrameEncoding:           "FRAME_ENCODING_ERROR",
	errCodeTransportParameter:      "TRANSPORT_PARAMETER_ERROR",
	errCodeConnectionIDLimit:       "CONNECTION_ID_LIMIT_ERROR",
	errCodeProtocolViolation:       "PROTOCOL_VIOLATION",
	errCodeInvalidToken:            "INVALID_TOKEN",
	errCodeApplication:             "APPLICATION_ERROR",
	errCodeCryptoBufferExceeded:    "CRYPTO_BUFFER_EXCEEDED",
	errCodeKeyUpdate:               "KEY_UPDATE_ERROR",
	errCodeAEADLimitReached:        "AEAD_LIMIT_REACHED",
	errCodeNoViablePath:            "NO_VIABLE_PATH",
	errCodeVersionNegotiationError: "VERSION_NEGOTIATION_ERROR",
}

// String returns the name RFC 9000 gives the code, "CRYPTO_ERROR(alert)" for
// TLS alerts, or the code in hexadecimal.
func (c TransportErrorCode) String() string {
	if c < TransportErrorCode(len(transportErrorNames)) {
		return transportErrorNames[c]
	}
	if c >= errCodeCryptoBase && c <= errCodeCryptoMax {
		return fmt.Sprintf("CRYPTO_ERROR(%d)", uint64(c-errCodeCryptoBase))
	}
	return fmt.Sprintf("0x%x", uint64(c))
}

// A TransportError is a connection closed with a transport error code: either
// detected locally (Remote false; the connection sent CONNECTION_CLOSE with Code)
// or received from the peer (Remote true). errors.Is(err, net.ErrClosed) holds
// for local ones. A TransportError is an immutable value, safe to share.
type TransportError struct {
	Code   TransportErrorCode
	Reason string
	Remote bool
}

// Error returns a description naming the side that closed the connection.
func (e *TransportError) Error() string {
	who := "local"
	if e.Remote {
		who = "peer"
	}
	if e.Reason == "" {
		return fmt.Sprintf("quic: %s transport error %v", who, e.Code)
	}
	return fmt.Sprintf("quic: %s transport error %v: %s", who, e.Code, e.Reason)
}

// Is reports whether target is net.ErrClosed and the connection was closed
// locally.
func (e *TransportError) Is(target error) bool {
	return target == net.ErrClosed && !e.Remote
}

// An ApplicationError is a connection closed by the application with
// CloseWithError (Remote false) or by the peer's application (Remote true).
// errors.Is(err, net.ErrClosed) holds for local ones. An ApplicationError is an
// immutable value, safe to share.
type ApplicationError struct {
	Code   uint64
	Reason string
	Remote bool
}

// Error returns a description naming the side that closed the connection.
func (e *ApplicationError) Error() string {
	who := "local"
	if e.Remote {
		who = "peer"
	}
	if e.Reason == "" {
		return fmt.Sprintf("quic: %s application error 0x%x", who, e.Code)
	}
	return fmt.Sprintf("quic: %s application error 0x%x: %s", who, e.Code, e.Reason)
}

// Is reports whether target is net.ErrClosed and the connection was closed
// locally.
func (e *ApplicationError) Is(target error) bool {
	return target == net.ErrClosed && !e.Remote
}

// A StreamError is returned by Stream.Read and Stream.Write when a direction of
// the stream was abandoned: by RESET_STREAM or STOP_SENDING from the peer (Remote
// true), or by CancelRead or CancelWrite here (Remote false), with the
// application's error code. errors.Is(err, net.ErrClosed) holds for local ones.
// A StreamError is an immutable value, safe to share.
type StreamError struct {
	StreamID int64
	Code     uint64
	Remote   bool
}

// Error returns a description naming the stream, the code and the side.
func (e *StreamError) Error() string {
	who := "canceled locally"
	if e.Remote {
		who = "reset by peer"
	}
	return fmt.Sprintf("quic: stream %d %s with code 0x%x", e.StreamID, who, e.Code)
}

// Is reports whether target is net.ErrClosed and the stream was canceled
// locally.
func (e *StreamError) Is(target error) bool {
	return target == net.ErrClosed && !e.Remote
}

var (
	// ErrIdleTimeout is returned by every operation of a connection that ended
	// because the idle timeout expired (RFC 9000, Section 10.1).
	ErrIdleTimeout = errors.New("quic: idle timeout")

	// ErrHandshakeTimeout is returned when the handshake did not complete within
	// Config.HandshakeTimeout.
	ErrHandshakeTimeout = errors.New("quic: handshake timeout")
)

// Stream usage errors. Those about a closed direction wrap net.ErrClosed.
var (
	errWriteAfterClose = fmt.Errorf("quic: write on a stream after Close: %w", net.ErrClosed)
	errReadOnly        = errors.New("quic: write on a receive-only stream")
	errWriteOnly       = errors.New("quic: read on a send-only stream")
)

// streamErrorf returns a local *TransportError with code and a formatted reason,
// for protocol errors detected in stream frames.
func streamErrorf(code TransportErrorCode, format string, args ...any) *TransportError {
	return &TransportError{Code: code, Reason: fmt.Sprintf(format, args...)}
}
