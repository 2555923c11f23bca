// Package server is Peregrine's high-level HTTP/3 server: one route table (package
// router) for ordinary requests, streaming uploads, HTTP datagrams and WebTransport
// sessions, served over HTTP/3 and, on the same port, over HTTP/1.1 and HTTP/2 on TCP
// with an Alt-Svc header that points browsers to HTTP/3.
//
// [New] checks the [Options] and builds everything that can fail (the route table, the
// TLS configuration), so that a bad configuration is an error at construction. With no
// certificate configured, a development certificate is generated ([GenerateDevCert]:
// ECDSA P-256, valid 13 days) and its SHA-256 and SPKI hashes are logged, the values
// WebTransport's serverCertificateHashes and Chromium's
// --ignore-certificate-errors-spki-list take.
//
// Lifecycle: [Server.ListenAndServe] listens on UDP and TCP; [Server.Serve] serves a
// given UDP socket and [Server.ServeTCP] a given TCP listener. [Server.Shutdown] is
// graceful (GOAWAY, in-flight requests finish, then the connections close);
// [Server.Close] cuts everything at once. [Server.Stats] is a snapshot of the counters.
//
// Errors: a handler panic becomes a 500 (or a reset stream when the response had begun),
// reaches Options.ErrorHandler, and the server keeps serving. Protocol errors of a peer
// end its stream or connection with the code the RFCs name and are logged at Debug level
// with the connection; they never stop the server.
//
// # QUIC datagrams and HTTP datagrams
//
// HTTP datagrams (RFC 9297) travel in QUIC DATAGRAM frames (RFC 9221) with the request's
// Quarter Stream ID in front, so the two cannot share a connection. The rule is:
//
//   - On an HTTP/3 connection where both sides sent SETTINGS_H3_DATAGRAM=1, every QUIC
//     datagram is an HTTP datagram: it goes to the Datagram handler of the route whose
//     CONNECT request its Quarter Stream ID names, and is dropped when there is none.
//   - On an HTTP/3 connection whose client enabled QUIC datagrams but did not send
//     SETTINGS_H3_DATAGRAM=1, no datagram can be an HTTP datagram (RFC 9297, Section
//     2.1.1): every QUIC datagram goes whole to Options.QUICDatagram, once the client's
//     SETTINGS have arrived.
//   - On a connection that negotiated one of Options.RawALPNs, there is no HTTP: every
//     QUIC datagram goes to Options.QUICDatagram, which can answer with
//     [QUICDatagramContext.Reply].
//
// # Response helpers
//
// [ServeFile] and [FileServer] serve files from an os.Root (ranges, conditional requests,
// content types; no path can escape the root). [Stream] and [StreamBytes] send a response
// from an iterator of byte slices, flushing each one.
//
// # Limitations
//
//   - Connections and bytes in Stats count QUIC connections only, not TCP ones.
//   - A certificate loaded from files is not reloaded when the files change.
package server
