// Command peregrine runs Peregrine's HTTP/3 server with a demo site and fetches URLs over
// HTTP/3.
//
//	peregrine serve [-addr :4433] [-root DIR] [-cert FILE -key FILE] [-cert-out DIR]
//	        [-no-tcp] [-v]
//	peregrine get [-X METHOD] [-H 'Name: value']... [-d DATA|@FILE] [-o FILE] [-k]
//	        [-cacert FILE] [-timeout 30s] [-connect-timeout 5s] [-protocol NAME] [-v]
//	        URL...
//
// serve with no -root serves the demo site embedded in the binary (package
// server/demo); with no -cert it generates a development certificate and prints how to
// open the site in Chromium. -no-tcp leaves out HTTP/1.1 and HTTP/2 over TCP. SIGINT or
// SIGTERM shuts it down gracefully; a second one closes at once.
//
// get is a small curl over HTTP/3: -v prints the request and response headers and the
// timings (handshake, first byte, total) on standard error, starting on a new line when
// the body did not end with one. -connect-timeout (default 5s) bounds the QUIC
// handshake, so a port with no server fails fast. -protocol NAME sends an extended
// CONNECT (RFC 9220); with -d the data goes out as one HTTP datagram and the first
// datagram back is printed, which is how the demo's /dgram/echo can be tried from a
// shell.
//
// # Limitations
//
//   - get sends each URL with one RoundTrip: redirects are not followed, and there is
//     no cookie jar and no fallback to HTTP/1.1 or HTTP/2 over TCP.
//   - get -protocol sends at most one HTTP datagram and never uses the CONNECT stream
//     itself, so it cannot open a WebTransport session (the demo's /wt); the browser
//     test (make test-browser-wt) and the interop tests do.
//   - get speaks HTTP/3 only, so it inherits package quic's gaps (see go doc ./quic).
//   - serve reads its certificate once at start; a renewed certificate needs a restart.
package main
