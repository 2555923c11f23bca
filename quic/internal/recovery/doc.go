// Package recovery implements QUIC loss detection and acknowledgment
// generation (RFC 9002, and RFC 9000, Section 13.2) as state machines that
// the connection's goroutine drives with the current time.
//
// The sending side is a LossDetector. It keeps, per packet number space,
// only the metadata of each sent packet (number, send time, size, whether it
// is ack-eliciting and in flight) in a reused ring buffer; the connection
// keeps its own record of the frames each packet carried and rebuilds lost
// frames from current state. ACK frames are handed in as AckRange slices; the
// outcome for each packet comes back through a Handler the connection
// implements, so processing an ACK does not allocate. The detector estimates
// the RTT (RFC 9002, Section 5), declares packets lost by packet and time
// threshold (Section 6.1), computes the one timer deadline the connection
// arms and says on expiry whether losses were found or probes must be sent
// (Section 6.2), detects persistent congestion (Section 7.6), and feeds a
// congestion.Controller.
//
// The receiving side is an AckTracker per space: duplicate detection, the
// ranges to acknowledge, and the policy that decides between an immediate
// and a delayed ACK.
//
// # Errors
//
// OnAckReceived returns ErrUnsentPacketAcked when a peer acknowledges a
// packet number that was never sent; the connection closes with
// PROTOCOL_VIOLATION (RFC 9000, Section 13.1). Nothing a peer sends causes a
// panic or unbounded growth: at most 131072 sent packets are tracked per
// space (40 bytes each, about 5 MB, allocated only as the window grows), and
// received ranges are bounded by MaxAckRanges.
//
// # Limitations
//
//   - ECN counts in ACK frames are ignored (RFC 9002, Section 7.1 and
//     RFC 9000, Section 13.4): congestion is signalled by loss only.
//   - Persistent congestion is judged within one loss detection pass of one
//     space, not across spaces and earlier passes as RFC 9002, Section 7.6.2
//     permits; it may therefore be noticed later than it could be.
//   - An acknowledgment of a packet number that was skipped is detected
//     only while the skipped number lies above the oldest packet still
//     tracked; older skipped numbers are not remembered.
//   - A packet declared lost and later acknowledged is not reported (no
//     spurious-loss detection, so no undo of the congestion response and no
//     adaptive packet or time thresholds as in RFC 9002, Section 6.1).
//   - The AckTracker forgets the lowest range when more than MaxAckRanges
//     (64) gaps exist and then treats those packet numbers as duplicates.
//   - A space tracks at most 2^17 sent packets, ACK-only ones included
//     (about 40 bytes each, so some 5 MB), as long as the oldest is neither
//     acknowledged nor declared lost. Past that, OnPacketSent forgets the
//     oldest one without reporting it lost, so its frames are not resent;
//     this takes a peer that acknowledges nothing for that long.
//   - After OnAckAcknowledged, the AckTracker treats every packet number
//     up to that ACK's largest as a duplicate, including ones that never
//     arrived (the floor RFC 9000, Section 12.3 allows); their frames come
//     back in the peer's retransmissions.
//   - No ACK frequency extension: the ack-eliciting threshold is fixed at 2
//     and the reordering threshold at 1.
//   - The client's anti-deadlock PTO is counted from the last event that
//     re-armed the timer (send, ACK, timeout), which matches the RFC's
//     "now" at SetLossDetectionTimer only as long as the connection re-arms
//     the timer after each of those events, as it must.
package recovery
