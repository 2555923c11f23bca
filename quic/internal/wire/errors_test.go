package wire

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestTransportErrorCodeString(t *testing.T) {
	tests := []struct {
		code TransportErrorCode
		want string
	}{
		{NoError, "NO_ERROR"},
		{FrameEncodingError, "FRAME_ENCODING_ERROR"},
		{ProtocolViolation, "PROTOCOL_VIOLATION"},
		{NoViablePath, "NO_VIABLE_PATH"},
		{VersionNegotiationError, "VERSION_NEGOTIATION_ERROR"},
		{CryptoError(40), "CRYPTO_ERROR(handshake failure)"},
		{CryptoError(120), "CRYPTO_ERROR(no application protocol)"},
		{0x12, "0x12"},
		{0x200, "0x200"},
	}
	for _, tt := range tests {
		if got := tt.code.String(); got != tt.want {
			t.Errorf("%#x.String() = %q, want %q", uint64(tt.code), got, tt.want)
		}
	}
	if a, ok := CryptoError(42).TLSAlert(); !ok || a != 42 {
		t.Errorf("TLSAlert = %d, %v", a, ok)
	}
	if _, ok := InternalError.TLSAlert(); ok {
		t.Error("INTERNAL_ERROR has a TLS alert")
	}
}

func TestTransportErrorAs(t *testing.T) {
	_, _, err := ParseNewToken([]byte{0x07, 0x00})
	wrapped := fmt.Errorf("conn: %w", err)
	var te *TransportError
	if !errors.As(wrapped, &te) {
		t.Fatalf("errors.As failed on %v", wrapped)
	}
	if te.Code != FrameEncodingError || te.FrameType != FrameTypeNewToken {
		t.Errorf("got code %v frame %v", te.Code, te.FrameType)
	}
	if s := te.Error(); !strings.Contains(s, "FRAME_ENCODING_ERROR") ||
		!strings.Contains(s, "NEW_TOKEN") {
		t.Errorf("Error() = %q", s)
	}
}
