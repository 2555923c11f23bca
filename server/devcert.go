package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// DevCertValidity is how long a generated development certificate is valid. Browsers
// accept a self-signed certificate by its hash (WebTransport's serverCertificateHashes)
// only when it is valid for at most 14 days.
const DevCertValidity = 13 * 24 * time.Hour

// DevCert is a generated self-signed development certificate. It is not modified after
// GenerateDevCert returns, so it may be shared between goroutines.
type DevCert struct {
	// Certificate is ready for tls.Config.Certificates.
	Certificate tls.Certificate
	// CertPEM and KeyPEM are the certificate and its private key in PEM form.
	CertPEM, KeyPEM []byte
	// SHA256 is the lowercase hex SHA-256 of the DER certificate, the value WebTransport's
	// serverCertificateHashes takes.
	SHA256 string
	// SPKI is the base64 SHA-256 of the certificate's SubjectPublicKeyInfo, the value
	// Chromium's --ignore-certificate-errors-spki-list takes.
	SPKI string
	// NotAfter is when the certificate expires.
	NotAfter time.Time
}

// GenerateDevCert makes a self-signed ECDSA P-256 certificate for localhost, 127.0.0.1 and
// ::1 plus the given extra host names or IP addresses, valid from now for
// [DevCertValidity].
func GenerateDevCert(now time.Time, hosts ...string) (*DevCert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("server: generating a development key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("server: generating a serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "peregrine development certificate"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(DevCertValidity - time.Minute),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("server: creating a development certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("server: encoding a development key: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("server: parsing a development certificate: %w", err)
	}
	certHash := sha256.Sum256(der)
	spkiHash := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	return &DevCert{
		Certificate: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		CertPEM:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:      pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		SHA256:      hex.EncodeToString(certHash[:]),
		SPKI:        base64.StdEncoding.EncodeToString(spkiHash[:]),
		NotAfter:    leaf.NotAfter,
	}, nil
}
