package h3

import (
	"context"
	"sync/atomic"
)

// defaultDatagramQueue is how many received HTTP datagrams wait for a
// request before newer ones are dropped.
const defaultDatagramQueue = 32

// maxQuarterStreamID is the largest legal Quarter Stream ID
// (RFC 9297, Section 2.1).
const maxQuarterStreamID = 1<<60 - 1

// A datagramFlow is the receive queue of HTTP datagrams of one request
// stream. It is bounded: a datagram arriving at a full queue is dropped and
// counted. It is safe for concurrent use.
type datagramFlow struct {
	ch      chan []byte
	dropped atomic.Uint64
}

// registerFlow starts queueing datagrams for stream id.
func (c *conn) registerFlow(id int64, queueLen int) *datagramFlow {
	if queueLen <= 0 {
		queueLen = defaultDatagramQueue
	}
	f := &datagramFlow{ch: make(chan []byte, queueLen)}
	c.mu.Lock()
	c.flows[id] = f
	c.mu.Unlock()
	return f
}

// unregisterFlow stops queueing datagrams for stream id; later ones are
// dropped (RFC 9297, Section 2.1).
func (c *conn) unregisterFlow(id int64) {
	c.mu.Lock()
	delete(c.flows, id)
	c.mu.Unlock()
}

// receiveDatagrams is the one goroutine that reads the connection's QUIC
// datagrams and hands each to its request by Quarter Stream ID.
func (c *conn) receiveDatagrams() {
	ctx := c.qc.Context()
	if c.rawDatagram != nil && c.forwardRawDatagrams(ctx) {
		return
	}
	for {
		d, err := c.qc.ReceiveDatagram(ctx)
		if err != nil {
			return
		}
		if err := c.dispatchDatagram(d); err != nil {
			c.fail(err)
			return
		}
	}
}

func (c *conn) dispatchDatagram(d []byte) error {
	qsid, n := parseVarint(d)
	if n == 0 {
		// RFC 9297, Section 2.1: too short for a Quarter Stream ID.
		return connError(ErrCodeDatagramError, "datagram without a quarter stream ID")
	}
	if qsid > maxQuarterStreamID {
		return connError(ErrCodeDatagramError, "quarter stream ID %d too large", qsid)
	}
	c.mu.Lock()
	f := c.flows[int64(qsid*4)]
	c.mu.Unlock()
	if f == nil {
		// RFC 9297, Section 2.1: unknown or closed streams drop silently.
		c.dgramsDropped.Add(1)
		return nil
	}
	select {
	case f.ch <- d[n:]:
	default:
		f.dropped.Add(1)
	}
	return nil
}

// sendDatagram sends an HTTP datagram on stream id. Until the peer's
// SETTINGS have arrived it waits for them, as long as ctx allows: a request
// may arrive before the control stream that enables datagrams.
func (c *conn) sendDatagram(ctx context.Context, id int64, p []byte) error {
	if !c.local.h3Datagram {
		return ErrNoDatagrams
	}
	if _, err := c.peerSettings(ctx); err != nil {
		return err
	}
	if !c.datagramsEnabled() {
		return ErrNoDatagrams
	}
	qsid := uint64(id) / 4
	b := make([]byte, 0, varintLen(qsid)+len(p))
	b = appendVarint(b, qsid)
	return c.qc.SendDatagram(append(b, p...))
}

// receive waits for the next datagram of the flow.
func (f *datagramFlow) receive(ctx context.Context, done <-chan struct{}) ([]byte, error) {
	select {
	case d := <-f.ch:
		return d, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-done:
		return nil, context.Canceled
	}
}
