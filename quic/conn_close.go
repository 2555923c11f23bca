package quic

import (
	"errors"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// maxReasonLen caps the reason phrase we send in CONNECTION_CLOSE.
const maxReasonLen = 256

// closeLocal starts closing on a user request: an application close (sent as
// CONNECTION_CLOSE), or a silent abort when the request has no code.
func (c *Conn) closeLocal(req *closeRequest, now time.Time) {
	s := &c.state
	var app *ApplicationError
	if !errors.As(req.local, &app) {
		if errors.Is(req.local, errEndpointClosing) {
			// The socket closes next: send CONNECTION_CLOSE once and end.
			c.startClosing(req.local, false, 0, "", now)
			c.sendClosePacket(now)
			s.phase = phaseDone
			return
		}
		c.closeSilently(req.local)
		return
	}
	if s.phase != phaseActive {
		return
	}
	c.startClosing(req.local, true, req.code, req.reason, now)
}

// errEndpointClosing is the local error of connections closed by
// Endpoint.Close; it wraps net.ErrClosed.
var errEndpointClosing = &TransportError{Code: errCodeNoError, Reason: "endpoint closed"}

// closeWithTransportError closes the connection after a local protocol error,
// sending CONNECTION_CLOSE with its transport code.
func (c *Conn) closeWithTransportError(err error, now time.Time) {
	s := &c.state
	if s.phase != phaseActive {
		return
	}
	var te *TransportError
	if !errors.As(err, &te) {
		te = &TransportError{Code: errCodeInternal, Reason: err.Error()}
	}
	if c.debugEnabled() {
		c.log.Debug("quic: closing on transport error", "code", te.Code.String(),
			"reason", te.Reason)
	}
	c.startClosing(te, false, uint64(te.Code), te.Reason, now)
}

// startClosing enters the closing state (RFC 9000, Section 10.2.1) and queues
// the CONNECTION_CLOSE packet.
func (c *Conn) startClosing(userErr error, app bool, code uint64, reason string,
	now time.Time) {
	s := &c.state
	if len(reason) > maxReasonLen {
		reason = reason[:maxReasonLen]
	}
	s.phase = phaseClosing
	s.closeErr = userErr
	s.closeApp, s.closeCode, s.closeReason = app, code, reason
	s.closeSendPending = true
	s.closeDeadline = now.Add(3 * c.ptoBase())
	c.failHandshakeWaiters()
}

// closeSilently ends the connection without sending anything: idle timeout,
// handshake timeout, aborted dial.
func (c *Conn) closeSilently(err error) {
	s := &c.state
	if s.closeErr == nil {
		s.closeErr = err
	}
	s.phase = phaseDone
}

// enterDraining enters the draining state after the peer closed or reset the
// connection (RFC 9000, Section 10.2.2): nothing more is sent.
func (c *Conn) enterDraining(err error, now time.Time) {
	s := &c.state
	if s.phase == phaseDraining || s.phase == phaseDone {
		return
	}
	if s.closeErr == nil || s.phase == phaseActive {
		s.closeErr = err
	}
	s.phase = phaseDraining
	s.closeDeadline = now.Add(3 * c.ptoBase())
	c.failHandshakeWaiters()
}

// failHandshakeWaiters ends streams and the Context as soon as the
// connection stops being usable, before the closing period has passed.
func (c *Conn) failHandshakeWaiters() {
	s := &c.state
	s.streams.closeAll(s.closeErr)
	c.cancel(s.closeErr)
}

// handleConnectionClose processes the peer's CONNECTION_CLOSE.
func (c *Conn) handleConnectionClose(f *wire.ConnectionCloseFrame, now time.Time) {
	var err error
	if f.App {
		err = &ApplicationError{Code: f.ErrorCode, Reason: string(f.Reason), Remote: true}
	} else {
		err = &TransportError{Code: TransportErrorCode(f.ErrorCode), Reason: string(f.Reason),
			Remote: true}
	}
	if c.debugEnabled() {
		c.log.Debug("quic: peer closed the connection", "err", err)
	}
	c.enterDraining(err, now)
}

// onPacketWhileClosing schedules another CONNECTION_CLOSE, at a rate that
// halves with each packet received (RFC 9000, Section 10.2.1).
func (c *Conn) onPacketWhileClosing(now time.Time) {
	s := &c.state
	s.closeRecvs++
	if s.closeRecvs&(s.closeRecvs-1) == 0 {
		s.closeSendPending = true
	}
}

// appendCloseFrame writes the CONNECTION_CLOSE frame for space. In Initial
// and Handshake packets an application close becomes a transport close with
// APPLICATION_ERROR and no reason (RFC 9000, Section 10.2.3).
func (c *Conn) appendCloseFrame(space spaceID, b []byte, limit int) []byte {
	s := &c.state
	f := wire.ConnectionCloseFrame{App: s.closeApp, ErrorCode: s.closeCode,
		Reason: []byte(s.closeReason)}
	if s.closeApp && space != appDataSpace {
		f = wire.ConnectionCloseFrame{ErrorCode: uint64(errCodeApplication)}
	}
	for len(b)+f.Size() > limit && len(f.Reason) > 0 {
		f.Reason = f.Reason[:len(f.Reason)/2]
	}
	if len(b)+f.Size() > limit {
		return b
	}
	return f.Append(b)
}

// sendClosePacket sends one datagram with CONNECTION_CLOSE in every space we
// have keys for, when one is due.
func (c *Conn) sendClosePacket(now time.Time) {
	s := &c.state
	if !s.closeSendPending {
		return
	}
	s.closeSendPending = false
	limit := c.datagramLimit()
	if limit < minPacketRoom {
		return
	}
	buf := txPool.Get().(*[]byte)
	*buf = (*buf)[:cap(*buf)]
	n := c.buildDatagram((*buf)[:limit], now)
	msgs := append(s.txMsgs[:0], txMessage{buf: buf, n: n})
	if n > 0 {
		s.sentBytes += uint64(n)
		c.stats.bytesSent.Add(uint64(n))
	}
	c.flushMessages(msgs)
	s.txMsgs = msgs[:0]
}
