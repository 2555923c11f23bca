package h3

import (
	"context"
	"io"
	"net/http"
	"strings"
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
			ctrl, err := peer.OpenUniStream(context.Background())
			if err != nil {
				return // the server already closed the connection
			}
			ctrl.Write(append([]byte{streamTypeControl}, appendSettingsFrame(nil,
				settings{})...))
			s, err := peer.OpenStream(context.Background())
			if err != nil {
				return
			}
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
	// A DATA frame where SETTINGS must come first makes the server close the
	// connection (H3_MISSING_SETTINGS) while the client may still be opening its
	// request stream.
	f.Add(appendFrameHeader(nil, frameData, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzServe(t, func(peer *memConn) {
			ctrl, err := peer.OpenUniStream(context.Background())
			if err != nil {
				return // the server already closed the connection
			}
			ctrl.Write(append([]byte{streamTypeControl}, b...))
			// A hostile control stream makes the server close the connection,
			// possibly before this second stream is opened.
			s, err := peer.OpenStream(context.Background())
			if err != nil {
				return
			}
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

// FuzzMessageHeads feeds arbitrary field lists to the request, response and
// trailer validators. Input lines are "name\x00value" separated by "\n".
func FuzzMessageHeads(f *testing.F) {
	f.Add(":method\x00GET\n:scheme\x00https\n:authority\x00a\n:path\x00/\naccept\x00*/*")
	f.Add(":method\x00CONNECT\n:protocol\x00x\n:scheme\x00https\n:authority\x00a\n:path\x00/")
	f.Add(":status\x00200\ncontent-length\x0012\ncookie\x00a=1\ncookie\x00b=2")
	f.Fuzz(func(t *testing.T, s string) {
		var fields []hfield
		for _, line := range strings.Split(s, "\n") {
			name, value, _ := strings.Cut(line, "\x00")
			fields = append(fields, hfield{name, value})
		}
		if rh, err := parseRequestHead(fields, true); err == nil {
			if rh.method == "" || (rh.method != "CONNECT" && rh.path == "") {
				t.Fatalf("accepted request without :method or :path: %+v", rh)
			}
			if _, _, err := requestURL(rh); err != nil {
				return
			}
		}
		if rh, err := parseResponseHead(fields); err == nil && (rh.status < 100 ||
			rh.status > 999) {
			t.Fatalf("accepted status %d", rh.status)
		}
		if h, err := parseTrailers(fields); err == nil {
			for k := range h {
				if strings.HasPrefix(k, ":") {
					t.Fatalf("pseudo-header %q in trailers", k)
				}
			}
		}
	})
}
