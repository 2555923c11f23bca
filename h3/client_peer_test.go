package h3

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// scriptedServer is a raw-frame HTTP/3 server end for testing the client.
type scriptedServer struct {
	t    *testing.T
	qc   *memConn
	tr   *Transport
	ctrl quicStream
}

func newScriptedServer(t *testing.T) *scriptedServer {
	client, server := newMemPair(false)
	ss := &scriptedServer{t: t, qc: server}
	ss.tr = &Transport{dial: func(context.Context, string, *tls.Config) (quicConn, error) {
		return client, nil
	}}
	t.Cleanup(func() { client.CloseWithError(0, "test over") })
	ss.ctrl, _ = server.OpenUniStream(context.Background())
	s := settings{enableConnectProtocol: true}
	ss.ctrl.Write(append([]byte{streamTypeControl}, appendSettingsFrame(nil, s)...))
	return ss
}

// start sends a GET in the background and returns the server's end of the
// request stream and the channel that receives the RoundTrip error.
func (ss *scriptedServer) start() (quicStream, chan error) {
	errc := make(chan error, 1)
	go func() {
		resp, err := ss.tr.RoundTrip(newRequest(ss.t, "GET", "https://example.test/", nil))
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		errc <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s, err := ss.qc.AcceptStream(ctx)
	if err != nil {
		ss.t.Fatal(err)
	}
	return s, errc
}

func (ss *scriptedServer) expectClose(code ErrCode) {
	ss.t.Helper()
	got, closed := ss.qc.closeCode(testTimeout)
	if !closed || ErrCode(got) != code {
		ss.t.Fatalf("client closed (%v) with %v, want %v", closed, ErrCode(got), code)
	}
}

func TestClientConnectionErrors(t *testing.T) {
	cases := []struct {
		name   string
		script func(ss *scriptedServer, req quicStream)
		code   ErrCode
	}{
		{"push promise", func(ss *scriptedServer, req quicStream) {
			req.Write(cat(appendFrameHeader(nil, framePushPromise, 1), []byte{0}))
		}, ErrCodeIDError},
		{"push stream", func(ss *scriptedServer, req quicStream) {
			s, _ := ss.qc.OpenUniStream(context.Background())
			s.Write([]byte{streamTypePush, 0})
		}, ErrCodeIDError},
		{"max push id", func(ss *scriptedServer, req quicStream) {
			ss.ctrl.Write(cat(appendFrameHeader(nil, frameMaxPushID, 1), []byte{1}))
		}, ErrCodeFrameUnexpected},
		{"cancel push", func(ss *scriptedServer, req quicStream) {
			ss.ctrl.Write(cat(appendFrameHeader(nil, frameCancelPush, 1), []byte{0}))
		}, ErrCodeIDError},
		{"goaway odd id", func(ss *scriptedServer, req quicStream) {
			ss.ctrl.Write(appendGoaway(nil, 1))
		}, ErrCodeIDError},
		{"goaway grows", func(ss *scriptedServer, req quicStream) {
			ss.ctrl.Write(cat(appendGoaway(nil, 4), appendGoaway(nil, 8)))
		}, ErrCodeIDError},
		{"server bidi stream", func(ss *scriptedServer, req quicStream) {
			ss.qc.OpenStream(context.Background())
		}, ErrCodeStreamCreationError},
		{"data before headers", func(ss *scriptedServer, req quicStream) {
			req.Write(dataFrame("x"))
		}, ErrCodeFrameUnexpected},
		{"truncated response", func(ss *scriptedServer, req quicStream) {
			req.Write(cat(headersFrame(":status", "200"), appendFrameHeader(nil, frameData, 9)))
			req.Close()
		}, ErrCodeFrameError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ss := newScriptedServer(t)
			req, errc := ss.start()
			tc.script(ss, req)
			ss.expectClose(tc.code)
			select {
			case err := <-errc:
				if err == nil {
					t.Error("request succeeded on a failed connection")
				}
			case <-time.After(testTimeout):
				t.Error("RoundTrip did not return")
			}
		})
	}
}

