package h3

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// fuzzServe runs a Server on one in-memory connection, lets script play the
// client, then closes the connection and waits for the server to stop.
func fuzzServe(t *testing.T, script func(peer *memConn)) {
	client, server := newMemPair(true)
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		w.Write(b)
	})}
	done := make(chan struct{})
	go func() {
		srv.serveQUIC(server)
		close(done)
	}()
	script(client)
	client.CloseWithError(0, "fuzz over")
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop")
	}
}

// FuzzServerRequestStream feeds arbitrary bytes to the server as a request
// stream.
func FuzzServerRequestStream(f *testing.F) {
	f.Add(getRequest("/"))
	f.Add(cat(headersFrame(":method", "POST", ":scheme", "https", ":authority", "a",
		":path", "/", "content-length", "3"), dataFrame("abc"), headersFrame("x", "y")))
	f.Add(cat(getRequest("/"), appendGreaseFrame(nil, 1), dataFrame("zz")))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzServe(t, func(peer *memConn) {
			ctrl, _ := peer.OpenUniStream(context.Background())
			ctrl.Write(append([]byte{streamTypeControl}, appendSettingsFrame(nil,
				settings{})...))
			s, _ := peer.OpenStream(context.Background())
			s.Write(b)
			s.Close()
			s.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			io.Copy(io.Discard, s)
		})
	})
}

// FuzzServerControlStream feeds arbitrary bytes to the server as the
// client's control stream.
func FuzzServerControlStream(f *testing.F) {
	f.Add(appendSettingsFrame(nil, settings{}))
	f.Add(cat(appendSettingsFrame(nil, settings{h3Datagram: true}), appendGoaway(nil, 4)))
	f.Add(cat(appendSettingsFrame(nil, settings{}), appendGreaseFrame(nil, 3),
		appendFrameHeader(nil, frameMaxPushID, 1), []byte{9}))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzServe(t, func(peer *memConn) {
			ctrl, _ := peer.OpenUniStream(context.Background())
			ctrl.Write(append([]byte{streamTypeControl}, b...))
			s, _ := peer.OpenStream(context.Background())
			s.Write(getRequest("/"))
			s.Close()
			s.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			io.Copy(io.Discard, s)
		})
	})
}

// FuzzClientResponse feeds arbitrary bytes to the client as a response.
func FuzzClientResponse(f *testing.F) {
	f.Add(cat(headersFrame(":status", "200", "content-length", "2"), dataFrame("ok")))
	f.Add(cat(headersFrame(":status", "103"), headersFrame(":status", "200"),
		dataFrame("x"), headersFrame("x-t", "1")))
	f.Add(cat(headersFrame(":status", "200"), appendFrameHeader(nil, framePushPromise, 2)))
	f.Fuzz(func(t *testing.T, b []byte) {
		ss := newScriptedServer(t)
		req, errc := ss.start()
		req.Write(b)
		req.Close()
		select {
		case <-errc:
		case <-time.After(5 * time.Second):
			t.Fatal("RoundTrip did not return")
		}
	})
}
