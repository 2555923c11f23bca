package wt

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// roundTrip writes msg on a new bidi stream, closes it and reads the reply.
func roundTrip(t *testing.T, s *Session, msg string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := s.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(st)
	if err != nil {
		t.Fatalf("reading the reply to %q: %v", msg, err)
	}
	return string(b)
}

func TestEchoOverLoopback(t *testing.T) {
	env := startServer(t, nil, echoSession)
	s := env.dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	if got := roundTrip(t, s, "hello bidi"); got != "hello bidi" {
		t.Fatalf("bidi echo %q", got)
	}

	u, err := s.OpenUniStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u.Write([]byte("hello uni"))
	u.Close()
	in, err := s.AcceptUniStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(in); err != nil || string(b) != "hello uni" {
		t.Fatalf("uni echo %q, %v", b, err)
	}

	if got := roundTrip(t, s, "__server_bidi__"); got != "opening" {
		t.Fatalf("server bidi reply %q", got)
	}
	sb, err := s.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sb.Write([]byte("ack"))
	sb.Close()
	if b, err := io.ReadAll(sb); err != nil || string(b) != "from-server" {
		t.Fatalf("server bidi stream %q, %v", b, err)
	}

	var got []byte
	for try := 0; try < 20 && got == nil; try++ {
		if err := s.SendDatagram([]byte("dgram")); err != nil {
			t.Fatal(err)
		}
		rctx, rcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		got, _ = s.ReceiveDatagram(rctx)
		rcancel()
	}
	if string(got) != "dgram" {
		t.Fatalf("datagram echo %q", got)
	}
}

func TestServerCloseReachesClient(t *testing.T) {
	env := startServer(t, nil, echoSession)
	s := env.dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := s.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("__close__ 42 bye-from-server"))
	st.Close()
	select {
	case <-s.Context().Done():
	case <-ctx.Done():
		t.Fatal("session not closed")
	}
	var se *SessionError
	if err := s.Err(); !errors.As(err, &se) || se.Code != 42 ||
		se.Reason != "bye-from-server" || !se.Remote {
		t.Fatalf("session error %v", err)
	}
}

func TestClientCloseReachesServer(t *testing.T) {
	got := make(chan error, 1)
	env := startServer(t, nil, func(s *Session) {
		<-s.Context().Done()
		got <- s.Err()
	})
	s := env.dial(t)
	if err := s.CloseWithError(7, "bye-from-client"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		var se *SessionError
		if !errors.As(err, &se) || se.Code != 7 || se.Reason != "bye-from-client" || !se.Remote {
			t.Fatalf("server saw %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server session did not end")
	}
	if err := s.Err(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("local session error %v", err)
	}
}
