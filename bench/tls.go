package bench

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// ALPNQUIC is the application protocol of the QUIC bulk benchmark, whose
// servers speak a tiny protocol of their own (see ListenQUIC).
const ALPNQUIC = "peregrine-bench"

// Cert is a self-signed certificate for localhost and 127.0.0.1, generated for
// one benchmark run. A Cert is immutable once made and safe to share.
type Cert struct {
	CertPEM []byte
	KeyPEM  []byte
	tlsCert tls.Certificate
	pool    *x509.CertPool
}

// NewCert generates an ECDSA P-256 certificate valid for a day from now.
func NewCert(now time.Time) (*Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "peregrine-bench"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return ParseCert(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}

// ParseCert rebuilds a Cert from the PEM blocks of NewCert, so that a server in
// a child process can use the certificate its parent trusts.
func ParseCert(certPEM, keyPEM []byte) (*Cert, error) {
	tc, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("bench: certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(tc.Leaf)
	return &Cert{CertPEM: certPEM, KeyPEM: keyPEM, tlsCert: tc, pool: pool}, nil
}

// ServerTLS returns a server configuration offering alpn.
func (c *Cert) ServerTLS(alpn string) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.tlsCert}, NextProtos: []string{alpn},
		MinVersion: tls.VersionTLS13}
}

// ClientTLS returns a client configuration that trusts only c and asks for alpn.
func (c *Cert) ClientTLS(alpn string) *tls.Config {
	return &tls.Config{RootCAs: c.pool, ServerName: "localhost", NextProtos: []string{alpn},
		MinVersion: tls.VersionTLS13}
}
