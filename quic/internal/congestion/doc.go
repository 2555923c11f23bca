// Package congestion holds the congestion controllers and the pacer used by a
// QUIC connection's sender.
//
// A Controller decides how many bytes may be in flight (the congestion window)
// and when the next packet may leave (pacing). Two algorithms are provided:
// NewReno as described in RFC 9002, Section 7 and Appendix B, and CUBIC as
// described in RFC 9438, whose first slow start ends with HyStart++
// (RFC 9406). CUBIC is the default.
//
// Controllers are state machines driven by their caller: every method takes
// the current time as an argument and none reads the clock, starts a goroutine
// or allocates in steady state. The loss-recovery package
// (quic/internal/recovery) calls OnPacketSent, OnPacketsAcked and
// OnPacketsLost; the connection's sender calls CanSend, Window and
// NextSendTime before it builds a packet.
//
// # Pacing
//
// Every controller embeds a Pacer (RFC 9002, Section 7.7). It is a token
// bucket that fills at 1.25 times the congestion window per smoothed RTT and
// holds at most ten full-sized datagrams, so a sender that has been idle may
// send a burst of ten packets and is spaced evenly after that. Before the
// first RTT sample the pacer does not delay anything: the initial window is
// itself a burst of ten packets.
//
// # Limitations
//
//   - No ECN: congestion signals come only from loss, since ECN counts are
//     not processed by the recovery package (RFC 9002, Section 7.1).
//   - HyStart++ (RFC 9406) runs only in CUBIC's first slow start, not after
//     persistent congestion and not in NewReno; its per-ACK growth cap L is
//     not applied since the sender is paced, and rounds are delimited by send
//     times rather than packet numbers.
//   - CUBIC's app-limited handling restarts the cubic epoch at the first
//     congestion-window-limited ACK after an app-limited period instead of
//     shifting the epoch by the idle time; the window never grows while the
//     sender is not using it (RFC 9438, Section 5.8), but the curve restarts.
//   - Whether the sender is window-limited is inferred from the largest bytes
//     in flight over the current and the previous round trip, so the window
//     may still grow for up to one round trip after the sender became
//     application-limited; a sender that knows it is application-limited has
//     no way to say so directly.
//   - No spurious-loss undo (RFC 9438, Section 4.9): a congestion event is
//     never reverted when the lost packets turn out to have arrived.
//   - The pacer's rate is computed in floating point; it is exact enough for
//     scheduling but not bit-reproducible across architectures in theory.
package congestion
