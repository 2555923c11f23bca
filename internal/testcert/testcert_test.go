package testcert

import (
	"crypto/x509"
	"testing"
	"time"
)

func TestLocalhostVerifies(t *testing.T) {
	cert, pool := Localhost(t)
	_, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: pool})
	if err != nil {
		t.Fatalf("certificate does not verify against its own pool: %v", err)
	}
	_, err = cert.Leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: pool})
	if err == nil {
		t.Fatal("certificate verified for a name it does not carry")
	}
	if d := cert.Leaf.NotAfter.Sub(cert.Leaf.NotBefore); d > 14*24*time.Hour {
		t.Fatalf("validity %v is too long for serverCertificateHashes", d)
	}
}

func TestGenerateValidity(t *testing.T) {
	nb := time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)
	na := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	cert, pool, err := Generate(nb, na)
	if err != nil {
		t.Fatal(err)
	}
	opts := x509.VerifyOptions{DNSName: "localhost", Roots: pool,
		CurrentTime: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := cert.Leaf.Verify(opts); err != nil {
		t.Fatalf("certificate does not verify in 2000: %v", err)
	}
	opts.CurrentTime = time.Date(2101, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := cert.Leaf.Verify(opts); err == nil {
		t.Fatal("certificate verified after NotAfter")
	}
}
