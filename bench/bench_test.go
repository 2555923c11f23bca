package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

var (
	certOnce sync.Once
	testCert *Cert
	certErr  error
)

func cert(tb testing.TB) *Cert {
	tb.Helper()
	certOnce.Do(func() { testCert, certErr = NewCert(time.Now()) })
	if certErr != nil {
		tb.Fatal(certErr)
	}
	return testCert
}

// pair is a client stack and a server stack.
type pair struct{ client, server Stack }

func (p pair) String() string {
	if p.client == p.server {
		return string(p.client)
	}
	return fmt.Sprintf("%s-client-%s-server", p.client, p.server)
}

// allPairs lists the same-stack pairs first, then the crossed ones.
var allPairs = []pair{{Peregrine, Peregrine}, {QuicGo, QuicGo},
	{QuicGo, Peregrine}, {Peregrine, QuicGo}}

// bulkConn starts a bulk server and dials one connection to it.
func bulkConn(tb testing.TB, p pair) *Conn {
	tb.Helper()
	srv, err := ListenQUIC(p.server, cert(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	cl, err := NewQUICClient(p.client, cert(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cl.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cl.Dial(ctx, srv.Addr())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func TestQUICBulkPairs(t *testing.T) {
	for _, p := range allPairs {
		t.Run(p.String(), func(t *testing.T) {
			c := bulkConn(t, p)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			const size = 1<<20 + 17
			n, err := c.Fetch(ctx, size, make([]byte, 4096))
			if err != nil || n != size {
				t.Fatalf("Fetch = %d, %v; want %d bytes", n, err, size)
			}
		})
	}
}

// h3Client starts an HTTP/3 server answering body bytes and returns a client
// for it with a request to send.
func h3Client(tb testing.TB, p pair, body int) (*H3Client, *Server) {
	tb.Helper()
	srv, err := ListenH3(p.server, cert(tb), body)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	cl, err := NewH3Client(p.client, cert(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cl.Close() })
	return cl, srv
}

func TestH3GetPairs(t *testing.T) {
	for _, p := range allPairs {
		t.Run(p.String(), func(t *testing.T) {
			const body = 1500
			cl, srv := h3Client(t, p, body)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			req, err := NewGet(ctx, srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				n, err := cl.Get(req, make([]byte, 512))
				if err != nil || n != body {
					t.Fatalf("Get %d = %d, %v; want %d bytes", i, n, err, body)
				}
			}
		})
	}
}

func TestRunGetsCounts(t *testing.T) {
	cl, srv := h3Client(t, pair{Peregrine, Peregrine}, 1024)
	n, _, err := RunGets(context.Background(), []*H3Client{cl}, srv.Addr(), 2,
		200*time.Millisecond)
	if err != nil || n == 0 {
		t.Fatalf("RunGets = %d, %v; want some requests", n, err)
	}
}

// reportCPU adds CPU per operation and per GB (when bytes > 0) to b.
func reportCPU(b *testing.B, before Usage, bytes int64) {
	cpu := ReadUsage().Sub(before).CPU
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	if bytes > 0 {
		b.ReportMetric(cpu.Seconds()/(float64(bytes)/1e9), "cpu-s/GB")
		b.ReportMetric(float64(bytes)*8/b.Elapsed().Seconds()/1e9, "Gbit/s")
	}
}

// BenchmarkQUICBulk measures one stream carrying 16 MiB per operation from
// server to client on one connection, both ends in this process.
func BenchmarkQUICBulk(b *testing.B) {
	const size = 16 << 20
	for _, p := range allPairs[:2] {
		b.Run(p.String(), func(b *testing.B) {
			c := bulkConn(b, p)
			ctx := context.Background()
			buf := make([]byte, 64<<10)
			if _, err := c.Fetch(ctx, size, buf); err != nil { // warm up the windows
				b.Fatal(err)
			}
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			before := ReadUsage()
			for b.Loop() {
				if _, err := c.Fetch(ctx, size, buf); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, before, int64(b.N)*size)
		})
	}
}

// BenchmarkQUICHandshake measures a full handshake and close, one after another,
// both ends in this process.
func BenchmarkQUICHandshake(b *testing.B) {
	for _, p := range allPairs[:2] {
		b.Run(p.String(), func(b *testing.B) {
			srv, err := ListenQUIC(p.server, cert(b))
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			cl, err := NewQUICClient(p.client, cert(b))
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			ctx := context.Background()
			b.ReportAllocs()
			before := ReadUsage()
			for b.Loop() {
				c, err := cl.Dial(ctx, srv.Addr())
				if err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
			reportCPU(b, before, 0)
		})
	}
}

// BenchmarkH3Get1KiB measures a GET with a 1 KiB response on one connection,
// one request at a time; allocs/op counts client and server together.
func BenchmarkH3Get1KiB(b *testing.B) {
	for _, p := range allPairs {
		b.Run(p.String(), func(b *testing.B) {
			cl, srv := h3Client(b, p, 1024)
			req, err := NewGet(context.Background(), srv.Addr())
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 16<<10)
			if _, err := cl.Get(req, buf); err != nil { // dial outside the timing
				b.Fatal(err)
			}
			b.ReportAllocs()
			before := ReadUsage()
			for b.Loop() {
				if _, err := cl.Get(req, buf); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, before, 0)
		})
	}
}

// BenchmarkH3Get1KiBParallel is BenchmarkH3Get1KiB with 8 requests in flight per
// core on one connection, where the connection loops can batch work.
func BenchmarkH3Get1KiBParallel(b *testing.B) {
	for _, p := range allPairs[:2] {
		b.Run(p.String(), func(b *testing.B) {
			cl, srv := h3Client(b, p, 1024)
			warm, err := NewGet(context.Background(), srv.Addr())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := cl.Get(warm, make([]byte, 4096)); err != nil {
				b.Fatal(err)
			}
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer()
			before := ReadUsage()
			b.RunParallel(func(pb *testing.PB) {
				req, err := NewGet(context.Background(), srv.Addr())
				if err != nil {
					b.Error(err)
					return
				}
				buf := make([]byte, 16<<10)
				for pb.Next() {
					if _, err := cl.Get(req, buf); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportCPU(b, before, 0)
		})
	}
}
