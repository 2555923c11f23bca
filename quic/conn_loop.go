package quic

import (
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/recovery"
)

// run is the connection's goroutine: it drains received packets, handles
// user requests and timers, sends everything it can, then sleeps until the
// next packet, user request or timer.
func (c *Conn) run() {
	s := &c.state
	defer c.finish()
	s.timer = time.NewTimer(time.Hour)
	defer s.timer.Stop()
	now := time.Now()
	s.now = now
	if c.debugEnabled() {
		c.log.Debug("quic: connection starting", "client", c.isClient,
			"remote", c.remote.String())
	}
	if err := c.processTLSEvents(); err != nil {
		c.closeWithTransportError(err, now)
	}
	for {
		now = time.Now()
		s.now = now
		c.drainInbox(now)
		c.handleUserRequests(now)
		c.handleTimers(now)
		if s.phase == phaseDone {
			return
		}
		c.sendAll(now)
		c.maybeConfirmAddressLimited()
		if s.phase == phaseDone {
			return
		}
		c.armTimer(now)
		select {
		case <-c.wakeCh:
		case <-s.timer.C:
			s.timerAt = time.Time{}
		}
	}
}

// drainInbox processes every message queued by the endpoint.
func (c *Conn) drainInbox(now time.Time) {
	for round := 0; round < 4; round++ {
		in := c.takeInbox()
		if len(in) == 0 {
			c.returnInbox(in)
			return
		}
		for i := range in {
			c.handleRx(&in[i], now)
			in[i].release()
		}
		c.returnInbox(in)
		c.processPending(now)
	}
}

// handleUserRequests applies requests posted by user goroutines.
func (c *Conn) handleUserRequests(now time.Time) {
	c.userMu.Lock()
	req := c.closeReq
	force := c.forceKeyUp
	c.forceKeyUp = false
	c.userMu.Unlock()
	if req != nil && c.state.phase == phaseActive {
		c.closeLocal(req, now)
	}
	if force {
		c.state.keys.forced = true
	}
	c.maybeInitiateKeyUpdate(now)
}

// handleTimers fires every timer that is due.
func (c *Conn) handleTimers(now time.Time) {
	s := &c.state
	switch s.phase {
	case phaseClosing, phaseDraining:
		if !now.Before(s.closeDeadline) {
			s.phase = phaseDone
		}
		return
	case phaseDone:
		return
	}
	if !s.handshakeComplete && !now.Before(s.created.Add(c.cfg.HandshakeTimeout)) {
		c.closeSilently(ErrHandshakeTimeout)
		return
	}
	if !now.Before(c.idleDeadline()) {
		// RFC 9000, Section 10.1: the connection is silently closed.
		c.closeSilently(ErrIdleTimeout)
		return
	}
	if t := c.keepAliveTime(); !t.IsZero() && !now.Before(t) {
		s.pingPending = true
	}
	c.onLossTimer(now)
	c.onKeyTimers(now)
}

// idleDeadline returns when the idle timeout expires: the effective timeout,
// at least three PTOs, after the last activity (RFC 9000, Section 10.1).
func (c *Conn) idleDeadline() time.Time {
	s := &c.state
	d := max(s.idleTimeout, 3*c.ptoBase())
	if !s.handshakeComplete {
		// The handshake timeout applies instead.
		d = max(d, c.cfg.HandshakeTimeout)
	}
	last := s.lastRecvActivity
	if s.lastAckElicitSent.After(last) {
		last = s.lastAckElicitSent
	}
	return last.Add(d)
}

// keepAliveTime returns when a keep-alive PING is due, or zero.
func (c *Conn) keepAliveTime() time.Time {
	s := &c.state
	if s.keepAlive <= 0 || !s.handshakeComplete || s.pingPending {
		return time.Time{}
	}
	period := min(s.keepAlive, s.idleTimeout/2)
	last := s.lastRecvActivity
	if s.lastSend.After(last) {
		last = s.lastSend
	}
	return last.Add(period)
}

// armTimer sets the loop's timer to the earliest deadline.
func (c *Conn) armTimer(now time.Time) {
	s := &c.state
	next := c.nextDeadline(now)
	if next.IsZero() {
		next = now.Add(time.Hour)
	}
	if next.Equal(s.timerAt) {
		return
	}
	s.timerAt = next
	s.timer.Reset(max(next.Sub(now), 0))
}

// nextDeadline returns the earliest time the loop must wake without input.
func (c *Conn) nextDeadline(now time.Time) time.Time {
	s := &c.state
	var next time.Time
	at := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if s.phase == phaseClosing || s.phase == phaseDraining {
		return s.closeDeadline
	}
	if !s.handshakeComplete {
		at(s.created.Add(c.cfg.HandshakeTimeout))
	}
	at(c.idleDeadline())
	at(c.keepAliveTime())
	if s.sentBytes > 0 {
		at(s.loss.det.Deadline())
	}
	at(s.keys.discardAt)
	for i := range s.spaces {
		sp := &s.spaces[i]
		if !sp.discarded {
			at(sp.recv.AckDeadline())
		}
	}
	if c.hasDataToSend() && s.loss.det.CanSend() {
		if t := s.loss.det.Controller().NextSendTime(now); t.After(now) {
			at(t)
		}
	}
	return next
}

// hasDataToSend reports whether ack-eliciting data waits for the window.
func (c *Conn) hasDataToSend() bool {
	s := &c.state
	if s.streams.hasPending() || len(s.dgramOut) > 0 {
		return true
	}
	for i := range s.spaces {
		if s.spaces[i].crypto.hasPending() {
			return true
		}
	}
	return false
}

// maybeConfirmAddressLimited tells the loss detector whether an unvalidated
// server is blocked by the amplification limit.
func (c *Conn) maybeConfirmAddressLimited() {
	s := &c.state
	if c.isClient || s.addrValidated {
		s.loss.det.SetAmplificationLimited(false)
		return
	}
	s.loss.det.SetAmplificationLimited(c.datagramLimit() < minPacketRoom)
}

// finish runs when the loop exits: it ends streams and waiters, and removes
// the connection from its endpoint.
func (c *Conn) finish() {
	s := &c.state
	err := s.closeErr
	if err == nil {
		err = &TransportError{Code: errCodeInternal, Reason: "connection ended"}
	}
	c.termErr = err
	s.streams.closeAll(err)
	c.cancel(err)
	select {
	case <-c.handshakeCh:
	default:
		close(c.handshakeCh)
	}
	c.uncountHandshake()
	c.ep.unregister(c)
	if s.tls != nil {
		s.tls.Close()
	}
	in := c.takeInbox()
	for i := range in {
		in[i].release()
	}
	for i := range s.spaces {
		s.spaces[i].sent.clear()
	}
	s.loss.det.DiscardSpace(recovery.AppData)
	close(c.doneCh)
	if c.debugEnabled() {
		c.log.Debug("quic: connection closed", "err", err, "client", c.isClient)
	}
	if c.ep.dialOnly {
		c.ep.Close()
	}
}

// uncountHandshake removes a server connection from the endpoint's count of
// handshakes in progress, once.
func (c *Conn) uncountHandshake() {
	if c.countedHandshake {
		c.countedHandshake = false
		c.ep.handshaking.Add(-1)
	}
}
