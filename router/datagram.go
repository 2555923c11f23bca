package router

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/peregrine-h3/peregrine/h3"
)

// maxCapsuleDatagram bounds a DATAGRAM capsule (RFC 9297, Section 3.5) that a Datagram
// route accepts on the request stream; a larger one ends the request. It is far above any
// QUIC datagram, which must fit in one packet.
const maxCapsuleDatagram = 64 << 10

// A DatagramHandler receives the HTTP datagrams of one extended CONNECT request
// (RFC 9297). The payload is the datagram without its Quarter Stream ID; it belongs to
// the handler. Calls for one request never overlap; calls for different requests run
// concurrently.
type DatagramHandler func(dc *DatagramContext, payload []byte)

// A DatagramContext is what a [DatagramHandler] knows about the request whose datagram
// it got, and its way to answer. It is valid until the request ends; Send is safe for
// concurrent use, also from other goroutines than the handler's.
type DatagramContext struct {
	// Request is the CONNECT request. Its Context ends with the request stream.
	Request *http.Request
	// StreamID is the QUIC stream ID of the request.
	StreamID int64

	stream   *h3.Stream
	counters *Counters
}

// Send sends p as an HTTP datagram of the same request. Delivery is not guaranteed. It
// returns [h3.ErrNoDatagrams] when the client did not enable HTTP datagrams.
func (dc *DatagramContext) Send(p []byte) error {
	err := dc.stream.SendDatagram(p)
	if err == nil {
		dc.counters.DatagramsOut.Add(1)
	} else {
		dc.counters.DatagramsDropped.Add(1)
	}
	return err
}

// Counters counts HTTP datagrams across the routes of a table. Its fields are safe for
// concurrent use.
type Counters struct {
	DatagramsIn      atomic.Uint64 // delivered to a DatagramHandler
	DatagramsOut     atomic.Uint64 // accepted by DatagramContext.Send
	DatagramsDropped atomic.Uint64 // refused by Send or dropped from a full receive queue
}

// datagramRoute serves the CONNECT requests of a route with a Datagram handler.
type datagramRoute struct {
	gate     http.Handler // optional
	serve    DatagramHandler
	counters *Counters
}

func (d *datagramRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		w.Header().Set("Allow", http.MethodConnect)
		http.Error(w, "this route takes CONNECT", http.StatusMethodNotAllowed)
		return
	}
	if d.gate != nil {
		sw := &statusWriter{ResponseWriter: w}
		d.gate.ServeHTTP(sw, r)
		if sw.status != 0 && sw.status/100 != 2 {
			return
		}
	}
	hs, ok := findStreamer(w)
	if !ok {
		http.Error(w, "HTTP datagrams need HTTP/3", http.StatusNotImplemented)
		return
	}
	if _, ok := w.Header()["Capsule-Protocol"]; !ok {
		// RFC 9297, Section 3.4: the stream carries capsules from here on.
		w.Header().Set("Capsule-Protocol", "?1")
	}
	st := hs.HTTPStream()
	d.run(&DatagramContext{Request: r, StreamID: st.StreamID(), stream: st,
		counters: d.counters}, st)
}

// run hands the datagrams and DATAGRAM capsules of one request to the handler until the
// client ends the stream or the request's context ends.
func (d *datagramRoute) run(dc *DatagramContext, st *h3.Stream) {
	ctx, cancel := context.WithCancel(dc.Request.Context())
	defer cancel()
	var mu sync.Mutex // serialises calls of the handler for this request
	deliver := func(p []byte) {
		d.counters.DatagramsIn.Add(1)
		mu.Lock()
		defer mu.Unlock()
		d.serve(dc, p)
	}
	capsulesDone := make(chan struct{})
	go func() {
		// The stream carries capsules (RFC 9297, Section 3); its end ends the request.
		defer close(capsulesDone)
		defer cancel()
		cr := h3.NewCapsuleReader(st)
		for {
			p, err := cr.ReadDatagram(maxCapsuleDatagram)
			if err != nil {
				if errors.Is(err, h3.ErrCapsuleTooLarge) {
					st.CancelRead(h3.ErrCodeDatagramError)
				}
				return
			}
			deliver(p)
		}
	}()
	for {
		p, err := st.ReceiveDatagram(ctx)
		if err != nil {
			break
		}
		deliver(p)
	}
	d.counters.DatagramsDropped.Add(st.DatagramsDropped())
	// Unblock the capsule reader if the connection, not the client, ended the request.
	st.CancelRead(h3.ErrCodeNoError)
	<-capsulesDone
}

// findStreamer finds the h3.HTTPStreamer behind w and behind any wrappers that offer
// Unwrap, as http.ResponseController does.
func findStreamer(w http.ResponseWriter) (h3.HTTPStreamer, bool) {
	for range 16 {
		if hs, ok := w.(h3.HTTPStreamer); ok {
			return hs, true
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil, false
		}
		w = u.Unwrap()
	}
	return nil, false
}

// statusWriter records the status a gate handler chose.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap returns the wrapped writer for http.ResponseController.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
