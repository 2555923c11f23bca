package protection

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"errors"
	"hash"
	"math"

	"golang.org/x/crypto/chacha20poly1305"
)

// QUIC versions whose packet protection this package knows.
const (
	// Version1 is QUIC version 1 (RFC 9000).
	Version1 uint32 = 0x00000001
	// Version2 is QUIC version 2 (RFC 9369, Section 3.1).
	Version2 uint32 = 0x6b3343cf
)

const (
	// TagLen is the length of the AEAD authentication tag that sealing
	// appends to every packet; all supported AEADs use 16 bytes.
	TagLen = 16
	// SampleLen is the length of the ciphertext sample taken for header
	// protection (RFC 9001, Section 5.4.2).
	SampleLen = 16
	// MaxPacketNumber is the largest packet number QUIC allows
	// (RFC 9000, Section 12.3).
	MaxPacketNumber int64 = 1<<62 - 1

	ivLen = 12
)

// Errors returned by this package. ErrDecryptionFailed deliberately carries
// no detail: a packet that fails authentication is simply dropped.
var (
	ErrDecryptionFailed = errors.New("protection: decryption failed")
	ErrPacketTooShort   = errors.New("protection: packet too short for header protection sample")
	ErrUnknownSuite     = errors.New("protection: unsupported cipher suite")
	ErrUnknownVersion   = errors.New("protection: unsupported QUIC version")
	ErrBadSecret        = errors.New("protection: secret length does not match the suite's hash")
	ErrBadArgument      = errors.New("protection: invalid argument")
	ErrNoTagRoom        = errors.New("protection: no spare capacity for the AEAD tag")
	ErrNoKeys           = errors.New("protection: keys not available")
	ErrUpdatePending    = errors.New("protection: previous key update not yet answered by the peer")
)

// labels holds the HKDF-Expand-Label labels of one QUIC version.
type labels struct {
	key, iv, hp, ku string
}

var (
	labelsV1 = labels{key: "quic key", iv: "quic iv", hp: "quic hp", ku: "quic ku"}
	labelsV2 = labels{key: "quicv2 key", iv: "quicv2 iv", hp: "quicv2 hp", ku: "quicv2 ku"}
)

func versionLabels(version uint32) (*labels, error) {
	switch version {
	case Version1:
		return &labelsV1, nil
	case Version2:
		// RFC 9369, Section 3.3.2: version 2 uses its own labels.
		return &labelsV2, nil
	}
	return nil, ErrUnknownVersion
}

// suiteParams describes one TLS 1.3 cipher suite as QUIC uses it.
type suiteParams struct {
	hash   func() hash.Hash
	keyLen int
	chacha bool
}

func suiteOf(suite uint16) (suiteParams, error) {
	switch suite {
	case tls.TLS_AES_128_GCM_SHA256:
		return suiteParams{hash: sha256.New, keyLen: 16}, nil
	case tls.TLS_AES_256_GCM_SHA384:
		return suiteParams{hash: sha512.New384, keyLen: 32}, nil
	case tls.TLS_CHACHA20_POLY1305_SHA256:
		return suiteParams{hash: sha256.New, keyLen: 32, chacha: true}, nil
	}
	return suiteParams{}, ErrUnknownSuite
}

// ConfidentialityLimit returns the number of packets that may be sealed with
// one key of the given suite before the key must be updated (RFC 9001,
// Section 6.6). It is math.MaxUint64 where the limit exceeds the packet
// number space, and 0 for an unknown suite.
func ConfidentialityLimit(suite uint16) uint64 {
	switch suite {
	case tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384:
		return 1 << 23
	case tls.TLS_CHACHA20_POLY1305_SHA256:
		return math.MaxUint64
	}
	return 0
}

// IntegrityLimit returns the number of packets failing authentication that
// an endpoint may receive on a connection, across all keys, before it must
// close the connection with AEAD_LIMIT_REACHED (RFC 9001, Section 6.6). It is
// 0 for an unknown suite.
func IntegrityLimit(suite uint16) uint64 {
	switch suite {
	case tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384:
		return 1 << 52
	case tls.TLS_CHACHA20_POLY1305_SHA256:
		return 1 << 36
	}
	return 0
}

