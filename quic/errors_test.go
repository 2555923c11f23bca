package quic

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestTransportErrorCodeString(t *testing.T) {
	tests := []struct {
		code TransportErrorCode
		want string
	}{
		{errCodeNoError, "NO_ERROR"},
		{errCodeFlowControl, "FLOW_CONTROL_ERROR"},
		{errCodeVersionNegotiationError, "VERSION_NEGOTIATION_ERROR"},
		{errCodeCryptoBase + 120, "CRYPTO_ERROR(120)"},
		{0x12, "0x12"},
		{0x1234, "0x1234"},
	}
	for _, tc := range tests {
		if got := tc.code.String(); got != tc.want {
			t.Errorf("%#x: got %q, want %q", uint64(tc.code), got, tc.want)
		}
	}
}

// TestErrorsClosedMatch checks that errors.Is(err, net.ErrClosed) holds exactly
// for local closes, also through wrapping, and that messages name the side.
func TestErrorsClosedMatch(t *testing.T) {
	tests := []struct {
		err    error
		closed bool
		text   string
	}{
		{&TransportError{Code: errCodeFinalSize, Reason: "bad"}, true,
			"local transport error FINAL_SIZE_ERROR: bad"},
		{&TransportError{Code: errCodeNoError, Remote: true}, false,
			"peer transport error NO_ERROR"},
		{&ApplicationError{Code: 0x100}, true, "local application error 0x100"},
		{&ApplicationError{Code: 7, Reason: "bye", Remote: true}, false,
			"peer application error 0x7: bye"},
		{&StreamError{StreamID: 4, Code: 3}, true, "stream 4 canceled locally with code 0x3"},
		{&StreamError{StreamID: 5, Code: 9, Remote: true}, false,
			"stream 5 reset by peer with code 0x9"},
		{errWriteAfterClose, true, "after Close"},
		{ErrIdleTimeout, false, "idle timeout"},
	}
	for _, tc := range tests {
		wrapped := fmt.Errorf("op: %w", tc.err)
		if got := errors.Is(wrapped, net.ErrClosed); got != tc.closed {
			t.Errorf("%v: errors.Is(net.ErrClosed) = %v, want %v", tc.err, got, tc.closed)
		}
		if !strings.Contains(tc.err.Error(), tc.text) {
			t.Errorf("message %q does not contain %q", tc.err.Error(), tc.text)
		}
	}
}
