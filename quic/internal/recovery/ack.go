package recovery

import (
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/congestion"
)

// OnAckReceived processes one ACK frame received at now in space
// (RFC 9002, Appendix A.7). ranges lists the acknowledged packet numbers,
// largest range first, as the frame carries them; ackDelay is the frame's
// decoded ACK Delay. Each newly acknowledged packet is reported to
// h.PacketAcked and each packet this ACK shows to be lost to h.PacketLost,
// before OnAckReceived returns. h may be nil.
//
// It returns ErrUnsentPacketAcked if the frame acknowledges a packet number
// never sent in space (the connection closes with PROTOCOL_VIOLATION), and
// ErrBadAckRanges if the ranges are malformed; in both cases nothing has
// changed. ACKs for a discarded space are ignored.
func (d *LossDetector) OnAckReceived(
	now time.Time, space Space, ranges []AckRange, ackDelay time.Duration, h Handler,
) error {
	s := &d.spaces[space]
	if s.discarded {
		return nil
	}
	if err := s.validate(ranges); err != nil {
		return err
	}
	d.lastTimerEvent = now
	largest := ranges[0].Largest
	s.largestAcked = max(s.largestAcked, largest)

	priorInFlight := d.bytesInFlight
	newest, anyEliciting := d.markAcked(space, ranges, h)
	if newest == nil {
		// RFC 9002, Appendix A.7: nothing newly acknowledged, nothing to do.
		return nil
	}

	// RFC 9002, Section 5.1: an RTT sample needs the largest acknowledged
	// packet newly acknowledged and at least one ack-eliciting packet.
	if newest.pn == largest && anyEliciting {
		d.takeSample(now, space, now.Sub(newest.timeSent), ackDelay)
	}

	// RFC 9002, Section 8.1 and Appendix A.6: a Handshake ACK proves to a
	// client that the server validated its address.
	if space == Handshake {
		d.peerValidated = true
	}

	d.detectAndReportLost(now, space, h)
	if len(d.acked) > 0 {
		d.cc.OnPacketsAcked(now, d.acked, priorInFlight, d.rtt.Stats())
	}

	// RFC 9002, Section 6.2.1: reset the backoff on an acknowledgment,
	// unless a client is not yet sure its address was validated.
	if d.peerValidated {
		d.ptoCount = 0
	}
	s.sent.trim()
	return nil
}

// validate checks ranges against what was sent in s without changing
// anything.
func (s *spaceState) validate(ranges []AckRange) error {
	if len(ranges) == 0 {
		return ErrBadAckRanges
	}
	for i, r := range ranges {
		if r.Smallest < 0 || r.Smallest > r.Largest {
			return ErrBadAckRanges
		}
		if i > 0 && r.Largest >= ranges[i-1].Smallest {
			return ErrBadAckRanges
		}
	}
	if ranges[0].Largest > s.largestSent {
		return ErrUnsentPacketAcked
	}
	if s.sent.len() == 0 {
		return nil
	}
	// Every packet number from the oldest tracked packet up to the largest
	// sent was either sent (and is in the ring) or skipped. An acknowledged
	// number missing from the ring was skipped, so never sent.
	head := s.sent.at(0).pn
	for _, r := range ranges {
		lo := max(r.Smallest, head)
		if lo > r.Largest {
			break
		}
		n := s.sent.search(r.Largest+1) - s.sent.search(lo)
		if int64(n) != r.Largest-lo+1 {
			return ErrUnsentPacketAcked
		}
	}
	return nil
}

// markAcked marks the packets in ranges acknowledged, reports them, fills
// d.acked with the in-flight ones and returns the newest one (nil if none)
// and whether any was ack-eliciting.
func (d *LossDetector) markAcked(
	space Space, ranges []AckRange, h Handler,
) (newest *sentPacket, anyEliciting bool) {
	s := &d.spaces[space]
	d.acked = d.acked[:0]
	for _, r := range ranges {
		for i := s.sent.search(r.Smallest); i < s.sent.len(); i++ {
			p := s.sent.at(i)
			if p.pn > r.Largest {
				break
			}
			if p.done() {
				// Already acknowledged, or declared lost and its frames
				// already rebuilt: nothing to report.
				continue
			}
			p.flags |= flagAcked
			if newest == nil || p.pn > newest.pn {
				newest = p
			}
			if p.ackEliciting() {
				anyEliciting = true
			}
			if p.inFlight() {
				d.bytesInFlight -= int(p.size)
				if p.ackEliciting() {
					s.ackElicitingInFlight--
				}
				d.acked = append(d.acked, congestion.Packet{
					SentTime: p.timeSent, Bytes: int(p.size),
				})
			}
			if h != nil {
				h.PacketAcked(space, p.pn)
			}
		}
	}
	return newest, anyEliciting
}

