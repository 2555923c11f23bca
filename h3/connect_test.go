package h3

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// datagramEchoHandler answers an extended CONNECT with 200, then echoes
// every HTTP datagram and every DATAGRAM capsule of the request.
func datagramEchoHandler(t *testing.T, protocols chan<- string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "want CONNECT", http.StatusMethodNotAllowed)
			return
		}
		protocols <- r.Header.Get(":protocol")
		w.Header().Set("Capsule-Protocol", "?1")
		w.WriteHeader(http.StatusOK)
		st := w.(HTTPStreamer).HTTPStream()
		go func() {
			cr := NewCapsuleReader(st)
			for {
				d, err := cr.ReadDatagram(1500)
				if err != nil {
					return
				}
				st.Write(AppendCapsule(nil, CapsuleDatagram, append([]byte("cap:"), d...)))
			}
		}()
		for {
			d, err := st.ReceiveDatagram(r.Context())
			if err != nil {
				return
			}
			if err := st.SendDatagram(append([]byte("echo:"), d...)); err != nil {
				t.Errorf("SendDatagram: %v", err)
				return
			}
		}
	})
}

func connectRequest(t *testing.T, protocol string) *http.Request {
	req := newRequest(t, http.MethodConnect, "https://example.test/dgram/echo", nil)
	req.Header[":protocol"] = []string{protocol}
	return req
}

func TestExtendedConnectDatagramEcho(t *testing.T) {
	protocols := make(chan string, 1)
	srv := &Server{Handler: datagramEchoHandler(t, protocols)}
	ts := newTestSetup(t, srv, true)
	resp, err := ts.tr.RoundTrip(connectRequest(t, "connect-udp"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if p := <-protocols; p != "connect-udp" {
		t.Fatalf("handler saw :protocol %q", p)
	}
	st, ok := resp.Body.(*Stream)
	if !ok {
		t.Fatalf("CONNECT response body is %T, want *Stream", resp.Body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for i := range 5 {
		msg := fmt.Sprintf("ping %d", i)
		if err := st.SendDatagram([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		d, err := st.ReceiveDatagram(ctx)
		if err != nil || string(d) != "echo:"+msg {
			t.Fatalf("echo %q, %v", d, err)
		}
	}
	// The same payload as a DATAGRAM capsule on the stream.
	if _, err := st.Write(AppendCapsule(nil, 0x2a, []byte("skip me"))); err != nil {
		t.Fatal(err)
	}
	st.Write(AppendCapsule(nil, CapsuleDatagram, []byte("over stream")))
	d, err := NewCapsuleReader(st).ReadDatagram(100)
	if err != nil || string(d) != "cap:over stream" {
		t.Fatalf("capsule echo %q, %v", d, err)
	}
	st.Close()
	resp.Body.Close()
}

func TestExtendedConnectNeedsSetting(t *testing.T) {
	// A client must not send :protocol to a server that did not enable it;
	// the server here is scripted and sends empty SETTINGS.
	client, server := newMemPair(false)
	tr := &Transport{dial: func(context.Context, string, *tls.Config) (quicConn, error) {
		return client, nil
	}}
	defer tr.CloseIdleConnections()
	ctrl, _ := server.OpenUniStream(context.Background())
	ctrl.Write(append([]byte{streamTypeControl}, appendSettingsFrame(nil, settings{})...))
	_, err := tr.RoundTrip(connectRequest(t, "websocket"))
	if err != ErrNoExtendedConnect {
		t.Fatalf("RoundTrip = %v, want ErrNoExtendedConnect", err)
	}
}

func TestDatagramsWithoutNegotiation(t *testing.T) {
	protocols := make(chan string, 1)
	srv := &Server{Handler: datagramEchoHandler(t, protocols)}
	ts := newTestSetup(t, srv, false) // QUIC datagrams not negotiated
	resp, err := ts.tr.RoundTrip(connectRequest(t, "connect-udp"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	st := resp.Body.(*Stream)
	if err := st.SendDatagram([]byte("x")); err != ErrNoDatagrams {
		t.Fatalf("SendDatagram = %v, want ErrNoDatagrams", err)
	}
}

func TestDatagramErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    []byte
	}{
		{"empty", nil},
		{"truncated id", []byte{0x40}},
		{"id too large", appendVarint(nil, maxQuarterStreamID+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPeer(t, &Server{Handler: echoHandler()}, true)
			p.setup()
			// Make sure the server has started its datagram reader.
			readResponse(t, p.request(getRequest("/"), true))
			p.qc.SendDatagram(tc.d)
			p.expectClose(ErrCodeDatagramError)
		})
	}
}

func TestDatagramQueueBounded(t *testing.T) {
	ready := make(chan *Stream, 1)
	release := make(chan struct{})
	srv := &Server{DatagramQueueLen: 4, Handler: http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			st := w.(HTTPStreamer).HTTPStream()
			ready <- st
			<-release
		})}
	p := newTestPeer(t, srv, true)
	p.setup()
	s := p.request(headersFrame(":method", "CONNECT", ":protocol", "x", ":scheme", "https",
		":authority", "a", ":path", "/"), false)
	st := <-ready
	defer close(release)
	for i := range 10 {
		p.qc.SendDatagram(append(appendVarint(nil, uint64(s.ID()/4)), byte(i)))
	}
	// Unknown streams are dropped silently too.
	p.qc.SendDatagram(append(appendVarint(nil, 100), 1))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	deadline := time.Now().Add(testTimeout)
	for st.DatagramsDropped() < 6 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := st.DatagramsDropped(); n != 6 {
		t.Fatalf("dropped %d, want 6", n)
	}
	for i := range 4 {
		d, err := st.ReceiveDatagram(ctx)
		if err != nil || len(d) != 1 || d[0] != byte(i) {
			t.Fatalf("datagram %d: %v %v", i, d, err)
		}
	}
}
