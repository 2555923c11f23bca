package wt

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"

	"github.com/peregrine-h3/peregrine/h3"
	"github.com/peregrine-h3/peregrine/internal/quicvarint"
)

// SETTINGS identifiers of the WebTransport drafts
// (../shared/notes/webtransport-wire.md, Section 3).
const (
	// settingEnableWebTransport is SETTINGS_ENABLE_WEBTRANSPORT of
	// draft-02, which Chromium requires.
	settingEnableWebTransport = 0x2b603742
	// settingMaxSessionsDraft07 is SETTINGS_WEBTRANSPORT_MAX_SESSIONS of
	// drafts 07 to 12.
	settingMaxSessionsDraft07 = 0xc671706a
	// settingWTMaxSessions is SETTINGS_WT_MAX_SESSIONS of drafts 13 and 14,
	// which Safari requires.
	settingWTMaxSessions = 0x14e9cd29
	// settingWTEnabled is SETTINGS_WT_ENABLED of draft-15 and later, which
	// webtransport-go requires.
	settingWTEnabled = 0x2c7cf000
)

// Stream signals (draft-ietf-webtrans-http3, Sections 4.2 and 4.3).
const (
	streamSignalBidi = 0x41 // WEBTRANSPORT_STREAM, first on a bidi stream
	streamTypeUni    = 0x54 // WebTransport unidirectional stream type
)

// Capsule types (draft-ietf-webtrans-http3, Sections 5 and 6).
const (
	capsuleCloseSession h3.CapsuleType = 0x2843
	capsuleDrainSession h3.CapsuleType = 0x78ae
)

// HTTP/3 error codes of the drafts.
const (
	// errCodeBufferedStreamRejected resets a stream whose session did not
	// appear in time or that did not fit the buffer.
	errCodeBufferedStreamRejected = 0x3994bd84
	// errCodeSessionGone resets the streams of a session that ended.
	errCodeSessionGone = 0x170d7b68
	// errCodeMessageError is H3_MESSAGE_ERROR, for a malformed CONNECT
	// stream.
	errCodeMessageError = 0x10e
)

// The range of HTTP/3 error codes that carry WebTransport application error
// codes (draft-ietf-webtrans-http3, Section 4.4).
const (
	firstAppErrorCode = 0x52e4a40fa8db
	lastAppErrorCode  = 0x52e5ac983162
)

// maxCloseReason is the longest reason a CLOSE_WEBTRANSPORT_SESSION capsule
// may carry (draft-ietf-webtrans-http3, Section 5).
const maxCloseReason = 1024

// httpCode maps a WebTransport application error code into the HTTP/3 code
// space, skipping the GREASE codepoints (draft-ietf-webtrans-http3,
// Section 4.4).
func httpCode(n uint32) uint64 {
	return firstAppErrorCode + uint64(n) + uint64(n)/0x1e
}

// appCode maps an HTTP/3 error code back to a WebTransport application
// error code; ok is false outside the range and for GREASE codepoints.
func appCode(h uint64) (n uint32, ok bool) {
	if h < firstAppErrorCode || h > lastAppErrorCode || (h-0x21)%0x1f == 0 {
		return 0, false
	}
	shifted := h - firstAppErrorCode
	return uint32(shifted - shifted/0x1f), true
}

// appendCloseCapsule appends CLOSE_WEBTRANSPORT_SESSION with code and
// reason, cutting the reason to 1024 bytes at a rune boundary.
func appendCloseCapsule(b []byte, code uint32, reason string) []byte {
	if len(reason) > maxCloseReason {
		reason = reason[:maxCloseReason]
		for len(reason) > 0 && !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	v := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(reason)), code)
	return h3.AppendCapsule(b, capsuleCloseSession, append(v, reason...))
}

var errBadCloseCapsule = errors.New("wt: malformed CLOSE_WEBTRANSPORT_SESSION capsule")

// parseCloseCapsule parses the value of CLOSE_WEBTRANSPORT_SESSION.
func parseCloseCapsule(v []byte) (uint32, string, error) {
	if len(v) < 4 || len(v) > 4+maxCloseReason || !utf8.Valid(v[4:]) {
		return 0, "", errBadCloseCapsule
	}
	return binary.BigEndian.Uint32(v), string(v[4:]), nil
}

// appendVarint appends v in the QUIC variable-length encoding
// (RFC 9000, Section 16).
func appendVarint(b []byte, v uint64) []byte { return quicvarint.Append(b, v) }

// readVarint reads one varint from r a byte at a time.
func readVarint(r interface{ Read([]byte) (int, error) }) (uint64, error) {
	var b [8]byte
	if err := readFull(r, b[:1]); err != nil {
		return 0, err
	}
	n := 1 << (b[0] >> 6)
	if err := readFull(r, b[1:n]); err != nil {
		return 0, err
	}
	v := uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

func readFull(r interface{ Read([]byte) (int, error) }, b []byte) error {
	for len(b) > 0 {
		n, err := r.Read(b)
		b = b[n:]
		if err != nil && len(b) > 0 {
			return err
		}
	}
	return nil
}
