// Package h3 implements HTTP/3 (RFC 9114) on top of package quic: the frame
// layer, the control and QPACK streams, a Server that serves any
// http.Handler, a Transport that implements http.RoundTripper, extended
// CONNECT (RFC 9220), HTTP datagrams and the Capsule Protocol (RFC 9297).
//
// Everything a peer sends is treated as hostile: frames are bounded before
// they are buffered, unknown frames, settings, stream types and capsules are
// skipped without buffering them, and every protocol violation ends the
// stream or the connection with the error code RFC 9114, Section 8.1 names.
//
// # Limitations
//
//   - Server push is not implemented: no MAX_PUSH_ID is ever sent, so a
//     PUSH_PROMISE or push stream from a server is a connection error.
//   - Priorities (RFC 9218) are not implemented; PRIORITY_UPDATE frames are
//     skipped as unknown frames.
package h3
