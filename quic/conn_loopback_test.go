package quic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

// loopbackPair starts a server endpoint on 127.0.0.1 and dials it.
func loopbackPair(t testing.TB, mod func(server, client *Config)) (srv, cli *Conn) {
	t.Helper()
	scfg, ccfg := testConfigs(t)
	if mod != nil {
		mod(scfg, ccfg)
	}
	ep, err := Listen("udp", "127.0.0.1:0", scfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	accepted := make(chan *Conn, 1)
	go func() {
		c, err := ep.Accept(ctx)
		if err != nil {
			t.Errorf("accept: %v", err)
		}
		accepted <- c
	}()
	cli, err = Dial(ctx, "udp", ep.LocalAddr().String(), ccfg)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	srv = <-accepted
	if srv == nil {
		t.FailNow()
	}
	return srv, cli
}

func TestLoopbackHandshake(t *testing.T) {
	srv, cli := loopbackPair(t, nil)
	if got := cli.ConnectionState().NegotiatedProtocol; got != "test" {
		t.Errorf("client ALPN = %q, want test", got)
	}
	if got := srv.ConnectionState().NegotiatedProtocol; got != "test" {
		t.Errorf("server ALPN = %q, want test", got)
	}
	if cli.RemoteAddr().String() != srv.LocalAddr().String() {
		t.Errorf("client remote %v != server local %v", cli.RemoteAddr(), srv.LocalAddr())
	}
}

func TestLoopbackCloseWithError(t *testing.T) {
	srv, cli := loopbackPair(t, nil)
	if err := cli.CloseWithError(0x42, "bye"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("server did not see the close")
	}
	var ae *ApplicationError
	err := context.Cause(srv.Context())
	if !errors.As(err, &ae) || ae.Code != 0x42 || ae.Reason != "bye" || !ae.Remote {
		t.Fatalf("server cause = %v, want remote application error 0x42", err)
	}
	if err := cli.SendDatagram([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("SendDatagram after close = %v, want net.ErrClosed", err)
	}
}

func TestLoopbackDatagramEcho(t *testing.T) {
	srv, cli := loopbackPair(t, func(s, c *Config) {
		s.EnableDatagrams = true
		c.EnableDatagrams = true
	})
	if cli.MaxDatagramSize() == 0 || srv.MaxDatagramSize() == 0 {
		t.Fatalf("datagrams not negotiated: %d %d", cli.MaxDatagramSize(), srv.MaxDatagramSize())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		for {
			b, err := srv.ReceiveDatagram(ctx)
			if err != nil {
				return
			}
			srv.SendDatagram(append([]byte("echo:"), b...))
		}
	}()
	// Datagrams may be lost; retry a bounded number of times.
	for i := 0; i < 20; i++ {
		if err := cli.SendDatagram([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		rctx, rcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		b, err := cli.ReceiveDatagram(rctx)
		rcancel()
		if err == nil {
			if string(b) != "echo:ping" {
				t.Fatalf("got %q", b)
			}
			return
		}
	}
	t.Fatal("no datagram echoed")
}

func TestLoopback200Streams(t *testing.T) {
	srv, cli := loopbackPair(t, func(s, c *Config) {
		s.MaxBidiRemoteStreams = 250
	})
	const streams = 200
	const size = 20 << 10
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Server: echo every stream.
	go func() {
		for {
			s, err := srv.AcceptStream(ctx)
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 4096)
				for {
					n, err := s.Read(buf)
					if n > 0 {
						if _, werr := s.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						s.Close()
						return
					}
				}
			}()
		}
	}()
	errs := make(chan error, streams)
	for i := 0; i < streams; i++ {
		go func(i int) {
			errs <- echoStream(ctx, cli, i, size)
		}(i)
	}
	for i := 0; i < streams; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// echoStream writes a pattern on a new stream and checks the echo.
func echoStream(ctx context.Context, c *Conn, seed, size int) error {
	s, err := c.OpenStream(ctx)
	if err != nil {
		return err
	}
	want := make([]byte, size)
	for j := range want {
		want[j] = byte(seed*7 + j)
	}
	werr := make(chan error, 1)
	go func() {
		_, err := s.Write(want)
		if err == nil {
			err = s.Close()
		}
		werr <- err
	}()
	got, err := io.ReadAll(s)
	if err != nil {
		return fmt.Errorf("stream %d read: %w", seed, err)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("stream %d write: %w", seed, err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("stream %d: got %d bytes, want %d, data differs", seed, len(got), size)
	}
	return nil
}
