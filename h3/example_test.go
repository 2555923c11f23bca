package h3_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"

	"github.com/peregrine-h3/peregrine/h3"
	"github.com/peregrine-h3/peregrine/quic"
)

// Serving an http.Handler over HTTP/3 on a UDP port.
func ExampleServer_Serve() {
	cert, err := tls.LoadX509KeyPair("cert.pem", "key.pem")
	if err != nil {
		log.Fatal(err)
	}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h3"}}
	ep, err := quic.Listen("udp", ":4433", &quic.Config{TLSConfig: tlsConf, EnableDatagrams: true})
	if err != nil {
		log.Fatal(err)
	}
	srv := &h3.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello over %s\n", r.Proto)
	})}
	log.Fatal(srv.Serve(ep))
}

// Fetching a URL with the Transport.
func ExampleTransport() {
	client := &http.Client{Transport: &h3.Transport{}}
	resp, err := client.Get("https://example.com/")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Proto, len(body))
}

// A handler that accepts an extended CONNECT request and echoes its HTTP
// datagrams.
func ExampleHTTPStreamer() {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect || r.Header.Get(":protocol") != "connect-udp" {
			http.Error(w, "extended CONNECT only", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
		st := w.(h3.HTTPStreamer).HTTPStream()
		for {
			d, err := st.ReceiveDatagram(r.Context())
			if err != nil {
				return
			}
			st.SendDatagram(d)
		}
	})
	_ = &h3.Server{Handler: echo}
}

// Opening an extended CONNECT request and exchanging HTTP datagrams on it.
func ExampleStream_SendDatagram() {
	tr := &h3.Transport{QUICConfig: &quic.Config{EnableDatagrams: true}}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodConnect,
		"https://example.com/masque", nil)
	req.Header[":protocol"] = []string{"connect-udp"}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		log.Fatal(err)
	}
	st := resp.Body.(*h3.Stream)
	defer st.Close()
	if err := st.SendDatagram([]byte("ping")); err != nil {
		log.Fatal(err)
	}
	pong, err := st.ReceiveDatagram(context.Background())
	fmt.Println(string(pong), err)
}
