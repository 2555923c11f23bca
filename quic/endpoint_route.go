package quic

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/udpio"
)

const (
	quicVersion1 = 0x00000001
	// minResetSize is the smallest stateless reset we send: 5 unpredictable
	// bytes and the 16-byte token (RFC 9000, Section 10.3).
	minResetSize = 21
	// maxResetSize caps stateless resets; they need not be large.
	maxResetSize = 43
)

// readLoop reads batches of datagrams and routes them until the socket closes.
func (e *Endpoint) readLoop() {
	defer close(e.readDone)
	msgs := make([]udpio.Message, readBatchSize)
	rx := make([]rxBuf, readBatchSize)
	for i := range rx {
		rx[i].buf = rxPool.Get().(*[]byte)
	}
	defer func() {
		for i := range rx {
			rx[i].release()
		}
	}()
	var batch routeBatch
	failures := 0
	for {
		for i := range msgs {
			msgs[i] = udpio.Message{Buf: *rx[i].buf}
		}
		n, err := e.conn.ReadBatch(msgs)
		if err != nil {
			// Transient errors are retried; a socket that keeps failing is
			// not allowed to spin the CPU.
			failures++
			if failures > 100 {
				time.Sleep(time.Millisecond)
			}
			select {
			case <-e.closing:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				e.abortAll(err)
				return
			}
			e.log.Debug("quic: endpoint read error", "err", err)
			continue
		}
		failures = 0
		now := time.Now()
		for i := 0; i < n; i++ {
			rx[i].n, rx[i].seg, rx[i].addr = msgs[i].N, msgs[i].SegmentSize, msgs[i].Addr
			if small, copied := rx[i].compact(); copied {
				if !e.route(&small, &batch, now) {
					small.release()
				}
				continue
			}
			if e.route(&rx[i], &batch, now) {
				// The connection owns the buffer now.
				rx[i].buf = rxPool.Get().(*[]byte)
			}
		}
		batch.flush()
	}
}

// routeBatch groups the messages of one socket read by connection, so that
// each connection is handed its share in one step and woken once.
type routeBatch struct {
	conns []*Conn
	bufs  [][]rxBuf
}

func (b *routeBatch) add(c *Conn, r rxBuf) {
	for i, x := range b.conns {
		if x == c {
			b.bufs[i] = append(b.bufs[i], r)
			return
		}
	}
	b.conns = append(b.conns, c)
	if len(b.bufs) < len(b.conns) {
		b.bufs = append(b.bufs, nil)
	}
	i := len(b.conns) - 1
	b.bufs[i] = append(b.bufs[i][:0], r)
}

func (b *routeBatch) flush() {
	for i, c := range b.conns {
		c.deliver(b.bufs[i])
		clear(b.bufs[i])
		b.bufs[i] = b.bufs[i][:0]
		b.conns[i] = nil
	}
	b.conns = b.conns[:0]
}

// route decides what to do with one datagram. It returns true when the
// datagram was handed to a connection (which then owns its buffer).
func (e *Endpoint) route(d *rxBuf, batch *routeBatch, now time.Time) bool {
	// With GRO the segments come from one peer address. When they are all for
	// the same connection ID they travel together; otherwise each is copied
	// and routed alone (several connections between the same two sockets).
	if d.seg > 0 && d.seg < d.n && !sameDestination(d) {
		d.segments(func(b []byte) {
			one := rxBuf{buf: rxPool.Get().(*[]byte), addr: d.addr}
			one.n = copy(*one.buf, b)
			if !e.route(&one, batch, now) {
				one.release()
			}
		})
		return false
	}
	b := d.first()
	if len(b) == 0 {
		return false
	}
	if b[0]&0x80 == 0 {
		return e.routeShort(d, b, batch, now)
	}
	return e.routeLong(d, b, batch, now)
}

// routeShort routes a datagram starting with a short-header packet: to its
// connection, or to the connection whose peer's reset token it ends with,
// or else it is answered with a stateless reset.
func (e *Endpoint) routeShort(d *rxBuf, b []byte, batch *routeBatch, now time.Time) bool {
	// Our connection IDs are connIDLen bytes.
	if len(b) < 1+connIDLen {
		return false
	}
	if c := e.lookup(b[1 : 1+connIDLen]); c != nil {
		batch.add(c, *d)
		return true
	}
	if c := e.lookupReset(b); c != nil {
		batch.add(c, *d)
		return true
	}
	e.sendStatelessReset(d.addr, len(b), b[1:1+connIDLen], now)
	return false
}

// routeLong routes a datagram starting with a long-header packet: to its
// connection, to a new server connection for a valid first Initial, or it
// is answered with Version Negotiation.
func (e *Endpoint) routeLong(d *rxBuf, b []byte, batch *routeBatch, now time.Time) bool {
	version, dcid, scid, ok := parseLongInvariant(b)
	if !ok {
		return false
	}
	if c := e.lookup(dcid); c != nil {
		batch.add(c, *d)
		return true
	}
	if version != quicVersion1 {
		// RFC 9000, Section 6.1 and 14.1: answer unknown versions with Version
		// Negotiation, but never datagrams smaller than the minimum.
		if version != 0 && len(b) >= minInitialSize {
			e.sendVersionNegotiation(d.addr, dcid, scid, now)
		}
		return false
	}
	// A new connection starts with an Initial packet (type 0).
	if e.cfg == nil || (b[0]&0x30)>>4 != 0 {
		e.droppedUnknown.Add(1)
		return false
	}
	// RFC 9000, Section 14.1: drop Initials in datagrams under 1200 bytes, and
	// Section 7.2: the client's first Destination ID is at least 8 bytes.
	if len(b) < minInitialSize || len(dcid) < 8 {
		e.droppedUnknown.Add(1)
		return false
	}
	if !initialOpens(b) {
		e.droppedUnknown.Add(1)
		return false
	}
	c := e.acceptNew(d, dcid, scid)
	if c == nil {
		return false
	}
	batch.add(c, *d)
	return true
}

