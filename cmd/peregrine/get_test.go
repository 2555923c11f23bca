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
	"time"

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

func TestGetVerboseStartsOnNewLine(t *testing.T) {
	url, _ := startDemo(t)
	for _, body := range []string{"hello", "hello\n"} {
		var out, errOut bytes.Buffer
		err := get([]string{"-k", "-v", "-d", body, url + "/echo"}, &out, &errOut)
		if err != nil {
			t.Fatalf("get: %v\n%s", err, errOut.String())
		}
		if out.String() != body {
			t.Fatalf("body %q, want %q", out.String(), body)
		}
		// The body went to out, the verbose lines to errOut; on a shared terminal the
		// timing line must not continue a body line that lacks its newline.
		blank := strings.Contains(errOut.String(), "<\n\n* timings:")
		if want := !strings.HasSuffix(body, "\n"); blank != want {
			t.Errorf("body %q: blank line before the timings %v, want %v:\n%s", body,
				blank, want, errOut.String())
		}
	}
}

func TestGetConnectTimeout(t *testing.T) {
	// A UDP socket that never answers stands for a port with no server.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	url := "https://" + pc.LocalAddr().String() + "/"
	var out, errOut bytes.Buffer
	start := time.Now()
	err = get([]string{"-k", "-connect-timeout", "300ms", url}, &out, &errOut)
	if err == nil {
		t.Fatal("get succeeded against a silent port")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("get gave up after %v with -connect-timeout 300ms", d)
	}
	if !strings.Contains(err.Error(), "no QUIC handshake") {
		t.Errorf("error %q does not say that no handshake happened", err)
	}
}

func TestGetExtendedConnectDatagram(t *testing.T) {
	url, _ := startDemo(t)
	var out, errOut bytes.Buffer
	err := get([]string{"-k", "-v", "-protocol", "connect-udp", "-d", "ping",
		url + "/dgram/echo"}, &out, &errOut)
	if err != nil {
		t.Fatalf("get: %v\n%s", err, errOut.String())
	}
	if out.String() != "ping" {
		t.Fatalf("echoed datagram %q, want %q", out.String(), "ping")
	}
	for _, want := range []string{"> CONNECT /dgram/echo HTTP/3", "> :protocol: connect-udp",
		"< HTTP/3.0 200"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("-v output lacks %q:\n%s", want, errOut.String())
		}
	}
	// Without -protocol the route answers 405, as the README says.
	out.Reset()
	errOut.Reset()
	if err := get([]string{"-k", "-v", url + "/dgram/echo"}, &out, &errOut); err != nil {
		t.Fatalf("get: %v", err)
	}
	if !strings.Contains(errOut.String(), "< HTTP/3.0 405") {
		t.Errorf("a GET of /dgram/echo did not answer 405:\n%s", errOut.String())
	}
}

func TestPrintHowToKeepsBinaryOffTheTerminal(t *testing.T) {
	var b bytes.Buffer
	printHowTo(&b, 4433, nil, false)
	if strings.Contains(b.String(), "TCP") {
		t.Errorf("with -no-tcp the hint still mentions TCP:\n%s", b.String())
	}
	line := ""
	for l := range strings.Lines(b.String()) {
		if strings.Contains(l, "peregrine get") {
			line = l
		}
	}
	if !strings.Contains(line, "-o /dev/null") || !strings.Contains(line, "localhost:4433") {
		t.Fatalf("the shell hint %q would print the NUL bytes of /bytes/1000", line)
	}
}