func TestClientMalformedResponses(t *testing.T) {
	cases := map[string][]byte{
		"no status":      headersFrame("x", "y"),
		"bad status":     headersFrame(":status", "20"),
		"status 101":     headersFrame(":status", "101"),
		"request pseudo": headersFrame(":status", "200", ":path", "/"),
		"two statuses":   headersFrame(":status", "200", ":status", "204"),
		"uppercase":      headersFrame(":status", "200", "Bad", "1"),
		"connection":     headersFrame(":status", "200", "connection", "close"),
		"short body": cat(headersFrame(":status", "200", "content-length", "5"),
			dataFrame("ab")),
		"trailer pseudo": cat(headersFrame(":status", "200"), headersFrame(":status", "200")),
		"long body": cat(headersFrame(":status", "200", "content-length", "1"),
			dataFrame("ab")),
		"pseudo in trail": cat(headersFrame(":status", "200"), dataFrame("a"),
			headersFrame(":x", "y")),
	}
	for name, resp := range cases {
		t.Run(name, func(t *testing.T) {
			ss := newScriptedServer(t)
			req, errc := ss.start()
			req.Write(resp)
			req.Close()
			select {
			case err := <-errc:
				var e *Error
				if !errors.As(err, &e) || e.Code != ErrCodeMessageError {
					t.Fatalf("RoundTrip error %v, want H3_MESSAGE_ERROR", err)
				}
			case <-time.After(testTimeout):
				t.Fatal("RoundTrip did not return")
			}
			// The client reset our side of the stream.
			req.SetReadDeadline(time.Now().Add(testTimeout))
			_, err := io.Copy(io.Discard, req)
			if code, ok := streamResetCode(err); !ok || ErrCode(code) != ErrCodeMessageError {
				t.Fatalf("stream ended with %v", err)
			}
		})
	}
}

// TestClientRetriesRejected checks that a request reset with
// H3_REQUEST_REJECTED after GOAWAY is sent again on a new connection.
func TestClientRetriesRejected(t *testing.T) {
	ss := newScriptedServer(t)
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, "second:"+string(b))
	})}
	t.Cleanup(func() { srv.Close() })
	first := ss.tr.dial
	dials := 0
	ss.tr.dial = func(ctx context.Context, a string, c *tls.Config) (quicConn, error) {
		dials++
		if dials == 1 {
			return first(ctx, a, c)
		}
		client, server := newMemPair(false)
		go srv.serveQUIC(server)
		return client, nil
	}
	errc := make(chan error, 1)
	body := make(chan string, 1)
	go func() {
		req := newRequest(t, "POST", "https://example.test/", strings.NewReader("payload"))
		resp, err := ss.tr.RoundTrip(req)
		if err != nil {
			errc <- err
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body <- string(b)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s, err := ss.qc.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ss.ctrl.Write(appendGoaway(nil, 0))
	s.CancelRead(uint64(ErrCodeRequestRejected))
	s.CancelWrite(uint64(ErrCodeRequestRejected))
	select {
	case b := <-body:
		if b != "second:payload" {
			t.Fatalf("retried request got %q", b)
		}
	case err := <-errc:
		t.Fatalf("RoundTrip: %v", err)
	case <-time.After(testTimeout):
		t.Fatal("RoundTrip did not return")
	}
	if dials != 2 {
		t.Fatalf("%d dials, want 2", dials)
	}
}

func TestClientRespectsPeerFieldLimit(t *testing.T) {
	client, server := newMemPair(false)
	tr := &Transport{dial: func(context.Context, string, *tls.Config) (quicConn, error) {
		return client, nil
	}}
	defer tr.CloseIdleConnections()
	ctrl, _ := server.OpenUniStream(context.Background())
	ctrl.Write(append([]byte{streamTypeControl},
		appendSettingsFrame(nil, settings{maxFieldSectionSize: 200})...))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cc, err := tr.getConn(ctx, "example.test:443")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.c.peerSettings(ctx); err != nil {
		t.Fatal(err)
	}
	req := newRequest(t, "GET", "https://example.test/", nil)
	req.Header.Set("X-Big", strings.Repeat("b", 300))
	if _, err := tr.RoundTrip(req); err != ErrHeaderTooLarge {
		t.Fatalf("RoundTrip = %v, want ErrHeaderTooLarge", err)
	}
}

func TestClientTooManyInformational(t *testing.T) {
	ss := newScriptedServer(t)
	req, errc := ss.start()
	var b []byte
	for range maxInformational + 1 {
		b = append(b, headersFrame(":status", "103")...)
	}
	req.Write(b)
	select {
	case err := <-errc:
		var e *Error
		if !errors.As(err, &e) || e.Code != ErrCodeExcessiveLoad {
			t.Fatalf("RoundTrip = %v, want H3_EXCESSIVE_LOAD", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("RoundTrip did not return")
	}
}
