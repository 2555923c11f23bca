package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

// Generate returns a new self-signed ECDSA P-256 certificate for "localhost",
// valid from notBefore to notAfter, and a pool that trusts it. The certificate
// is its own CA, so it verifies whether or not a verifier accepts a leaf as a
// root. Generate is safe for concurrent use.
func Generate(notBefore, notAfter time.Time) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// Localhost returns a new certificate for "localhost" valid for an hour either
// side of now, and a pool that trusts it; it fails t if one cannot be made. The
// short validity keeps it acceptable to Chromium's serverCertificateHashes,
// which refuses certificates valid for more than 14 days. Localhost is safe
// for concurrent use.
func Localhost(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	now := time.Now()
	cert, pool, err := Generate(now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return cert, pool
}
