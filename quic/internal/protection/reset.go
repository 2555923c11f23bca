package protection

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
)

// ResetTokenLen is the length of a stateless reset token
// (RFC 9000, Section 10.3).
const ResetTokenLen = 16

// ResetTokenGenerator derives stateless reset tokens from a static key, so
// that an endpoint which lost its state can still produce the token it once
// issued for a connection ID (RFC 9000, Section 10.3.2): the token is
// HMAC-SHA256 over the connection ID, truncated to 16 bytes.
//
// A ResetTokenGenerator is immutable after creation and safe for concurrent
// use.
type ResetTokenGenerator struct {
	key []byte
}

// NewResetTokenGenerator returns a generator for the static key, which
// should be at least 32 random bytes kept secret and stable across restarts
// of the endpoint. The key is copied.
func NewResetTokenGenerator(key []byte) *ResetTokenGenerator {
	return &ResetTokenGenerator{key: append([]byte(nil), key...)}
}

// Token returns the stateless reset token for connection ID cid.
func (g *ResetTokenGenerator) Token(cid []byte) [ResetTokenLen]byte {
	mac := hmac.New(sha256.New, g.key)
	mac.Write(cid)
	var sum [sha256.Size]byte
	var tok [ResetTokenLen]byte
	copy(tok[:], mac.Sum(sum[:0]))
	return tok
}

// EqualResetTokens compares two tokens in constant time, as comparing a
// received datagram against tokens must not leak their values
// (RFC 9000, Section 10.3.1).
func EqualResetTokens(a, b [ResetTokenLen]byte) bool {
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
