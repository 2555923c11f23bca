package h3

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/peregrine-h3/peregrine/internal/testcert"
	"github.com/peregrine-h3/peregrine/quic"
)

// startQUICServer serves h on a loopback quic.Endpoint and returns a
// Transport configured to trust it and the server's address.
func startQUICServer(t testing.TB, h http.Handler) (*Transport, string) {
	cert, pool := testcert.Localhost(t)
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h3"}}
	ep, err := quic.Listen("udp", "127.0.0.1:0", &quic.Config{
		TLSConfig:       tlsConf,
		EnableDatagrams: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Handler: h}
	done := make(chan struct{})
	go func() {
		srv.Serve(ep)
		close(done)
	}()
	tr := &Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"},
		QUICConfig:      &quic.Config{EnableDatagrams: true},
	}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Close()
		ep.Close()
		<-done
	})
	return tr, ep.LocalAddr().String()
}

// TestQUICLoopback runs the client and server over a real QUIC connection
// on the loopback interface.
func TestQUICLoopback(t *testing.T) {
	tr, addr := startQUICServer(t, http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		fmt.Fprintf(w, "%s %d %x", r.Proto, n, h.Sum(nil))
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body := strings.Repeat("peregrine", 20000)
	req, _ := http.NewRequestWithContext(ctx, "POST", "https://"+addr+"/up",
		strings.NewReader(body))
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := fmt.Sprintf("HTTP/3.0 %d %x", len(body), sha256.Sum256([]byte(body)))
	if err != nil || string(b) != want {
		t.Fatalf("response %q, %v; want %q", b, err, want)
	}
	if resp.TLS == nil || resp.TLS.NegotiatedProtocol != "h3" {
		t.Fatalf("TLS state %+v", resp.TLS)
	}
}

// TestQUICLoopbackDatagramEcho runs extended CONNECT with HTTP datagrams over
// real QUIC.
func TestQUICLoopbackDatagramEcho(t *testing.T) {
	protocols := make(chan string, 1)
	tr, addr := startQUICServer(t, datagramEchoHandler(t, protocols))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodConnect, "https://"+addr+"/dgram",
		nil)
	req.Header[":protocol"] = []string{"connect-udp"}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	st := resp.Body.(*Stream)
	// Datagrams may be lost even on loopback: retry each a few times.
	for i := range 3 {
		msg := fmt.Sprintf("dgram %d", i)
		var got []byte
		for try := 0; try < 20 && got == nil; try++ {
			if err := st.SendDatagram([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			rctx, rcancel := context.WithTimeout(ctx, 200*time.Millisecond)
			got, _ = st.ReceiveDatagram(rctx)
			rcancel()
		}
		if string(got) != "echo:"+msg {
			t.Fatalf("echo %q, want %q", got, "echo:"+msg)
		}
	}
}

// BenchmarkGet1KiBLoopback measures a 1 KiB GET round trip over real QUIC on
// the loopback interface, client and server in one process.
func BenchmarkGet1KiBLoopback(b *testing.B) {
	payload := strings.Repeat("x", 1024)
	tr, addr := startQUICServer(b, http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		io.WriteString(w, payload)
	}))
	req, _ := http.NewRequest("GET", "https://"+addr+"/bytes/1024", nil)
	benchGet1KiB(b, tr, req)
}
