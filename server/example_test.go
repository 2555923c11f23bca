package server_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/peregrine-h3/peregrine/router"
	"github.com/peregrine-h3/peregrine/server"
)

// A server with a plain route, a streaming upload and an HTTP datagram echo.
func ExampleNew() {
	srv, err := server.New(server.Options{
		Addr: "127.0.0.1:0",
		Routes: []router.Route{
			{Method: "GET", Pattern: "/items/{id}", Handler: http.HandlerFunc(
				func(w http.ResponseWriter, r *http.Request) {
					fmt.Fprintf(w, "item %s\n", r.PathValue("id"))
				})},
			{Method: "POST", Pattern: "/upload", Mode: router.Streaming,
				Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					n, _ := io.Copy(io.Discard, r.Body)
					fmt.Fprintf(w, "%d bytes\n", n)
				})},
			{Pattern: "/dgram/echo", Datagram: func(dc *router.DatagramContext, p []byte) {
				dc.Send(p)
			}},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	go srv.ListenAndServe()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	fmt.Println(srv.Stats().RequestsTotal)
	// Output: 0
}
