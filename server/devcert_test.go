package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"testing"
	"time"
)

func TestGenerateDevCert(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	dc, err := GenerateDevCert(now, "example.test", "10.1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(dc.CertPEM, dc.KeyPEM)
	if err != nil {
		t.Fatalf("PEM pair does not load: %v", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("key is %T, want ECDSA P-256", leaf.PublicKey)
	}
	if v := leaf.NotAfter.Sub(leaf.NotBefore); v > 14*24*time.Hour {
		t.Errorf("validity %v is over the 14 days browsers accept", v)
	}
	if !leaf.NotBefore.Before(now) || !leaf.NotAfter.After(now.Add(12*24*time.Hour)) {
		t.Errorf("validity %v..%v does not cover now..now+12d", leaf.NotBefore, leaf.NotAfter)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "example.test", "10.1.2.3"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("certificate does not cover %s: %v", h, err)
		}
	}
	sum := sha256.Sum256(pair.Certificate[0])
	if dc.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 %s does not match the certificate", dc.SHA256)
	}
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	if dc.SPKI != base64.StdEncoding.EncodeToString(spki[:]) {
		t.Errorf("SPKI %s does not match the certificate", dc.SPKI)
	}
	other, err := GenerateDevCert(now)
	if err != nil {
		t.Fatal(err)
	}
	if other.SHA256 == dc.SHA256 {
		t.Error("two generated certificates are identical")
	}
}
