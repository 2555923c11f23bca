package quic

import (
	"sync/atomic"
	"time"
)

// ConnStats is a snapshot of a connection's counters and estimates. It is a
// plain value, safe to copy and share.
type ConnStats struct {
	SmoothedRTT      time.Duration // RFC 9002 smoothed RTT estimate
	MinRTT           time.Duration // smallest RTT sample seen
	LatestRTT        time.Duration // most recent RTT sample
	CongestionWindow int64         // bytes the controller allows in flight
	BytesSent        uint64        // UDP payload bytes sent
	BytesReceived    uint64        // UDP payload bytes received
	PacketsSent      uint64        // QUIC packets sent
	PacketsReceived  uint64        // QUIC packets received and decrypted
	PacketsLost      uint64        // packets declared lost
	// DatagramsDropped counts DATAGRAM frames dropped because the receive
	// queue or the send queue was full.
	DatagramsDropped uint64
	// KeyUpdates counts 1-RTT key updates (RFC 9001, Section 6), whichever
	// side initiated them.
	KeyUpdates uint64
}

// connStatsCounters are written by the connection's goroutine and read by
// Stats from any goroutine.
type connStatsCounters struct {
	smoothedRTT, minRTT, latestRTT atomic.Int64
	cwnd                           atomic.Int64
	bytesSent, bytesReceived       atomic.Uint64
	packetsSent, packetsReceived   atomic.Uint64
	packetsLost                    atomic.Uint64
	datagramsDropped               atomic.Uint64
	keyUpdates                     atomic.Uint64
}

// Stats returns a snapshot of the connection's statistics. It is safe to call
// at any time, also after the connection ended.
func (c *Conn) Stats() ConnStats {
	s := &c.stats
	return ConnStats{
		SmoothedRTT:      time.Duration(s.smoothedRTT.Load()),
		MinRTT:           time.Duration(s.minRTT.Load()),
		LatestRTT:        time.Duration(s.latestRTT.Load()),
		CongestionWindow: s.cwnd.Load(),
		BytesSent:        s.bytesSent.Load(),
		BytesReceived:    s.bytesReceived.Load(),
		PacketsSent:      s.packetsSent.Load(),
		PacketsReceived:  s.packetsReceived.Load(),
		PacketsLost:      s.packetsLost.Load(),
		DatagramsDropped: s.datagramsDropped.Load(),
		KeyUpdates:       s.keyUpdates.Load(),
	}
}
