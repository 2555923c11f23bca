// Package testcert makes the self-signed certificates that the tests of
// several Peregrine packages (h3, wt, quic) serve and trust, so that each test
// package need not carry its own copy of the same x509 template.
//
// It is for tests only: the keys come from crypto/rand but are never stored,
// and the certificates name "localhost" alone.
//
// # Limitations
//
//   - Only ECDSA P-256 keys are made; tests of RSA or Ed25519 certificates
//     need their own.
//   - There is no certificate chain: each certificate is self-signed and is
//     the only entry of the pool returned with it, so intermediate handling is
//     not exercised.
package testcert
