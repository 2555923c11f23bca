// Package router is Peregrine's route table: one list of routes that serves ordinary
// requests, buffered or streaming uploads, HTTP datagrams and WebTransport sessions side by
// side.
//
// A [Route] names a method and a pattern in [net/http.ServeMux] syntax ("/items/{id}",
// "/files/{path...}", "/static/" for a subtree, an optional host prefix), a body [Mode] and
// the handlers that serve it. [New] checks every route when the table is built: a malformed
// pattern, a missing handler or two routes that would match the same requests are reported
// as an error that names the route, never as a panic at serving time. Inside a handler,
// r.PathValue returns the pattern's wildcards exactly as with ServeMux.
//
// Body modes:
//
//   - [Buffered] (the default) reads the whole request body before the handler runs, up to
//     Options.BodyLimit (default 1 MiB). A request whose Content-Length is over the limit is
//     answered 413 without reading any of the body; one without a Content-Length is read up
//     to the limit and answered 413 as soon as it passes it, and the rest is not read (the
//     body is closed, which lets the transport stop the peer from sending more).
//   - [Streaming] hands the body to the handler as it arrives, with no limit; the
//     transport's flow control gives the sender backpressure.
//
// HTTP datagrams: a route with a [Route.Datagram] handler is a CONNECT route (extended
// CONNECT with any :protocol, or plain CONNECT). Its request is answered 200, unless the
// optional Handler runs first and answers something else, and from then on every HTTP
// datagram of the request (RFC 9297, Section 2) and every DATAGRAM capsule on its stream
// (RFC 9297, Section 3.5) goes to the handler, which answers through
// [DatagramContext.Send]. The request ends when the client ends its stream or the
// connection ends. Datagram routes need HTTP/3; over HTTP/1.1 or HTTP/2 they answer 501.
//
// A [Table] is safe for concurrent use once built; it is never modified after [New].
//
// # Limitations
//
//   - Routes are fixed when the table is built; there is no way to add or remove a route on
//     a running table (build a new one and swap it in).
//   - There is no WebTransport handler on a route yet; it arrives with package wt.
//   - Buffered bodies are held in memory; the limit is per request, not global, so
//     BodyLimit times the number of concurrent requests bounds the memory they take.
package router