// lookup returns the connection routed by id, or nil.
func (e *Endpoint) lookup(id []byte) *Conn {
	e.mu.Lock()
	c := e.conns[string(id)]
	e.mu.Unlock()
	return c
}

// acceptNew creates a server connection for a client's first Initial.
func (e *Endpoint) acceptNew(d *rxBuf, dcid, scid []byte) *Conn {
	if e.handshaking.Load() >= maxHandshaking {
		e.droppedUnknown.Add(1)
		return nil
	}
	c, err := newConn(e, e.cfg, false, d.addr, dcid, scid)
	if err != nil {
		e.log.Warn("quic: cannot create connection", "err", err)
		return nil
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		// The TLS handshake goroutine has started: stop it.
		c.state.tls.Close()
		return nil
	}
	e.all[c] = struct{}{}
	for _, l := range c.state.ids.local {
		e.conns[string(l.id[:])] = c
	}
	// Route the client's retransmitted Initials (still sent to its chosen
	// ID) to the same connection until the handshake completes.
	e.conns[string(dcid)] = c
	e.mu.Unlock()
	e.handshaking.Add(1)
	c.countedHandshake = true
	go c.run()
	return c
}

// parseLongInvariant extracts the version and connection IDs of a long header
// (RFC 8999, Section 5.1).
func parseLongInvariant(b []byte) (version uint32, dcid, scid []byte, ok bool) {
	if len(b) < 7 {
		return 0, nil, nil, false
	}
	version = binary.BigEndian.Uint32(b[1:5])
	n := int(b[5])
	if n > 20 && version == quicVersion1 {
		return 0, nil, nil, false
	}
	if len(b) < 6+n+1 {
		return 0, nil, nil, false
	}
	dcid = b[6 : 6+n]
	m := int(b[6+n])
	if len(b) < 7+n+m {
		return 0, nil, nil, false
	}
	scid = b[7+n : 7+n+m]
	return version, dcid, scid, true
}

// sendVersionNegotiation answers an unknown version (RFC 9000, Section 17.2.1).
func (e *Endpoint) sendVersionNegotiation(to netip.AddrPort, dcid, scid []byte,
	now time.Time) {
	if len(dcid) > 255 || len(scid) > 255 || !e.allowStateless(now) {
		return
	}
	var buf [64 + 2*255]byte
	b := buf[:0]
	var r [1]byte
	rand.Read(r[:])
	b = append(b, 0x80|r[0])
	b = append(b, 0, 0, 0, 0)
	b = append(b, byte(len(scid)))
	b = append(b, scid...)
	b = append(b, byte(len(dcid)))
	b = append(b, dcid...)
	b = binary.BigEndian.AppendUint32(b, quicVersion1)
	// A reserved version (RFC 9000, Section 15) exercises the client's parsing.
	b = binary.BigEndian.AppendUint32(b, reservedVersion())
	e.send([]udpio.Message{{Buf: b, N: len(b), Addr: to}})
}

// sendStatelessReset answers a short-header packet for an unknown connection
// (RFC 9000, Section 10.3): smaller than the trigger, rate-limited.
func (e *Endpoint) sendStatelessReset(to netip.AddrPort, trigger int, dcid []byte,
	now time.Time) {
	size := min(trigger-1, maxResetSize)
	if size < minResetSize || !e.allowStateless(now) {
		return
	}
	var buf [maxResetSize]byte
	b := buf[:size]
	rand.Read(b[:size-16])
	b[0] = 0x40 | b[0]&0x3f
	t := e.resetToken(dcid)
	copy(b[size-16:], t[:])
	e.send([]udpio.Message{{Buf: b, N: size, Addr: to}})
}

// allowStateless applies the rate limit for packets sent without connection
// state.
func (e *Endpoint) allowStateless(now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.limiter.allow(now)
}

// abortAll ends every connection after a fatal socket error.
func (e *Endpoint) abortAll(err error) {
	e.mu.Lock()
	conns := make([]*Conn, 0, len(e.all))
	for c := range e.all {
		conns = append(conns, c)
	}
	e.mu.Unlock()
	for _, c := range conns {
		c.abort(err)
	}
}

// destinationID returns the destination connection ID of a datagram's first
// packet (our IDs are connIDLen bytes in short headers), or nil.
func destinationID(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	if b[0]&0x80 == 0 {
		if len(b) < 1+connIDLen {
			return nil
		}
		return b[1 : 1+connIDLen]
	}
	_, dcid, _, ok := parseLongInvariant(b)
	if !ok {
		return nil
	}
	return dcid
}

// sameDestination reports whether every segment of a GRO message has the
// first one's destination connection ID.
func sameDestination(d *rxBuf) bool {
	first := destinationID(d.first())
	same := true
	d.segments(func(b []byte) {
		if same && string(destinationID(b)) != string(first) {
			same = false
		}
	})
	return same
}
