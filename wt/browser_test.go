package wt

import (
	"crypto/tls"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peregrine-h3/peregrine/h3"
	"github.com/peregrine-h3/peregrine/internal/testcert"
	"github.com/peregrine-h3/peregrine/quic"
)

// TestBrowser runs headless Chromium's wt-test page
// (../shared/tools/chromium-h3) against an echo server. It needs Chromium,
// so it runs only when WT_BROWSER is set (make test-browser-wt).
func TestBrowser(t *testing.T) {
	if os.Getenv("WT_BROWSER") == "" {
		t.Skip("set WT_BROWSER=1 to run headless Chromium against the echo server")
	}
	runsh := os.Getenv("CHROMIUM_H3")
	if runsh == "" {
		runsh, _ = filepath.Abs("../../shared/tools/chromium-h3/run.sh")
	}
	cert, _ := testcert.Localhost(t)
	dir := t.TempDir()
	certFile := filepath.Join(dir, "cert.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	if err := os.WriteFile(certFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	ep, err := quic.Listen("udp", "127.0.0.1:0", &quic.Config{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert},
			NextProtos: []string{"h3"}},
		EnableDatagrams: true, EnableResetStreamAt: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ws := &Server{Protocols: []string{"chat-v2", "chat-v1"}}
	mux := http.NewServeMux()
	mux.Handle("/wt", ws.Handler(echoSession))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "peregrine wt echo server\n")
	})
	hs := &h3.Server{Handler: mux}
	ws.Configure(hs)
	go hs.Serve(ep)
	defer func() {
		hs.Close()
		ep.Close()
	}()
	port := ep.LocalAddr().String()[strings.LastIndexByte(ep.LocalAddr().String(), ':')+1:]
	args := []string{"wt-test", "localhost:" + port, "--cert", certFile, "--timeout", "60",
		"--protocols", "chat-v1,chat-v2"}
	if tests := os.Getenv("WT_BROWSER_TESTS"); tests != "" {
		args = append(args, "--tests", tests)
	}
	cmd := exec.Command(runsh, args...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("run.sh wt-test: %v", err)
	}
	// The page reports the protocol the server chose (WT-Protocol).
	if !strings.Contains(string(out), `"protocol":"chat-v2"`) {
		t.Fatal("the session's protocol is not chat-v2")
	}
}
