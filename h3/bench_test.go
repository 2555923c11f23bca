package h3

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// BenchmarkGet1KiB measures a full GET round trip with a 1 KiB response
// through the Transport and Server over the in-memory transport.
func BenchmarkGet1KiB(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 1024)
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(payload)
	})}
	ts := newTestSetup(b, srv, false)
	req := newRequest(b, "GET", "https://example.test/bytes/1024", nil)
	benchGet1KiB(b, ts.tr, req)
}

// benchGet1KiB sends req through rt once per benchmark iteration and checks
// that each response body is exactly 1024 bytes long.
func benchGet1KiB(b *testing.B, rt http.RoundTripper, req *http.Request) {
	buf := make([]byte, 2048)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.ReadFull(resp.Body, buf[:1025])
		if err != io.ErrUnexpectedEOF || n != 1024 {
			b.Fatalf("read %d: %v", n, err)
		}
		resp.Body.Close()
	}
}
