// Package h3 implements HTTP/3 (RFC 9114) on top of package quic and package
// qpack: the frame layer, the control and QPACK streams, a Server that
// serves any http.Handler, a Transport that implements http.RoundTripper,
// extended CONNECT (RFC 9220), HTTP datagrams and the Capsule Protocol
// (RFC 9297).
//
// # Server
//
// A Server serves connections accepted from a quic.Endpoint (Serve) or
// handed to it one by one (ServeConn). Each request reaches the handler as
// an *http.Request with Proto "HTTP/3.0", a streaming Body, ContentLength
// (-1 when the client sent no content-length), Trailer (filled when the
// body has been read to the end), TLS, RemoteAddr, and a Context that ends
// when the client resets the stream or the connection ends. The
// http.ResponseWriter supports http.Flusher and http.ResponseController
// (Flush, SetReadDeadline, SetWriteDeadline, EnableFullDuplex), trailers
// declared with the "Trailer" header or set with http.TrailerPrefix, 1xx
// responses such as 103 Early Hints through WriteHeader, 100 (Continue)
// sent on the first body read of a request with "Expect: 100-continue", and
// http.MaxBytesReader. A handler panic gives a 500 when no header was sent
// yet and resets the stream with H3_INTERNAL_ERROR otherwise; the panic goes
// to Server.PanicHandler or the Logger. Shutdown drains each connection in
// two steps (RFC 9114, Section 5.2): a GOAWAY with the largest stream ID
// stops the client from opening requests, and a few round trips later a
// second GOAWAY names the first stream that will not be processed; later
// requests are refused with H3_REQUEST_REJECTED, and once the requests in
// flight have been answered and delivered the server waits (up to a second)
// for the client to close the connection, then closes it with H3_NO_ERROR.
// The Transport closes a connection that received GOAWAY when its last
// request is done. Close closes every connection at once.
//
// # Extended CONNECT and HTTP datagrams
//
// The server sends SETTINGS_ENABLE_CONNECT_PROTOCOL=1. As in
// golang.org/x/net/http2, the handler finds the :protocol pseudo-header in
// r.Header[":protocol"], and a client sets it the same way (or in
// Request.Proto, as with quic-go). After choosing a
// 2xx status, a handler calls HTTPStream on the ResponseWriter (type-assert
// it to HTTPStreamer) to use the request stream as a two-way byte stream; on
// the client, the response Body of a CONNECT request is that *Stream. The
// bytes on the stream carry capsules (CapsuleReader, AppendCapsule), and
// Stream.SendDatagram and Stream.ReceiveDatagram exchange HTTP datagrams
// when both sides sent SETTINGS_H3_DATAGRAM=1, which this package does
// whenever the QUIC connection negotiated datagrams. One goroutine per
// connection reads QUIC datagrams and hands each to its request by Quarter
// Stream ID through a bounded queue; overflow is dropped and counted
// (Stream.DatagramsDropped).
//
// # Client
//
// A Transport keeps one connection per authority and reuses it for every
// request; request and response bodies are streamed, trailers go both ways,
// 1xx responses reach httptrace.ClientTrace.Got1xxResponse, and cancelling
// a request's context resets its stream with H3_REQUEST_CANCELLED. After a
// GOAWAY, or a reset with H3_REQUEST_REJECTED, requests the server did not
// process are sent again on a new connection (the body through
// Request.GetBody).
//
// # Extensions
//
// Protocols layered on HTTP/3, such as WebTransport, use the hooks in
// hooks.go: AdditionalSettings, the peer's SETTINGS through Conn, and
// StreamHijacker and UniStreamHijacker to take streams that begin with a
// value this package does not know.
//
// # Robustness
//
// Everything a peer sends is treated as hostile. HEADERS frames are bounded
// by our SETTINGS_MAX_FIELD_SECTION_SIZE before they are read and decoded
// sections are bounded again while decoding; SETTINGS frames are bounded;
// DATA payloads and unknown frames, settings, stream types and capsules are
// streamed or skipped without buffering. Malformed messages reset the
// stream with H3_MESSAGE_ERROR and frames in the wrong place close the
// connection with the code RFC 9114, Section 8.1 names. GREASE values are
// sent in SETTINGS, as frames on the control stream and now and then as a
// unidirectional stream, so that peers stay tolerant.
//
// # Limitations
//
//   - Server push is not implemented: no MAX_PUSH_ID is ever sent, so a
//     PUSH_PROMISE or push stream from a server is H3_ID_ERROR.
//   - Priorities (RFC 9218) are not implemented; PRIORITY_UPDATE frames are
//     skipped as unknown frames and the Priority header is passed through.
//   - The server does not send a 421 or check that :authority names a host it
//     serves; that is left to the handler.
//   - The client does not ask for gzip or decompress responses, and does not
//     retry requests whose connection failed after the request was sent.
//   - 0-RTT is not used, so the client does not remember the server's
//     SETTINGS between connections.
//   - The server does not limit how long a client may take to send a
//     request's header; the QUIC idle timeout and stream limits bound it.
//   - The client sends the request body at once even when the request
//     carries "Expect: 100-continue"; the server side does answer it.
//   - Datagrams received for a request stream that has not been accepted yet
//     are dropped rather than buffered for a round trip (RFC 9297, Section
//     2.1 allows either).
package h3
