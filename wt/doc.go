// Package wt implements WebTransport over HTTP/3
// (draft-ietf-webtrans-http3) on top of package h3: sessions set up with
// extended CONNECT, bidirectional and unidirectional streams, HTTP
// datagrams (RFC 9297), and close and drain with capsules.
//
// One server satisfies Chromium, which speaks draft-02, webtransport-go,
// which speaks draft-15 and later, and Safari: Server.Configure makes the
// h3.Server send SETTINGS_ENABLE_WEBTRANSPORT (0x2b603742), SETTINGS_WT_MAX_SESSIONS
// (0x14e9cd29) and SETTINGS_WT_ENABLED (0x2c7cf000) besides
// ENABLE_CONNECT_PROTOCOL and H3_DATAGRAM, and accept `:protocol`
// "webtransport" and "webtransport-h3". See
// ../shared/notes/webtransport-wire.md for what each peer needs.
//
// # Server
//
//	ws := &wt.Server{Protocols: []string{"chat-v2"}}
//	hs := &h3.Server{Handler: mux}
//	ws.Configure(hs)
//	mux.Handle("/wt", ws.Handler(func(s *wt.Session) { ... }))
//
// Upgrade is the lower-level form for handlers that decide themselves;
// such a handler calls Session.Wait before it returns. The QUIC endpoint
// must enable datagrams. When the h3.Server shuts down, every session gets
// DRAIN_WEBTRANSPORT_SESSION and is closed after Server.DrainTimeout.
//
// # Client
//
// Dialer.Dial opens one QUIC connection per session, as browsers do, sends
// the CONNECT and returns the response and the Session.
//
// # Tests
//
// Scripted-peer tests in this package write stream signals and capsules by
// hand; interop/wt_test.go runs against webtransport-go v0.13.0; and
// make test-browser-wt (and make test-browser, against peregrine serve)
// runs headless Chromium's wt-test page.
//
// # Sessions and streams
//
// A Session opens and accepts streams (the stream signal 0x41 or the
// stream type 0x54, then the session ID), sends and receives datagrams, and
// ends with CloseWithError: a CLOSE_WEBTRANSPORT_SESSION capsule and a FIN
// on the CONNECT stream, and no STOP_SENDING until the peer's FIN or two
// seconds have passed, because Chromium reports an early STOP_SENDING as a
// lost connection. The session's streams are then reset with
// WEBTRANSPORT_SESSION_GONE. Stream error codes are 32-bit application
// codes, mapped into the HTTP/3 code space as the draft's Section 4.4
// defines; errors carrying them are *StreamError values.
//
// # Robustness
//
// Streams that arrive before their session is known wait at most
// Server.PendingTimeout, at most Server.MaxPendingStreams per connection,
// and are then reset with WEBTRANSPORT_BUFFERED_STREAM_REJECTED. Streams
// that are not accepted pile up only to 64 per kind and session. Sessions
// per connection are bounded (429 beyond). Unknown capsules, such as
// Chromium's GREASE capsules, are skipped without buffering their bodies; a
// malformed CLOSE capsule or data after it resets the CONNECT stream with
// H3_MESSAGE_ERROR; a stream naming an ID that cannot be a session closes
// the connection with H3_ID_ERROR.
//
// # Limitations
//
//   - No WebTransport flow control (drafts 12 and later: WT_MAX_DATA,
//     WT_MAX_STREAMS and the 0x2b61/0x2b64/0x2b65 SETTINGS). Chromium 156
//     has none over HTTP/3 either, and webtransport-go needs it only for
//     several sessions on one connection; the QUIC limits apply.
//   - RESET_STREAM_AT is received but never sent: package quic only sends
//     RESET_STREAM, so a stream we reset may lose its header at the peer
//     before the peer can tie it to a session. The server's QUIC endpoint
//     must set quic.Config.EnableResetStreamAt itself, or webtransport-go
//     clients refuse it; the Dialer sets it.
//   - HTTP datagrams that arrive before their session is set up are dropped
//     by h3, not buffered.
//   - The client checks the server's WebTransport SETTINGS only when the
//     response has arrived (h3 itself waits for ENABLE_CONNECT_PROTOCOL
//     before sending the CONNECT).
//   - Uni and bidi streams share one type, Stream; on a uni stream one
//     direction simply fails.
package wt
