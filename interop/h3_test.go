package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

func get(ctx context.Context, rt http.RoundTripper, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return string(b), nil
}

func TestH3GetAndConcurrent(t *testing.T) {
	for _, p := range h3Pairings() {
		t.Run(p.name, func(t *testing.T) {
			srv, cli := p.server(t), p.client(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			url := "https://localhost:" + portOf(srv.addr) + "/hello"
			body, err := get(ctx, cli.rt, url)
			if err != nil || body != "hello HTTP/3.0" {
				t.Fatalf("GET: %q, %v", body, err)
			}
			var g errgroup.Group
			for range 100 {
				g.Go(func() error {
					body, err := get(ctx, cli.rt, url)
					if err == nil && body != "hello HTTP/3.0" {
						err = fmt.Errorf("body %q", body)
					}
					return err
				})
			}
			if err := g.Wait(); err != nil {
				t.Fatalf("100 concurrent GETs: %v", err)
			}
			if got := srv.handled.Load(); got != 101 {
				t.Fatalf("server handled %d requests, want 101", got)
			}
		})
	}
}

func TestH3PostWithTrailers(t *testing.T) {
	const size = 5 << 20
	for _, p := range h3Pairings() {
		t.Run(p.name, func(t *testing.T) {
			srv, cli := p.server(t), p.client(t)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			data := make([]byte, size)
			rand.NewChaCha8([32]byte{7}).Read(data)
			sum := sha256.Sum256(data)
			// A pipe makes the body streamed with an unknown length, so the trailer
			// is sent after it.
			pr, pw := io.Pipe()
			go func() {
				for b := data; len(b) > 0; b = b[min(len(b), 64<<10):] {
					if _, err := pw.Write(b[:min(len(b), 64<<10)]); err != nil {
						return
					}
				}
				pw.Close()
			}()
			url := "https://localhost:" + portOf(srv.addr) + "/sha"
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, pr)
			req.Trailer = http.Header{"X-Req-Trailer": nil}
			req.Trailer.Set("X-Req-Trailer", "t1")
			resp, err := cli.rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("%d %s t1", size, hex.EncodeToString(sum[:]))
			if string(b) != want {
				t.Fatalf("body %q, want %q", b, want)
			}
			if got := resp.Trailer.Get("X-Resp-Trailer"); got != "resp-t1" {
				t.Fatalf("response trailer %q, want resp-t1 (trailers %v)", got, resp.Trailer)
			}
		})
	}
}

func TestH3DatagramEcho(t *testing.T) {
	for _, p := range h3Pairings() {
		t.Run(p.name, func(t *testing.T) {
			srv, cli := p.server(t), p.client(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			url := "https://localhost:" + portOf(srv.addr) + "/dgram"
			s, err := cli.connectDatagrams(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 50 {
				msg := fmt.Appendf(nil, "h3-dgram-%d", i)
				if err := s.SendDatagram(msg); err != nil {
					t.Fatalf("send: %v", err)
				}
				rctx, rcancel := context.WithTimeout(ctx, 200*time.Millisecond)
				got, err := s.ReceiveDatagram(rctx)
				rcancel()
				if err == nil {
					if !bytes.HasPrefix(got, []byte("h3-dgram-")) {
						t.Fatalf("echo %q is not one of ours", got)
					}
					return
				}
			}
			t.Fatal("no HTTP datagram came back in 50 tries")
		})
	}
}

func portOf(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }
