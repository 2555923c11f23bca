package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// Stream commands the echo server understands, sent as the first byte of a stream.
const (
	cmdEcho  = 'E' // echo everything until FIN, then FIN
	cmdClose = 'C' // close the connection with the 8-byte code that follows
)

// serveEcho accepts one connection and serves it: streams by their command byte and
// datagrams by echoing them. It returns the error that ended the connection.
func serveEcho(ctx context.Context, srv peerServer) (peerConn, <-chan error, error) {
	conn, err := srv.accept(ctx)
	if err != nil {
		return nil, nil, err
	}
	ended := make(chan error, 1)
	go func() {
		for {
			d, err := conn.receiveDatagram(context.Background())
			if err != nil {
				return
			}
			conn.sendDatagram(d)
		}
	}()
	go func() {
		for {
			s, err := conn.acceptStream(context.Background())
			if err != nil {
				ended <- err
				return
			}
			go serveStream(conn, s)
		}
	}()
	return conn, ended, nil
}

func serveStream(conn peerConn, s io.ReadWriteCloser) {
	var cmd [1]byte
	if _, err := io.ReadFull(s, cmd[:]); err != nil {
		s.Close()
		return
	}
	switch cmd[0] {
	case cmdEcho:
		io.Copy(s, s)
		s.Close()
	case cmdClose:
		var code [8]byte
		if _, err := io.ReadFull(s, code[:]); err == nil {
			conn.closeWithError(binary.BigEndian.Uint64(code[:]), "bye")
		}
	}
}

// echoStream sends size bytes of seeded random data on a new stream and checks that the
// same bytes come back, comparing SHA-256 digests.
func echoStream(ctx context.Context, conn peerConn, size int, seed uint64) error {
	s, err := conn.openStream(ctx)
	if err != nil {
		return fmt.Errorf("open stream: %w", err)
	}
	sent := sha256.New()
	werr := make(chan error, 1)
	go func() {
		rng := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)})
		buf := make([]byte, 32<<10)
		if _, err := s.Write([]byte{cmdEcho}); err != nil {
			werr <- err
			return
		}
		for left := size; left > 0; {
			n := min(left, len(buf))
			rng.Read(buf[:n])
			sent.Write(buf[:n])
			if _, err := s.Write(buf[:n]); err != nil {
				werr <- err
				return
			}
			left -= n
		}
		werr <- s.Close()
	}()
	got := sha256.New()
	n, err := io.Copy(got, s)
	if err != nil {
		return fmt.Errorf("read echo after %d bytes: %w", n, err)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if n != int64(size) || !bytes.Equal(got.Sum(nil), sent.Sum(nil)) {
		return fmt.Errorf("echo of %d bytes came back as %d bytes with another SHA-256", size, n)
	}
	return nil
}

type dialer func(ctx context.Context, t *testing.T, addr net.Addr) (peerConn, error)

// pairings lists the two directions of every interop test.
func pairings() []struct {
	name   string
	listen func(t *testing.T) peerServer
	dial   dialer
} {
	return []struct {
		name   string
		listen func(t *testing.T) peerServer
		dial   dialer
	}{
		{"quicgo-client/our-server", listenOurs, dialQuicGo},
		{"our-client/quicgo-server", listenQuicGo, dialOurs},
	}
}

// connect starts a server of one stack, dials it with the other, and returns the client
// connection and a channel with the error that ended the server's connection.
func connect(t *testing.T, listen func(*testing.T) peerServer, dial dialer) (
	peerConn, <-chan error) {
	t.Helper()
	conn, _, ended := connectBoth(t, listen, dial)
	return conn, ended
}

// connectBoth is connect that also returns the server's side of the connection.
func connectBoth(t *testing.T, listen func(*testing.T) peerServer, dial dialer) (
	client, server peerConn, ended <-chan error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := listen(t)
	var (
		serr error
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() { defer wg.Done(); server, ended, serr = serveEcho(ctx, srv) }()
	client, err := dial(ctx, t, srv.addr)
	wg.Wait()
	if err != nil || serr != nil {
		t.Fatalf("handshake: dial: %v, accept: %v", err, serr)
	}
	t.Cleanup(func() { client.closeWithError(0, "") })
	return client, server, ended
}

// TestQUICTransfer10MB echoes 10 MB each way while our side updates its keys every
// keyUpdateInterval packets, and checks that key updates did happen.
func TestQUICTransfer10MB(t *testing.T) {
	for _, p := range pairings() {
		t.Run(p.name, func(t *testing.T) {
			client, server, _ := connectBoth(t, p.listen, p.dial)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := echoStream(ctx, client, 10<<20, 1); err != nil {
				t.Fatal(err)
			}
			updates := max(keyUpdates(client), keyUpdates(server))
			if updates < 2 {
				t.Fatalf("%d key updates during the transfer, want at least 2", updates)
			}
		})
	}
}

func TestQUICConcurrentStreams(t *testing.T) {
	for _, p := range pairings() {
		t.Run(p.name, func(t *testing.T) {
			conn, _ := connect(t, p.listen, p.dial)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var g errgroup.Group
			for i := range 200 {
				g.Go(func() error { return echoStream(ctx, conn, 16<<10, uint64(i)+100) })
			}
			if err := g.Wait(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestQUICDatagramEcho(t *testing.T) {
	for _, p := range pairings() {
		t.Run(p.name, func(t *testing.T) {
			conn, _ := connect(t, p.listen, p.dial)
			// Datagrams may be lost even on loopback: send until one comes back.
			for i := range 50 {
				msg := fmt.Appendf(nil, "dgram-%d", i)
				if err := conn.sendDatagram(msg); err != nil {
					t.Fatalf("send: %v", err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				got, err := conn.receiveDatagram(ctx)
				cancel()
				if err == nil {
					if !bytes.HasPrefix(got, []byte("dgram-")) {
						t.Fatalf("echo %q is not one of ours", got)
					}
					return
				}
			}
			t.Fatal("no datagram came back in 50 tries")
		})
	}
}

func TestQUICCloseWithCode(t *testing.T) {
	for _, p := range pairings() {
		t.Run(p.name+"/server-closes", func(t *testing.T) {
			conn, _ := connect(t, p.listen, p.dial)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, err := conn.openStream(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cmd := binary.BigEndian.AppendUint64([]byte{cmdClose}, 0x42)
			if _, err := s.Write(cmd); err != nil {
				t.Fatal(err)
			}
			_, err = conn.acceptStream(ctx)
			code, remote, ok := appCloseCode(err)
			if !ok || code != 0x42 || !remote {
				t.Fatalf("client saw %v; want a remote application close 0x42", err)
			}
		})
		t.Run(p.name+"/client-closes", func(t *testing.T) {
			conn, ended := connect(t, p.listen, p.dial)
			conn.closeWithError(0x43, "client bye")
			select {
			case err := <-ended:
				code, remote, ok := appCloseCode(err)
				if !ok || code != 0x43 || !remote {
					t.Fatalf("server saw %v; want a remote application close 0x43", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("server did not see the close")
			}
		})
	}
}
