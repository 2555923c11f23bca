// Package wire encodes and decodes the QUIC wire format: variable-length
// integers and packet numbers (RFC 9000, Sections 16 and 17.1), long and
// short packet headers of QUIC versions 1 and 2 (RFC 9000, Section 17;
// RFC 9369), Version Negotiation and Retry packets, every frame of RFC 9000,
// Section 19 plus DATAGRAM (RFC 9221) and RESET_STREAM_AT
// (draft-ietf-quic-reliable-stream-reset), transport parameters (RFC 9000,
// Section 18, with RFC 9221, RFC 9287, RFC 9368 and reset_stream_at
// extensions), and the transport error codes of Section 20.
//
// The package holds no state; every function is safe for concurrent use, and
// every type is a plain value with the usual rules for concurrent access.
//
// # Parsing
//
// Everything a peer sends is treated as hostile: parsers never panic, never
// allocate from a length that was not checked against the bytes present, and
// report connection errors as a *TransportError with the code RFC 9000
// prescribes (FRAME_ENCODING_ERROR, TRANSPORT_PARAMETER_ERROR,
// PROTOCOL_VIOLATION). Header parsing errors are plain sentinel errors, since
// a packet with a bad header is dropped rather than answered.
//
// The frame parsers ParseXxx take the buffer starting at the frame type and
// return the frame and the number of bytes it occupies. The hot ones (STREAM,
// CRYPTO, DATAGRAM, ACK) do not allocate: payloads alias the input and ACK
// ranges go into a slice the caller supplies and reuses. A receive loop reads
// the type with ConsumeFrameType, checks it with FrameAllowed, and calls the
// parser for that type.
//
// # Building
//
// Append functions and methods append to a caller's buffer and never
// allocate when it has room. Long headers are built with a fixed-width Length
// slot that PutVarintN fills in once the payload is sealed.
//
// # Limitations
//
//   - Header parsing stops at the protected packet number; header and packet
//     protection, and the Retry integrity tag, belong to package protection.
//   - Only versions 1 and 2 are parsed beyond the version-independent fields
//     of RFC 8999.
//   - Duplicate transport parameters are detected only for parameter IDs below
//     64, grease_quic_bit and the legacy reset_stream_at ID; repeats of other
//     unknown IDs are ignored, as tracking them would need memory proportional
//     to the input.
//   - Unknown transport parameters are dropped while parsing, so parameters
//     of extensions this package does not know cannot be read back.
//   - Frame types of extensions other than DATAGRAM and RESET_STREAM_AT (for
//     example ACK_FREQUENCY) are unknown and yield FRAME_ENCODING_ERROR.
//     RESET_STREAM_AT parses whether or not the reset_stream_at parameter was
//     negotiated; the connection must reject it as an unknown frame when it
//     was not advertised.
//   - Rules that need connection state or the endpoint's role are left to
//     the connection: stream ID direction, flow control,
//     max_datagram_frame_size, matching connection IDs in transport
//     parameters, frames only one side may send (HANDSHAKE_DONE, NEW_TOKEN),
//     Initial datagram sizes, tokens in server Initials, and discarding a
//     Retry with an empty token.
//   - ParseAck keeps at most as many ranges as the caller's slice holds and
//     drops the oldest beyond that (AckFrame.Truncated); packets only
//     acknowledged in dropped ranges are acknowledged again by later frames
//     or declared lost.
//   - Frame encoders panic on values no varint can carry (2^62 and above);
//     those can only come from the caller, never from a parsed frame.
package wire
