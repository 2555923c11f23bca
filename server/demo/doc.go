// Package demo is the demo site that `peregrine serve` answers with: an index page that
// shows which protocol served it, and the demo routes of the project's design notes.
// Tests use it to run real clients against the same routes.
//
// Routes: GET / (the index page), GET /bytes/{n} (n bytes), POST /echo (buffered: the
// body echoed), POST /upload (streaming: JSON with the byte count and SHA-256 of the
// body), CONNECT /dgram/echo (HTTP datagrams echoed), GET /stats (the server's Stats as
// JSON), /wt (the WebTransport echo that tools/chromium-h3/page/h3test.html expects, see
// [WebTransportEcho]), and QUIC datagrams echoed on HTTP/3 connections whose client did
// not enable HTTP datagrams and on connections with ALPN [EchoALPN].
//
// # Limitations
//
//   - The site is fixed: it is compiled into the binary and has no configuration.
package demo
