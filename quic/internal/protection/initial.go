package protection

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/tls"
)

var (
	// RFC 9001, Section 5.2.
	initialSaltV1 = []byte{
		0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
		0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
	}
	// RFC 9369, Section 3.3.1.
	initialSaltV2 = []byte{
		0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
		0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
	}
)

// initialSecrets returns the client and server Initial secrets for the
// client's original Destination Connection ID (RFC 9001, Section 5.2).
func initialSecrets(version uint32, odcid []byte) (client, server []byte, err error) {
	var salt []byte
	switch version {
	case Version1:
		salt = initialSaltV1
	case Version2:
		salt = initialSaltV2
	default:
		return nil, nil, ErrUnknownVersion
	}
	initial, err := hkdf.Extract(sha256.New, odcid, salt)
	if err != nil {
		return nil, nil, err
	}
	// The "client in" and "server in" labels are the same in version 2.
	client, err = expandLabel(sha256.New, initial, "client in", sha256.Size)
	if err != nil {
		return nil, nil, err
	}
	server, err = expandLabel(sha256.New, initial, "server in", sha256.Size)
	if err != nil {
		return nil, nil, err
	}
	return client, server, nil
}

// NewInitialKeys returns the keys protecting Initial packets sent by the
// client and by the server, derived from the Destination Connection ID of
// the client's first Initial packet (RFC 9001, Section 5.2). The client
// seals with client and opens with server; the server does the reverse.
// After a Retry the client derives them again from the Retry's Source
// Connection ID.
func NewInitialKeys(version uint32, odcid []byte) (client, server *Keys, err error) {
	cs, ss, err := initialSecrets(version, odcid)
	if err != nil {
		return nil, nil, err
	}
	client, err = NewKeys(version, tls.TLS_AES_128_GCM_SHA256, cs)
	if err != nil {
		return nil, nil, err
	}
	server, err = NewKeys(version, tls.TLS_AES_128_GCM_SHA256, ss)
	if err != nil {
		return nil, nil, err
	}
	return client, server, nil
}
