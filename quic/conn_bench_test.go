package quic

import (
	"context"
	"io"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time (user and system) used by the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLoopbackBulk measures one stream's throughput over loopback UDP,
// both endpoints in this process. It reports Gbit/s and the CPU time of both
// sides per GB transferred.
func BenchmarkLoopbackBulk(b *testing.B) {
	srv, cli := loopbackPair(b, nil)
	const chunk = 1 << 20
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	done := make(chan int64, 1)
	go func() {
		s, err := srv.AcceptUniStream(ctx)
		if err != nil {
			done <- -1
			return
		}
		n, _ := io.Copy(io.Discard, s)
		done <- n
	}()
	s, err := cli.OpenUniStream(ctx)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, chunk)
	b.SetBytes(chunk)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := s.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	n := <-done
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	if n != int64(b.N)*chunk {
		b.Fatalf("received %d bytes, want %d", n, int64(b.N)*chunk)
	}
	gb := float64(n) / 1e9
	b.ReportMetric(float64(n)*8/1e9/elapsed.Seconds(), "Gbit/s")
	b.ReportMetric(cpu.Seconds()/gb, "cpu-s/GB")
}

// BenchmarkHandshake measures a full handshake over loopback.
func BenchmarkHandshake(b *testing.B) {
	scfg, ccfg := testConfigs(b)
	ep, err := Listen("udp", "127.0.0.1:0", scfg)
	if err != nil {
		b.Fatal(err)
	}
	defer ep.Close()
	cep, err := Listen("udp", "127.0.0.1:0", scfg)
	if err != nil {
		b.Fatal(err)
	}
	defer cep.Close()
	ctx := context.Background()
	go func() {
		for {
			c, err := ep.Accept(ctx)
			if err != nil {
				return
			}
			go func() {
				<-c.Context().Done()
			}()
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := cep.Dial(ctx, ep.LocalAddr(), ccfg)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
