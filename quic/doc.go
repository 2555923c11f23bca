// Package quic implements the QUIC transport protocol, version 1 (RFC 9000,
// RFC 9001, RFC 9002) with unreliable datagrams (RFC 9221) and the receiving
// side of reliable stream resets (draft-ietf-quic-reliable-stream-reset), on
// raw UDP and on crypto/tls's QUIC API.
//
// An [Endpoint] owns one UDP socket (or any net.PacketConn) and can both
// accept connections ([Listen], [Endpoint.Accept]) and dial them
// ([Endpoint.Dial], or [Dial] for a connection with a socket of its own). A
// [Conn] carries bidirectional and unidirectional [Stream]s and datagrams,
// and ends with [Conn.CloseWithError], an error from the peer, or a timeout.
//
// # Concurrency
//
// Endpoint, Conn and Stream are safe for concurrent use. Each connection is
// run by one goroutine that owns all of its protocol state (the conn loop);
// the endpoint's read goroutine reads batches of datagrams from the socket
// and hands each connection its share in one step, into a bounded queue. The
// loop drains its queue, processes the packets, sends everything it can as
// one batch of coalesced packets (with GSO where the kernel has it), and then
// sleeps until a packet, a user request or a timer wakes it. Public methods
// hand requests to the loop and never block on the network, except where a
// method documents that it waits (Accept, Dial, OpenStream at the peer's
// stream limit, reads and writes at flow-control limits).
//
// # Defaults
//
// The zero [Config] works except for TLSConfig, which needs NextProtos (ALPN
// is mandatory) and, on servers, certificates. Handshake timeout 10s, idle
// timeout 30s (the effective value is the smaller of both sides', at least
// three probe timeouts), no keep-alives, 100 concurrent streams of each kind
// for the peer, stream receive windows from 512 KiB growing to 6 MiB and a
// connection window growing to 15 MiB, datagrams off, a receive queue of 128
// datagrams, CUBIC congestion control. Packets are 1452 bytes of UDP payload
// (less if the peer's max_udp_payload_size is smaller).
//
// Other fixed limits: 8-byte connection IDs, up to 4 issued to the peer and
// 4 of the peer's kept; 512 received socket messages or 8 MiB of receive
// buffers queued per connection (more are dropped); 64 KiB of out-of-order
// CRYPTO data per encryption level (more is CRYPTO_BUFFER_EXCEEDED); 10
// undecryptable packets buffered until their keys arrive; 1024 server
// handshakes in progress per endpoint; 128 connections waiting in Accept
// (more are refused); stateless resets and Version Negotiation packets at
// most 100 per second. A key update is initiated every 2^20 packets; the
// environment variable PEREGRINE_QUIC_KEY_UPDATE_INTERVAL (a packet count)
// lowers that, for interoperability tests.
//
// # Logging
//
// Config.Logger receives connection events at Debug level (handshake done,
// probe timeouts, key updates, closes) and unexpected local failures at Warn
// level. Debug attributes are only built when the level is enabled.
//
// # Limitations
//
//   - Retry and address validation tokens (NEW_TOKEN) are not implemented: a
//     server validates addresses only by completing the handshake, under the
//     anti-amplification limit.
//   - 0-RTT and session resumption are not implemented.
//   - Only QUIC version 1 is spoken; version 2 (RFC 9369) and compatible
//     version negotiation are not, though Version Negotiation packets are
//     sent and honoured.
//   - Connection migration and NAT rebinding are not supported: packets from
//     another address are dropped, and we send disable_active_migration.
//     PATH_CHALLENGE is answered on the current path only.
//   - ECN is neither marked nor reported, and path MTU discovery is not done:
//     the packet size is fixed at 1452 bytes.
//   - The preferred_address transport parameter is ignored.
//   - A GRO receive holding packets for several connections is copied apart
//     datagram by datagram, which costs a copy; the common case of one
//     connection per socket pair is routed without copying.
//   - Packets dropped because a connection's queue was full are not counted
//     in ConnStats; they look like loss to the peer.
//   - Of the KEY_UPDATE_ERROR cases of RFC 9001, Section 6, only a peer that
//     updates twice before its first update was acknowledged is detected.
//   - The integrity limit counts failed decryptions of 1-RTT packets and of
//     Initial and Handshake packets from the connection's peer address only.
//   - RESET_STREAM_AT (draft-ietf-quic-reliable-stream-reset) is received
//     when Config.EnableResetStreamAt is set, but never sent: CancelWrite
//     always sends RESET_STREAM, which delivers no data reliably.
package quic
