package quic

import (
	"crypto/tls"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	"github.com/peregrine-h3/peregrine/internal/testcert"
)

var (
	testCertOnce sync.Once
	testCert     tls.Certificate
	testPool     *x509.CertPool
)

// testCertificate returns a self-signed certificate for "localhost", made
// once per test binary.
func testCertificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	testCertOnce.Do(func() {
		// Valid in real time and in synctest bubbles (which start in 2000).
		var err error
		testCert, testPool, err = testcert.Generate(
			time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			panic(err)
		}
	})
	return testCert, testPool
}

// testConfigs returns matching server and client configurations.
func testConfigs(t testing.TB) (server, client *Config) {
	cert, pool := testCertificate(t)
	server = &Config{TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"test"},
	}}
	client = &Config{TLSConfig: &tls.Config{
		RootCAs:    pool,
		ServerName: "localhost",
		NextProtos: []string{"test"},
	}}
	return server, client
}
