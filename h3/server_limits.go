package h3

import (
	"context"
	"time"
)

// defaultReadHeaderTimeout is Server.ReadHeaderTimeout's default.
const defaultReadHeaderTimeout = 10 * time.Second

// startHeaderTimer starts the timer that resets qs with H3_REQUEST_REJECTED
// if its request head is not complete in time. The caller stops it once the
// head was read; Stop returning false means the stream was reset.
func (sc *serverConn) startHeaderTimer(qs quicStream) interface{ Stop() bool } {
	d := sc.srv.ReadHeaderTimeout
	if d == 0 {
		d = defaultReadHeaderTimeout
	}
	if d < 0 {
		return stoppedTimer{}
	}
	return time.AfterFunc(d, func() {
		// RFC 9114, Section 4.1.1: the request was not processed, so the
		// client may retry it.
		qs.CancelRead(uint64(ErrCodeRequestRejected))
		qs.CancelWrite(uint64(ErrCodeRequestRejected))
	})
}

// stoppedTimer stands for a header timer that is never armed.
type stoppedTimer struct{}

func (stoppedTimer) Stop() bool { return true }

// setRawDatagramHandler installs Server.QUICDatagramHandler; call it before
// start.
func (c *conn) setRawDatagramHandler(f func(Conn, []byte)) {
	c.rawDatagram = f
}

// forwardRawDatagrams waits for the peer's SETTINGS and, when they do not
// enable HTTP datagrams, hands every QUIC datagram of the connection to the
// raw datagram handler until the connection ends, and reports true. It
// reports false when datagrams are HTTP datagrams after all.
func (c *conn) forwardRawDatagrams(ctx context.Context) bool {
	if _, err := c.peerSettings(ctx); err != nil {
		return true // the connection ended
	}
	if c.datagramsEnabled() {
		return false
	}
	h := Conn{c}
	for {
		d, err := c.qc.ReceiveDatagram(ctx)
		if err != nil {
			return true
		}
		c.rawDatagram(h, d)
	}
}
