package protection

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"sync"
)

// Retry integrity keys and nonces: RFC 9001, Section 5.8 for version 1 and
// RFC 9369, Section 3.3.3 for version 2.
var (
	retryKeyV1 = [16]byte{
		0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a,
		0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e,
	}
	retryNonceV1 = [12]byte{
		0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb,
	}
	retryKeyV2 = [16]byte{
		0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2,
		0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc, 0x92,
	}
	retryNonceV2 = [12]byte{
		0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a,
	}
)

// maxConnIDLen is the longest connection ID QUIC version 1 and 2 allow
// (RFC 9000, Section 17.2).
const maxConnIDLen = 20

func newRetryAEAD(key [16]byte) cipher.AEAD {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic("protection: AES setup failed with a fixed 16-byte key: " + err.Error())
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("protection: GCM setup failed: " + err.Error())
	}
	return aead
}

// The AEADs hold only their expanded key after construction, so one instance
// per version serves concurrent callers.
var (
	retryAEADV1 = sync.OnceValue(func() cipher.AEAD { return newRetryAEAD(retryKeyV1) })
	retryAEADV2 = sync.OnceValue(func() cipher.AEAD { return newRetryAEAD(retryKeyV2) })
)

// RetryIntegrityTag computes the Retry Integrity Tag for a Retry packet
// (RFC 9001, Section 5.8; RFC 9369, Section 3.3.3). retry is the Retry
// packet without its tag and odcid is the Destination Connection ID of the
// client's first Initial. The server appends the tag to the packet. It is
// safe for concurrent use.
func RetryIntegrityTag(version uint32, odcid, retry []byte) ([TagLen]byte, error) {
	var tag [TagLen]byte
	var aead cipher.AEAD
	var nonce []byte
	switch version {
	case Version1:
		aead, nonce = retryAEADV1(), retryNonceV1[:]
	case Version2:
		aead, nonce = retryAEADV2(), retryNonceV2[:]
	default:
		return tag, ErrUnknownVersion
	}
	if len(odcid) > maxConnIDLen {
		return tag, ErrBadArgument
	}

	// The Retry pseudo-packet: ODCID length, ODCID, then the Retry packet
	// without its tag. It is the AAD of an AEAD over an empty plaintext.
	pseudo := make([]byte, 0, 1+len(odcid)+len(retry))
	pseudo = append(pseudo, byte(len(odcid)))
	pseudo = append(pseudo, odcid...)
	pseudo = append(pseudo, retry...)
	out := aead.Seal(tag[:0], nonce, nil, pseudo)
	copy(tag[:], out)
	return tag, nil
}

// VerifyRetry reports whether the Retry packet in retry, which ends with its
// Retry Integrity Tag, carries a valid tag for the original Destination
// Connection ID odcid. A client discards a Retry that fails this check
// (RFC 9001, Section 5.8). The comparison takes constant time. It is safe for
// concurrent use.
func VerifyRetry(version uint32, odcid, retry []byte) bool {
	if len(retry) < TagLen {
		return false
	}
	body := retry[:len(retry)-TagLen]
	tag, err := RetryIntegrityTag(version, odcid, body)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(tag[:], retry[len(body):]) == 1
}
