// Package protection implements QUIC packet protection: the keys derived
// from TLS secrets, AEAD sealing and opening of packet payloads, header
// protection, key update, the Retry integrity tag and stateless reset tokens
// (RFC 9001, Sections 5 and 6; RFC 9369 for QUIC version 2; RFC 9000,
// Section 10.3.2).
//
// A [Keys] value protects packets in one direction at one encryption level:
// [NewInitialKeys] derives the Initial keys of both sides from the client's
// original Destination Connection ID, and [NewKeys] turns a TLS traffic
// secret (from crypto/tls's QUIC events) into keys for 0-RTT, Handshake or
// 1-RTT packets. [Keys.Seal] protects a packet in place and [Keys.Open]
// removes protection in place; neither allocates. [AppKeys] holds the 1-RTT
// keys of both directions with their key phase and performs key updates
// (RFC 9001, Section 6): the connection decides when to update, this package
// supplies the mechanics and the AEAD limits ([ConfidentialityLimit],
// [IntegrityLimit]).
//
// Packets are handled as byte slices holding exactly one packet: for a long
// header packet the caller cuts it out of the datagram with the Length field,
// which is not header-protected, and for a short header packet it runs to the
// end of the datagram. The caller also knows the packet number offset from the
// unprotected part of the header; this package parses no header fields beyond
// the first byte and the packet number, so it does not depend on the wire
// codec.
//
// # Limitations
//
//   - Only the three TLS 1.3 cipher suites QUIC uses with crypto/tls are
//     supported: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and
//     TLS_CHACHA20_POLY1305_SHA256. TLS_AES_128_CCM_SHA256 is not, as
//     crypto/tls does not offer it.
//   - Only QUIC versions 1 and 2 are known; any other version is refused.
//   - [AppKeys] does not check the acknowledgement rule of RFC 9001,
//     Section 6.1 (no new update before a packet of the current phase is
//     acknowledged) nor detect the KEY_UPDATE_ERROR cases of Section 6.2; the
//     connection tracks acknowledgements and must apply both. It refuses only
//     an update while the previous one is not yet answered by the peer.
//   - Dropping the previous read keys after about three PTOs (RFC 9001,
//     Section 6.5) is left to the connection, which owns the timers and calls
//     [AppKeys.DiscardPrevious].
//   - When a peer's key update arrives, [AppKeys.Open] derives the following
//     generation of read keys right away, after the packet authenticated. The
//     few microseconds this takes are a timing signal of the update (RFC 9001,
//     Section 6.3); deriving it later, off the packet path, would need a hook
//     the connection calls when idle.
//   - Failed decryptions are counted only by [AppKeys] (1-RTT); the
//     connection must add failures at other levels if it wants them in the
//     integrity limit of RFC 9001, Section 6.6.
//   - The reserved bits of the first byte are not checked here: after a
//     successful [Keys.Open] the caller sees the unprotected first byte and
//     must enforce RFC 9000, Section 17.2.
package protection