// takeSample feeds an RTT sample to the estimator, applying the ack delay
// rules of RFC 9002, Section 5.3.
func (d *LossDetector) takeSample(now time.Time, space Space, latest, ackDelay time.Duration) {
	switch {
	case space == Initial:
		// The peer's ack delay is meaningless for Initial packets, which
		// are acknowledged immediately (RFC 9002, Section 5.3).
		ackDelay = 0
	case d.handshakeConfirmed:
		// RFC 9002, Section 5.3: after confirmation, use the lesser of the
		// reported delay and max_ack_delay.
		ackDelay = min(ackDelay, d.maxAckDelay)
	}
	if !d.rtt.HasSample() {
		d.firstSampleTime = now
	}
	d.rtt.Update(latest, ackDelay)
}

// lossDelay returns the time threshold of RFC 9002, Section 6.1.2:
// 9/8 * max(smoothed_rtt, latest_rtt), at least kGranularity.
func (d *LossDetector) lossDelay() time.Duration {
	base := max(d.rtt.Latest(), d.rtt.Smoothed())
	return max(base*timeThresholdNum/timeThresholdDen, Granularity)
}

// persistentDuration returns the persistent congestion duration
// (RFC 9002, Section 7.6.1).
func (d *LossDetector) persistentDuration() time.Duration {
	return (d.rtt.PTOBase() + d.maxAckDelay) * persistentCongestionThreshold
}

// detectAndReportLost runs loss detection in space, reports the lost
// packets to h and the congestion controller.
func (d *LossDetector) detectAndReportLost(now time.Time, space Space, h Handler) {
	persistent := d.detectLost(now, space, h)
	if len(d.lost) > 0 {
		d.cc.OnPacketsLost(now, d.lost, persistent)
	}
}

// detectLost declares lost the unacknowledged packets of space sent before
// its largest acknowledged one that pass the packet or time threshold
// (RFC 9002, Section 6.1, Appendix A.10), reports each to h, fills d.lost
// with the in-flight ones and arms the space's loss time for the others. It
// returns whether the lost packets establish persistent congestion
// (RFC 9002, Section 7.6.2).
func (d *LossDetector) detectLost(now time.Time, space Space, h Handler) bool {
	s := &d.spaces[space]
	s.lossTime = time.Time{}
	d.lost = d.lost[:0]
	delay := d.lossDelay()
	lostSendTime := now.Add(-delay)
	pc := persistentRun{minStart: d.firstSampleTime}
	for i := 0; i < s.sent.len(); i++ {
		p := s.sent.at(i)
		if p.pn > s.largestAcked {
			break
		}
		if p.flags&flagAcked != 0 {
			pc.reset()
			continue
		}
		if p.flags&flagLost != 0 {
			continue
		}
		if !p.timeSent.After(lostSendTime) || s.largestAcked >= p.pn+packetThreshold {
			d.markLost(space, p, h)
			pc.onLost(p, d.persistentDuration())
			continue
		}
		if t := p.timeSent.Add(delay); s.lossTime.IsZero() || t.Before(s.lossTime) {
			s.lossTime = t
		}
	}
	s.sent.trim()
	return pc.found && d.rtt.HasSample()
}

func (d *LossDetector) markLost(space Space, p *sentPacket, h Handler) {
	s := &d.spaces[space]
	p.flags |= flagLost
	if p.inFlight() {
		d.bytesInFlight -= int(p.size)
		if p.ackEliciting() {
			s.ackElicitingInFlight--
		}
		d.lost = append(d.lost, congestion.Packet{SentTime: p.timeSent, Bytes: int(p.size)})
	}
	if h != nil {
		h.PacketLost(space, p.pn)
	}
}

// persistentRun follows a run of lost ack-eliciting packets with no
// acknowledged packet between them (RFC 9002, Section 7.6.2).
type persistentRun struct {
	minStart time.Time // only packets sent after the first RTT sample count
	start    time.Time // send time of the run's first lost packet; zero if none
	found    bool
}

func (r *persistentRun) reset() { r.start = time.Time{} }

func (r *persistentRun) onLost(p *sentPacket, duration time.Duration) {
	if !p.ackEliciting() || r.minStart.IsZero() || !p.timeSent.After(r.minStart) {
		return
	}
	if r.start.IsZero() {
		r.start = p.timeSent
		return
	}
	if p.timeSent.Sub(r.start) > duration {
		r.found = true
	}
}
