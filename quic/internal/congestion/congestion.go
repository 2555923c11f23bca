package congestion

import (
	"time"
)

// DefaultMaxDatagramSize is the max datagram size assumed before path MTU
// discovery raises it: the smallest datagram every QUIC path must carry
// (RFC 9000, Section 14).
const DefaultMaxDatagramSize = 1200

// Algorithm selects a congestion control algorithm.
type Algorithm uint8

const (
	// CUBIC is RFC 9438 CUBIC, the default.
	CUBIC Algorithm = iota
	// NewReno is the controller of RFC 9002, Section 7 and Appendix B.
	NewReno
)

// String returns the algorithm's name.
func (a Algorithm) String() string {
	switch a {
	case CUBIC:
		return "cubic"
	case NewReno:
		return "newreno"
	}
	return "unknown"
}

// Config holds a controller's parameters. The zero value selects CUBIC with a
// max datagram size of 1200 bytes.
type Config struct {
	// Algorithm is the congestion control algorithm. Zero means CUBIC.
	Algorithm Algorithm

	// MaxDatagramSize is the largest UDP payload the sender will send, in
	// bytes. Zero means DefaultMaxDatagramSize (1200). It can be raised later
	// with SetMaxDatagramSize once path MTU discovery finds a larger size.
	MaxDatagramSize int

	// DisableHyStart turns off HyStart++ (RFC 9406) in CUBIC, so that slow
	// start ends only at the first loss. NewReno never uses HyStart++.
	DisableHyStart bool
}

// Packet describes one acknowledged or lost in-flight packet, as the loss
// recovery layer reports it to a Controller.
type Packet struct {
	// SentTime is when the packet was sent.
	SentTime time.Time
	// Bytes is the packet's size as counted in bytes in flight.
	Bytes int
}

// RTTStats is the round-trip time estimate a Controller sees on every
// acknowledgment. Durations are zero before the first RTT sample.
type RTTStats struct {
	// Latest is the most recent RTT sample.
	Latest time.Duration
	// Min is the minimum RTT observed (RFC 9002, Section 5.2).
	Min time.Duration
	// Smoothed is the exponentially weighted average (RFC 9002, Section 5.3).
	Smoothed time.Duration
}

// A Controller is a congestion controller: it owns the congestion window and
// the pacer of one connection.
//
// A Controller is not safe for concurrent use. It belongs to the connection's
// goroutine, which calls it directly or through the recovery package.
// Methods never read the clock; now is the time of the event being reported.
type Controller interface {
	// OnPacketSent records that an in-flight packet of bytes bytes was sent at
	// now, leaving bytesInFlight bytes in flight (this packet included). It
	// spends pacing budget. Packets that are not in flight (for example
	// ACK-only packets) are not reported.
	OnPacketSent(now time.Time, bytes, bytesInFlight int)

	// OnPacketsAcked reports in-flight packets newly acknowledged by one ACK
	// frame. priorInFlight is the number of bytes in flight before these
	// packets were removed. The slice is only valid during the call.
	OnPacketsAcked(now time.Time, acked []Packet, priorInFlight int, rtt RTTStats)

	// OnPacketsLost reports in-flight packets declared lost by one loss
	// detection pass; persistentCongestion is true when the loss spans more
	// than the persistent congestion duration (RFC 9002, Section 7.6), which
	// collapses the window to its minimum. The slice is only valid during the
	// call.
	OnPacketsLost(now time.Time, lost []Packet, persistentCongestion bool)

	// CanSend reports whether a new ack-eliciting packet may be sent with
	// bytesInFlight bytes already in flight. Probe packets sent on a PTO
	// (RFC 9002, Section 6.2.4) and ACK-only packets ignore this answer.
	CanSend(bytesInFlight int) bool

	// Window returns the congestion window in bytes.
	Window() int

	// InSlowStart reports whether the controller is in slow start.
	InSlowStart() bool

	// InRecovery reports whether a packet sent at sentTime would have been
	// sent during the current recovery period (RFC 9002, Section 7.3.2).
	InRecovery(sentTime time.Time) bool

	// NextSendTime returns the earliest time a packet of maxDatagramSize bytes
	// may be sent according to the pacer. A result not after now means "now".
	// The connection's loop should wake at the returned time when it has data
	// to send and the window is open.
	NextSendTime(now time.Time) time.Time

	// SetMaxDatagramSize changes the max datagram size, for example after
	// path MTU discovery. The window is kept at least at its new minimum.
	SetMaxDatagramSize(n int)

	// MaxDatagramSize returns the current max datagram size.
	MaxDatagramSize() int
}

// New returns a Controller for cfg.Algorithm.
func New(cfg Config) Controller {
	if cfg.Algorithm == NewReno {
		return NewNewReno(cfg.MaxDatagramSize)
	}
	c := NewCubic(cfg.MaxDatagramSize)
	c.noHyStart = cfg.DisableHyStart
	return c
}

// InitialWindow returns the initial congestion window for a max datagram size
// of mds bytes: min(10*mds, max(14720, 2*mds)) (RFC 9002, Section 7.2).
func InitialWindow(mds int) int {
	return min(10*mds, max(14720, 2*mds))
}

// MinimumWindow returns the minimum congestion window, 2*mds
// (RFC 9002, Section 7.2).
func MinimumWindow(mds int) int {
	return 2 * mds
}

func normalizeMDS(mds int) int {
	if mds <= 0 {
		return DefaultMaxDatagramSize
	}
	return mds
}

// lastSent returns the send time of the newest packet in lost: one
// congestion event covers every packet sent before the recovery period it
// starts (RFC 9002, Section 7.3.2).
func lastSent(lost []Packet) time.Time {
	var last time.Time
	for i := range lost {
		if lost[i].SentTime.After(last) {
			last = lost[i].SentTime
		}
	}
	return last
}
