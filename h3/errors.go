package h3

import (
	"errors"
	"fmt"
	"io"
	"net"
)

// An ErrCode is an HTTP/3 application error code, carried in RESET_STREAM,
// STOP_SENDING and CONNECTION_CLOSE frames (RFC 9114, Section 8.1).
type ErrCode uint64

// The HTTP/3 error codes of RFC 9114, Section 8.1, the QPACK codes of RFC 9204,
// Section 6, and H3_DATAGRAM_ERROR of RFC 9297, Section 5.2.
const (
	ErrCodeNoError              ErrCode = 0x100
	ErrCodeGeneralProtocolError ErrCode = 0x101
	ErrCodeInternalError        ErrCode = 0x102
	ErrCodeStreamCreationError  ErrCode = 0x103
	ErrCodeClosedCriticalStream ErrCode = 0x104
	ErrCodeFrameUnexpected      ErrCode = 0x105
	ErrCodeFrameError           ErrCode = 0x106
	ErrCodeExcessiveLoad        ErrCode = 0x107
	ErrCodeIDError              ErrCode = 0x108
	ErrCodeSettingsError        ErrCode = 0x109
	ErrCodeMissingSettings      ErrCode = 0x10a
	ErrCodeRequestRejected      ErrCode = 0x10b
	ErrCodeRequestCancelled     ErrCode = 0x10c
	ErrCodeRequestIncomplete    ErrCode = 0x10d
	ErrCodeMessageError         ErrCode = 0x10e
	ErrCodeConnectError         ErrCode = 0x10f
	ErrCodeVersionFallback      ErrCode = 0x110
	ErrCodeDatagramError        ErrCode = 0x33

	ErrCodeQPACKDecompressionFailed ErrCode = 0x200
	ErrCodeQPACKEncoderStreamError  ErrCode = 0x201
	ErrCodeQPACKDecoderStreamError  ErrCode = 0x202
)

var errCodeNames = map[ErrCode]string{
	ErrCodeNoError:                  "H3_NO_ERROR",
	ErrCodeGeneralProtocolError:     "H3_GENERAL_PROTOCOL_ERROR",
	ErrCodeInternalError:            "H3_INTERNAL_ERROR",
	ErrCodeStreamCreationError:      "H3_STREAM_CREATION_ERROR",
	ErrCodeClosedCriticalStream:     "H3_CLOSED_CRITICAL_STREAM",
	ErrCodeFrameUnexpected:          "H3_FRAME_UNEXPECTED",
	ErrCodeFrameError:               "H3_FRAME_ERROR",
	ErrCodeExcessiveLoad:            "H3_EXCESSIVE_LOAD",
	ErrCodeIDError:                  "H3_ID_ERROR",
	ErrCodeSettingsError:            "H3_SETTINGS_ERROR",
	ErrCodeMissingSettings:          "H3_MISSING_SETTINGS",
	ErrCodeRequestRejected:          "H3_REQUEST_REJECTED",
	ErrCodeRequestCancelled:         "H3_REQUEST_CANCELLED",
	ErrCodeRequestIncomplete:        "H3_REQUEST_INCOMPLETE",
	ErrCodeMessageError:             "H3_MESSAGE_ERROR",
	ErrCodeConnectError:             "H3_CONNECT_ERROR",
	ErrCodeVersionFallback:          "H3_VERSION_FALLBACK",
	ErrCodeDatagramError:            "H3_DATAGRAM_ERROR",
	ErrCodeQPACKDecompressionFailed: "QPACK_DECOMPRESSION_FAILED",
	ErrCodeQPACKEncoderStreamError:  "QPACK_ENCODER_STREAM_ERROR",
	ErrCodeQPACKDecoderStreamError:  "QPACK_DECODER_STREAM_ERROR",
}

// String returns the name the RFCs give the code, "H3_GREASE" for reserved
// codes of the form 0x1f*N+0x21 (RFC 9114, Section 8.1), or the code in
// hexadecimal.
func (c ErrCode) String() string {
	if s, ok := errCodeNames[c]; ok {
		return s
	}
	if c >= 0x21 && (c-0x21)%0x1f == 0 {
		return fmt.Sprintf("H3_GREASE(0x%x)", uint64(c))
	}
	return fmt.Sprintf("H3_ERROR(0x%x)", uint64(c))
}

// An Error is an HTTP/3 error that ended a stream or a connection: detected
// locally (Remote false) or signalled by the peer (Remote true). Stream is true
// when only one request stream was affected. An Error is an immutable value,
// safe to share.
type Error struct {
	Code   ErrCode
	Reason string
	Remote bool
	Stream bool
}

// Error describes the error, naming the side that raised it.
func (e *Error) Error() string {
	who, what := "local", "connection"
	if e.Remote {
		who = "peer"
	}
	if e.Stream {
		what = "stream"
	}
	if e.Reason == "" {
		return fmt.Sprintf("h3: %s %s error %v", who, what, e.Code)
	}
	return fmt.Sprintf("h3: %s %s error %v: %s", who, what, e.Code, e.Reason)
}

// Is reports whether target is net.ErrClosed and the error was raised locally.
func (e *Error) Is(target error) bool {
	return target == net.ErrClosed && !e.Remote
}

// connError returns a local connection error with a formatted reason.
func connError(code ErrCode, format string, args ...any) *Error {
	return &Error{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// streamError returns a local stream error with a formatted reason.
func streamError(code ErrCode, format string, args ...any) *Error {
	return &Error{Code: code, Reason: fmt.Sprintf(format, args...), Stream: true}
}

// asLocalError reports the local *Error in err's chain, if any.
func asLocalError(err error) (*Error, bool) {
	if err == nil || err == io.EOF {
		return nil, false
	}
	if e, ok := err.(*Error); ok {
		return e, !e.Remote
	}
	var e *Error
	if errors.As(err, &e) && !e.Remote {
		return e, true
	}
	return nil, false
}

// streamResetCode extracts the application error code of a stream reset or
// STOP_SENDING from an error returned by a QUIC stream. The quic adapter
// replaces it with one that also knows *quic.StreamError.
var streamResetCode = func(err error) (code uint64, ok bool) {
	var c interface{ ResetCode() uint64 }
	if errors.As(err, &c) {
		return c.ResetCode(), true
	}
	return 0, false
}

// Errors returned to users of the package.
var (
	// ErrServerClosed is returned by Server methods after Shutdown or Close.
	ErrServerClosed = errors.New("h3: server closed")
	// ErrNoDatagrams is returned when HTTP datagrams were not negotiated with
	// the peer (RFC 9297, Section 2.1.1).
	ErrNoDatagrams = errors.New("h3: HTTP datagrams not enabled by both peers")
	// ErrNoExtendedConnect is returned for an extended CONNECT request to a
	// server that did not send SETTINGS_ENABLE_CONNECT_PROTOCOL=1.
	ErrNoExtendedConnect = errors.New("h3: peer does not support extended CONNECT")
	errRetryRequest      = errors.New("h3: request not processed by the server; retry")
	errRetryUnsent       = errors.New("h3: request not sent; retry on a new connection")
)
