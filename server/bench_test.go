package server

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/peregrine-h3/peregrine/router"
)

// benchServer serves GET /bytes/{n} with n zero bytes.
func benchServer(b *testing.B) *testServer {
	zeros := make([]byte, 64<<10)
	ts := startServer(b, Options{Routes: []router.Route{{Method: "GET",
		Pattern: "/bytes/{n}", Handler: http.HandlerFunc(
			func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.Atoi(r.PathValue("n"))
				w.Header().Set("Content-Length", strconv.Itoa(n))
				for n > 0 {
					k := min(n, len(zeros))
					w.Write(zeros[:k])
					n -= k
				}
			})}}})
	return ts
}

func benchGet(b *testing.B, ts *testServer, path string) int64 {
	req, _ := http.NewRequestWithContext(context.Background(), "GET", ts.url+path, nil)
	resp, err := ts.tr.RoundTrip(req)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("GET %s: %d, %v", path, resp.StatusCode, err)
	}
	return n
}

// BenchmarkSmallGET measures one request and its 100-byte response over an open
// connection, through the route table, request counting and panic recovery.
func BenchmarkSmallGET(b *testing.B) {
	ts := benchServer(b)
	benchGet(b, ts, "/bytes/100")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		benchGet(b, ts, "/bytes/100")
	}
}

// BenchmarkDownload10MB measures the throughput of one 10 MB response.
func BenchmarkDownload10MB(b *testing.B) {
	ts := benchServer(b)
	benchGet(b, ts, "/bytes/100")
	b.SetBytes(10_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		benchGet(b, ts, "/bytes/10000000")
	}
}
