package wt

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/peregrine-h3/peregrine/h3"
	"github.com/peregrine-h3/peregrine/quic"
)

// rawClient is a scripted peer: an h3.Transport whose CONNECT requests and
// WebTransport streams the test writes byte by byte.
type rawClient struct {
	tr  *h3.Transport
	url *url.URL
	reg *registry
}

func newRawClient(t *testing.T, env *testEnv) *rawClient {
	u, _ := url.Parse(env.url)
	reg := newRegistry(limits{})
	tr := &h3.Transport{
		TLSClientConfig:    env.dialer.TLSClientConfig,
		QUICConfig:         &quic.Config{EnableDatagrams: true},
		AdditionalSettings: clientSettings,
		StreamHijacker:     reg.hijackBidi,
		UniStreamHijacker:  reg.hijackUni,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &rawClient{tr: tr, url: u, reg: reg}
}

// connect sends an extended CONNECT and returns the response.
func (c *rawClient) connect(t *testing.T) *http.Response {
	t.Helper()
	req := &http.Request{Method: http.MethodConnect, URL: c.url, Host: c.url.Host,
		Header: http.Header{":protocol": {"webtransport-h3"}}}
	resp, err := c.tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// session sends a CONNECT that must succeed and returns its stream.
func (c *rawClient) session(t *testing.T) *h3.Stream {
	t.Helper()
	resp := c.connect(t)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return resp.Body.(*h3.Stream)
}

// openRaw opens a bidi stream that starts with signal and sessionID.
func openRaw(t *testing.T, c h3.Conn, sessionID uint64) *quic.Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	qs, err := c.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hdr := appendVarint(appendVarint(nil, streamSignalBidi), sessionID)
	if _, err := qs.Write(hdr); err != nil {
		t.Fatal(err)
	}
	return qs
}

// stopCode writes to w until the peer's STOP_SENDING makes a write fail,
// and returns the code. Resets are checked on the write side because a
// reset of a stream whose every byte was read is reported as its end by
// package quic.
func stopCode(t *testing.T, w io.Writer, within time.Duration) uint64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		_, err := w.Write([]byte("x"))
		if err != nil {
			var se *quic.StreamError
			if !errors.As(err, &se) {
				t.Fatalf("write failed with %v, want a stream error", err)
			}
			return se.Code
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no STOP_SENDING")
	return 0
}

func sessionStarted(t *testing.T) (chan *Session, func(*Session)) {
	ch := make(chan *Session, 4)
	return ch, func(s *Session) {
		ch <- s
		<-s.Context().Done()
	}
}

func waitSession(t *testing.T, ch chan *Session) *Session {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no session on the server")
		return nil
	}
}

// A stream that arrives before its CONNECT waits for the session and is
// then delivered to it.
func TestEarlyStreamDeliveredToLaterSession(t *testing.T) {
	started, fn := sessionStarted(t)
	env := startServer(t, nil, fn)
	c := newRawClient(t, env)
	first := c.session(t) // stream 0
	waitSession(t, started)
	qs := openRaw(t, first.Conn(), 8) // stream 4, for the CONNECT on stream 8
	qs.Write([]byte("early"))
	qs.Close()
	time.Sleep(50 * time.Millisecond) // let the stream arrive first
	second := c.session(t)
	if second.StreamID() != 8 {
		t.Fatalf("second CONNECT on stream %d, want 8", second.StreamID())
	}
	s := waitSession(t, started)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := s.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(st); err != nil || string(b) != "early" {
		t.Fatalf("early stream carried %q, %v", b, err)
	}
}

// A stream whose session never appears is rejected after PendingTimeout,
// and streams beyond MaxPendingStreams at once (well before the timeout).
func TestPendingStreamsBounded(t *testing.T) {
	_, fn := sessionStarted(t)
	env := startServer(t, func(s *Server) {
		s.MaxPendingStreams = 2
		s.PendingTimeout = time.Second
	}, fn)
	c := newRawClient(t, env)
	conn := c.session(t).Conn()
	a := openRaw(t, conn, 400)
	b := openRaw(t, conn, 400)
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	over := openRaw(t, conn, 400)
	if code := stopCode(t, over, 2*time.Second); code != errCodeBufferedStreamRejected {
		t.Fatalf("stream over the limit reset with 0x%x", code)
	}
	if d := time.Since(start); d > 700*time.Millisecond {
		t.Fatalf("stream over the limit rejected after %v, want at once", d)
	}
	for _, qs := range []*quic.Stream{a, b} {
		if code := stopCode(t, qs, 2*time.Second); code != errCodeBufferedStreamRejected {
			t.Fatalf("expired stream reset with 0x%x", code)
		}
	}
}

// Sessions beyond MaxSessions on one connection get 429.
func TestSessionLimit(t *testing.T) {
	_, fn := sessionStarted(t)
	env := startServer(t, func(s *Server) { s.MaxSessions = 1 }, fn)
	c := newRawClient(t, env)
	c.session(t)
	if resp := c.connect(t); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second session got %d, want 429", resp.StatusCode)
	}
}

