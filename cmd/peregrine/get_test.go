package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/peregrine-h3/peregrine/server"
	"github.com/peregrine-h3/peregrine/server/demo"
)

// startDemo serves the demo site on a loopback socket and returns its URL and the
// certificate file.
func startDemo(t *testing.T) (string, string) {
	t.Helper()
	var srv *server.Server
	opts := server.Options{Addr: "127.0.0.1:0"}
	demo.Apply(&opts, func() server.Stats { return srv.Stats() }, nil)
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := writeCert(dir, srv.DevCert()); err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(pc)
	t.Cleanup(func() { srv.Close() })
	port := pc.LocalAddr().(*net.UDPAddr).Port
	return "https://localhost:" + strconv.Itoa(port), filepath.Join(dir, "cert.pem")
}

func TestGetVerbose(t *testing.T) {
	url, cert := startDemo(t)
	var out, errOut bytes.Buffer
	err := get([]string{"-cacert", cert, url + "/bytes/1234", "-v"}, &out, &errOut)
	if err != nil {
		t.Fatalf("get: %v\n%s", err, errOut.String())
	}
	if out.Len() != 1234 {
		t.Fatalf("body of %d bytes, want 1234", out.Len())
	}
	for _, want := range []string{"> GET /bytes/1234 HTTP/3", "< HTTP/3.0 200",
		"< content-length: 1234", "* timings: handshake ", "first byte ", "total "} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("-v output lacks %q:\n%s", want, errOut.String())
		}
	}
}

func TestGetPostFileAndHeaders(t *testing.T) {
	url, _ := startDemo(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.bin")
	data := bytes.Repeat([]byte("peregrine"), 100_000)
	os.WriteFile(in, data, 0o644)
	outFile := filepath.Join(dir, "out.json")
	var stdout, stderr bytes.Buffer
	err := get([]string{"-k", "-d", "@" + in, "-o", outFile, "-H", "X-Test: 1",
		url + "/upload"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	b, _ := os.ReadFile(outFile)
	sum := sha256.Sum256(data)
	if !strings.Contains(string(b), hex.EncodeToString(sum[:])) ||
		!strings.Contains(string(b), `"bytes": 900000`) {
		t.Fatalf("upload answer %s", b)
	}
	if stdout.Len() != 0 {
		t.Fatalf("-o still wrote %d bytes to stdout", stdout.Len())
	}
	stdout.Reset()
	if err := get([]string{"-k", "-X", "POST", "-d", "hi", url + "/echo"}, &stdout,
		&stderr); err != nil || stdout.String() != "hi" {
		t.Fatalf("POST /echo: %q, %v", stdout.String(), err)
	}
	if err := get([]string{"-k", "-H", "no colon", url + "/"}, &stdout, &stderr); err == nil {
		t.Fatal("a malformed -H was accepted")
	}
	if err := get([]string{url + "/"}, &stdout, &stderr); err == nil {
		t.Fatal("an untrusted certificate was accepted without -k")
	}
}
