package wt

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

// BenchmarkStreamRoundTrip1KiB opens a bidirectional WebTransport stream,
// sends 1 KiB, and reads the echo, client and server in one process over
// loopback QUIC.
func BenchmarkStreamRoundTrip1KiB(b *testing.B) {
	env := startServer(b, nil, echoSession)
	s := env.dial(b)
	msg := bytes.Repeat([]byte("x"), 1024)
	buf := make([]byte, 2048)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		st, err := s.OpenStream(ctx)
		if err != nil {
			b.Fatal(err)
		}
		st.Write(msg)
		st.Close()
		n, err := io.ReadFull(st, buf[:len(msg)+1])
		if err != io.ErrUnexpectedEOF || n != len(msg) {
			b.Fatalf("read %d: %v", n, err)
		}
	}
}

// BenchmarkSendDatagram measures the sending side of a session's datagram.
func BenchmarkSendDatagram(b *testing.B) {
	env := startServer(b, nil, func(s *Session) { <-s.Context().Done() })
	s := env.dial(b)
	p := bytes.Repeat([]byte("d"), 100)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.SendDatagram(p); err != nil {
			b.Fatal(err)
		}
	}
}