// Requests without the WebTransport token and origins the server refuses
// are not upgraded.
func TestUpgradeRefusals(t *testing.T) {
	_, fn := sessionStarted(t)
	env := startServer(t, func(s *Server) {
		s.CheckOrigin = func(r *http.Request) bool { return r.Header.Get("Origin") == "" }
	}, fn)
	c := newRawClient(t, env)
	for _, tc := range []struct {
		protocol, origin string
		want             int
	}{
		{"connect-udp", "", http.StatusBadRequest},
		{"webtransport", "https://evil.example", http.StatusForbidden},
		{"webtransport", "", http.StatusOK},
	} {
		req := &http.Request{Method: http.MethodConnect, URL: c.url, Host: c.url.Host,
			Header: http.Header{":protocol": {tc.protocol}}}
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		resp, err := c.tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.want {
			t.Errorf("%s from %q: status %d, want %d", tc.protocol, tc.origin,
				resp.StatusCode, tc.want)
		}
	}
}

// The server skips unknown capsules (Chromium sends GREASE ones) without
// ending the session, acts on DRAIN, and answers WT-Available-Protocols.
func TestCapsulesSkippedAndDrain(t *testing.T) {
	started, fn := sessionStarted(t)
	env := startServer(t, func(s *Server) { s.Protocols = []string{"chat-v2", "chat-v1"} }, fn)
	c := newRawClient(t, env)
	req := &http.Request{Method: http.MethodConnect, URL: c.url, Host: c.url.Host,
		Header: http.Header{":protocol": {"webtransport"},
			"Wt-Available-Protocols": {`"chat-v1", "chat-v2"`}}}
	resp, err := c.tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("Wt-Protocol"); got != `"chat-v2"` {
		t.Errorf("WT-Protocol %q, want \"chat-v2\"", got)
	}
	str := resp.Body.(*h3.Stream)
	s := waitSession(t, started)
	if s.Protocol() != "chat-v2" {
		t.Errorf("session protocol %q", s.Protocol())
	}
	grease := h3.AppendCapsule(nil, 0x29*7+0x17, make([]byte, 100<<10))
	grease = h3.AppendCapsule(grease, h3.CapsuleDatagram, []byte("legacy"))
	grease = h3.AppendCapsule(grease, capsuleDrainSession, nil)
	if _, err := str.Write(grease); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Draining():
	case <-time.After(5 * time.Second):
		t.Fatal("DRAIN not seen")
	}
	if err := s.Err(); err != nil {
		t.Fatalf("session ended: %v", err)
	}
}

// A CLOSE capsule too short for its error code resets the CONNECT stream
// with H3_MESSAGE_ERROR and ends the session.
func TestMalformedCloseCapsule(t *testing.T) {
	started, fn := sessionStarted(t)
	env := startServer(t, nil, fn)
	c := newRawClient(t, env)
	str := c.session(t)
	s := waitSession(t, started)
	str.Write(h3.AppendCapsule(nil, capsuleCloseSession, []byte{0, 1}))
	select {
	case <-s.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("session not ended")
	}
	if code := stopCode(t, str, 5*time.Second); code != errCodeMessageError {
		t.Fatalf("CONNECT stream stopped with 0x%x, want H3_MESSAGE_ERROR", code)
	}
}

// A stream naming a session ID that is not a client bidi stream closes the
// connection with H3_ID_ERROR.
func TestInvalidSessionID(t *testing.T) {
	_, fn := sessionStarted(t)
	env := startServer(t, nil, fn)
	c := newRawClient(t, env)
	conn := c.session(t).Conn()
	openRaw(t, conn, 2)
	select {
	case <-conn.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("connection not closed")
	}
	var ae *quic.ApplicationError
	if err := context.Cause(conn.Context()); !errors.As(err, &ae) ||
		ae.Code != uint64(h3.ErrCodeIDError) {
		t.Fatalf("connection closed with %v", err)
	}
}

// STOP_SENDING carries WebTransport codes mapped into the HTTP/3 space.
func TestStreamStopCode(t *testing.T) {
	env := startServer(t, nil, func(s *Session) {
		st, err := s.AcceptStream(s.Context())
		if err != nil {
			return
		}
		st.CancelRead(1234)
		<-s.Context().Done()
	})
	s := env.dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := s.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for err == nil && time.Now().Before(deadline) {
		_, err = st.Write([]byte("x"))
		time.Sleep(10 * time.Millisecond)
	}
	var se *StreamError
	if !errors.As(err, &se) || se.Code != 1234 || !se.Remote {
		t.Fatalf("write failed with %v, want StreamError 1234 from the peer", err)
	}
}

