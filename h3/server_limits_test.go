package h3

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestServerReadHeaderTimeout leaves a request's HEADERS frame unfinished: the
// server must reset the stream with H3_REQUEST_REJECTED after the timeout,
// while a complete request on the same connection is still served.
func TestServerReadHeaderTimeout(t *testing.T) {
	srv := &Server{Handler: echoHandler(), ReadHeaderTimeout: 50 * time.Millisecond}
	p := newTestPeer(t, srv, false)
	p.setup()
	full := getRequest("/")
	slow := p.request(full[:len(full)-3], false) // three bytes short, never finished
	expectReset(t, slow, ErrCodeRequestRejected)
	expectStatus(t, p.request(getRequest("/"), true), "200")
}

// TestServerNoReadHeaderTimeout checks that a negative ReadHeaderTimeout
// disables the timer: a slow request head is still served.
func TestServerNoReadHeaderTimeout(t *testing.T) {
	srv := &Server{Handler: echoHandler(), ReadHeaderTimeout: -1}
	p := newTestPeer(t, srv, false)
	p.setup()
	full := getRequest("/")
	s := p.request(full[:len(full)-3], false)
	time.Sleep(100 * time.Millisecond)
	s.Write(full[len(full)-3:])
	s.Close()
	expectStatus(t, s, "200")
}

// TestServerRawQUICDatagrams checks the datagram rule: on a connection whose
// client did not send SETTINGS_H3_DATAGRAM, QUIC datagrams go whole to
// QUICDatagramHandler; on one that did, they are HTTP datagrams and never do.
func TestServerRawQUICDatagrams(t *testing.T) {
	for _, h3dgram := range []bool{false, true} {
		got := make(chan []byte, 4)
		srv := &Server{Handler: echoHandler(), QUICDatagramHandler: func(c Conn, d []byte) {
			got <- d
			c.c.qc.SendDatagram(append([]byte("echo:"), d...))
		}}
		p := newTestPeer(t, srv, true)
		p.openControl(appendSettingsFrame(nil, settings{h3Datagram: h3dgram}))
		// Quarter Stream ID 0 in front: valid as an HTTP datagram too.
		if err := p.qc.SendDatagram([]byte("\x00raw")); err != nil {
			t.Fatal(err)
		}
		if !h3dgram {
			select {
			case d := <-got:
				if !bytes.Equal(d, []byte("\x00raw")) {
					t.Fatalf("handler got %q", d)
				}
			case <-time.After(testTimeout):
				t.Fatal("QUICDatagramHandler got nothing")
			}
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			reply, err := p.qc.ReceiveDatagram(ctx)
			cancel()
			if err != nil || string(reply) != "echo:\x00raw" {
				t.Fatalf("reply %q, %v", reply, err)
			}
			continue
		}
		select {
		case d := <-got:
			t.Fatalf("HTTP datagram %q reached QUICDatagramHandler", d)
		case <-time.After(100 * time.Millisecond):
		}
		// The connection is still usable.
		expectStatus(t, p.request(getRequest("/"), true), "200")
	}
}

// expectStatus reads the response on s and checks its final status.
func expectStatus(t *testing.T, s quicStream, status string) {
	t.Helper()
	r, err := readResponse(t, s)
	if err != nil || r.status() != status {
		t.Fatalf("response status %q, %v; want %s", r.status(), err, status)
	}
}
