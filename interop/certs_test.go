package interop

import (
	"crypto/tls"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	"github.com/peregrine-h3/peregrine/server"
)

var (
	certOnce sync.Once
	devCert  *server.DevCert
	certErr  error
)

// tlsConfigs returns a server and a client TLS configuration that trust each other, for
// the given ALPN protocol.
func tlsConfigs(t *testing.T, alpn string) (srv, cli *tls.Config) {
	t.Helper()
	certOnce.Do(func() { devCert, certErr = server.GenerateDevCert(time.Now()) })
	if certErr != nil {
		t.Fatal(certErr)
	}
	pool := x509.NewCertPool()
	pool.AddCert(devCert.Certificate.Leaf)
	srv = &tls.Config{Certificates: []tls.Certificate{devCert.Certificate},
		NextProtos: []string{alpn}}
	cli = &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{alpn}}
	return srv, cli
}