// Shutting the h3.Server down drains sessions, then closes them.
func TestShutdownDrainsSessions(t *testing.T) {
	env := startServer(t, func(s *Server) { s.DrainTimeout = 200 * time.Millisecond },
		func(s *Session) { <-s.Context().Done() })
	s := env.dial(t)
	time.Sleep(50 * time.Millisecond) // the server registers the session
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go env.h3.Shutdown(ctx)
	select {
	case <-s.Draining():
	case <-ctx.Done():
		t.Fatal("no DRAIN")
	}
	select {
	case <-s.Context().Done():
	case <-ctx.Done():
		t.Fatal("session not closed after the drain timeout")
	}
	var se *SessionError
	if err := s.Err(); !errors.As(err, &se) || !se.Remote || se.Code != 0 {
		t.Fatalf("session ended with %v", err)
	}
}

func TestErrorCodeMapping(t *testing.T) {
	for _, n := range []uint32{0, 1, 0x1d, 0x1e, 0x1f, 1000, 1 << 31, 1<<32 - 1} {
		h := httpCode(n)
		if h < firstAppErrorCode || h > lastAppErrorCode || (h-0x21)%0x1f == 0 {
			t.Errorf("code %d maps to 0x%x, outside the range or GREASE", n, h)
		}
		if back, ok := appCode(h); !ok || back != n {
			t.Errorf("code %d -> 0x%x -> %d, %v", n, h, back, ok)
		}
	}
	if httpCode(1<<32-1) != lastAppErrorCode {
		t.Errorf("largest code maps to 0x%x", httpCode(1<<32-1))
	}
	if _, ok := appCode(0x52e4a40fa8db + 0x1e); ok { // GREASE codepoint
		t.Error("GREASE codepoint mapped to an application code")
	}
	if _, ok := appCode(0x100); ok {
		t.Error("H3_NO_ERROR mapped to an application code")
	}
}

func TestCloseCapsuleCodec(t *testing.T) {
	long := make([]byte, 2000)
	for i := range long {
		long[i] = 'a'
	}
	b := appendCloseCapsule(nil, 42, string(long))
	cr := h3.NewCapsuleReader(bytesReader(b))
	typ, n, r, err := cr.Next()
	if err != nil || typ != capsuleCloseSession || n != 4+maxCloseReason {
		t.Fatalf("capsule 0x%x of %d bytes, %v", typ, n, err)
	}
	e, ok := readClose(n, r)
	if !ok || e.Code != 42 || len(e.Reason) != maxCloseReason {
		t.Fatalf("parsed %+v, %v", e, ok)
	}
	if _, _, err := parseCloseCapsule([]byte{0, 0, 0, 1, 0xff}); err == nil {
		t.Error("invalid UTF-8 reason accepted")
	}
}

func bytesReader(b []byte) io.Reader { return &sliceReader{b} }

type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// The server's SETTINGS enable WebTransport for every known client
// (webtransport-wire.md, Section 6).
func TestServerSettings(t *testing.T) {
	_, fn := sessionStarted(t)
	env := startServer(t, func(s *Server) { s.MaxSessions = 3 }, fn)
	c := newRawClient(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ps, err := c.session(t).Conn().PeerSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint64]uint64{0x08: 1, 0x33: 1, settingEnableWebTransport: 1,
		settingWTEnabled: 1, settingWTMaxSessions: 3}
	for id, v := range want {
		if got, ok := ps[id]; !ok || got != v {
			t.Errorf("setting 0x%x = %d (sent %v), want %d", id, got, ok, v)
		}
	}
}

// Dial refuses a server whose SETTINGS do not enable WebTransport.
func TestDialWithoutWebTransport(t *testing.T) {
	env := startServerWith(t, nil, func(s *Session) {}, false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, s, err := env.dialer.Dial(ctx, env.url, nil)
	if !errors.Is(err, ErrNoWebTransport) || s != nil {
		t.Fatalf("Dial returned %v, %v; want ErrNoWebTransport", s, err)
	}
}

// A stream that carries the WebTransport signal but not a whole session ID
// is stopped after PendingTimeout (or at its end), and the connection lives
// on.
func TestTruncatedStreamHeader(t *testing.T) {
	_, fn := sessionStarted(t)
	env := startServer(t, func(s *Server) { s.PendingTimeout = 100 * time.Millisecond }, fn)
	c := newRawClient(t, env)
	conn := c.session(t).Conn()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	bidi, err := conn.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bidi.Write([]byte{0x40, streamSignalBidi, 0x80}) // a 4-byte varint cut short
	if code := stopCode(t, bidi, 2*time.Second); code != errCodeBufferedStreamRejected {
		t.Fatalf("stalled stream stopped with 0x%x", code)
	}

	uni, err := conn.OpenUniStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	uni.Write([]byte{0x40, streamTypeUni})
	uni.Close()

	// The connection still carries requests.
	if resp := c.connect(t); resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT after the bad streams: %d", resp.StatusCode)
	}
	if err := conn.Context().Err(); err != nil {
		t.Fatalf("connection ended: %v", context.Cause(conn.Context()))
	}
}
