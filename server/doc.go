// Package server is Peregrine's high-level HTTP/3 server: one route table for ordinary
// requests, streaming uploads, HTTP datagrams and WebTransport sessions, with a generated
// development certificate when no other is configured.
//
// # Limitations
//
//   - The server itself is still being assembled; this package so far provides the
//     development certificate ([GenerateDevCert]).
package server