// expandLabel is HKDF-Expand-Label of TLS 1.3 (RFC 8446, Section 7.1) with
// an empty context, as QUIC uses it (RFC 9001, Section 5.1).
func expandLabel(h func() hash.Hash, secret []byte, label string, n int) ([]byte, error) {
	const prefix = "tls13 "
	info := make([]byte, 0, 4+len(prefix)+len(label))
	info = append(info, byte(n>>8), byte(n), byte(len(prefix)+len(label)))
	info = append(info, prefix...)
	info = append(info, label...)
	info = append(info, 0) // empty context
	return hkdf.Expand(h, secret, string(info), n)
}

// Keys protects and unprotects packets in one direction at one encryption
// level and key phase: an AEAD with its IV, and the header protection key.
//
// A Keys is not safe for concurrent use: Seal and Open reuse buffers held in
// it. The connection's goroutine owns it.
type Keys struct {
	suite   uint16
	version uint32
	secret  []byte // traffic secret, kept to derive the next key phase
	aead    cipher.AEAD
	iv      [ivLen]byte
	nonce   [ivLen]byte // scratch, so the nonce does not escape per packet
	hp      headerProtector
}

// NewKeys derives packet protection keys from a TLS traffic secret, as
// crypto/tls hands it over in a QUICSetReadSecret or QUICSetWriteSecret event
// with its Suite (RFC 9001, Section 5.1). The secret is copied.
func NewKeys(version uint32, suite uint16, secret []byte) (*Keys, error) {
	lb, err := versionLabels(version)
	if err != nil {
		return nil, err
	}
	sp, err := suiteOf(suite)
	if err != nil {
		return nil, err
	}
	if len(secret) != sp.hash().Size() {
		return nil, ErrBadSecret
	}
	hpKey, err := expandLabel(sp.hash, secret, lb.hp, sp.keyLen)
	if err != nil {
		return nil, err
	}
	k := &Keys{suite: suite, version: version}
	if err := k.hp.init(hpKey, sp.chacha); err != nil {
		return nil, err
	}
	if err := k.setSecret(sp, lb, secret); err != nil {
		return nil, err
	}
	return k, nil
}

// setSecret derives the AEAD key and IV from secret; the header protection
// key is left as it is.
func (k *Keys) setSecret(sp suiteParams, lb *labels, secret []byte) error {
	key, err := expandLabel(sp.hash, secret, lb.key, sp.keyLen)
	if err != nil {
		return err
	}
	iv, err := expandLabel(sp.hash, secret, lb.iv, ivLen)
	if err != nil {
		return err
	}
	var aead cipher.AEAD
	if sp.chacha {
		aead, err = chacha20poly1305.New(key)
	} else {
		var block cipher.Block
		block, err = aes.NewCipher(key)
		if err == nil {
			aead, err = cipher.NewGCM(block)
		}
	}
	if err != nil {
		return err
	}
	k.secret = append([]byte(nil), secret...)
	k.aead = aead
	copy(k.iv[:], iv)
	return nil
}

// Next returns the keys of the next key phase (RFC 9001, Section 6.1): the
// AEAD key and IV come from the secret expanded with "quic ku" ("quicv2 ku"
// for version 2), and the header protection key stays the same.
func (k *Keys) Next() (*Keys, error) {
	lb, err := versionLabels(k.version)
	if err != nil {
		return nil, err
	}
	sp, err := suiteOf(k.suite)
	if err != nil {
		return nil, err
	}
	secret, err := expandLabel(sp.hash, k.secret, lb.ku, len(k.secret))
	if err != nil {
		return nil, err
	}
	n := &Keys{suite: k.suite, version: k.version, hp: k.hp.clone()}
	if err := n.setSecret(sp, lb, secret); err != nil {
		return nil, err
	}
	return n, nil
}

// Suite returns the TLS cipher suite of the keys.
func (k *Keys) Suite() uint16 { return k.suite }

// Version returns the QUIC version the keys were derived for.
func (k *Keys) Version() uint32 { return k.version }
