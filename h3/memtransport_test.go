package h3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// This file is an in-memory implementation of quicConn and quicStream: two
// connected endpoints with client/server stream IDs, flow-controlled pipes,
// resets and STOP_SENDING with codes, connection close with a code and
// datagrams. Tests use it to run h3 without package quic and to play a
// scripted peer that sends raw frames.

// memStreamError is a stream reset or STOP_SENDING, like quic.StreamError.
type memStreamError struct {
	id     int64
	code   uint64
	remote bool
}

func (e *memStreamError) Error() string {
	return fmt.Sprintf("mem: stream %d reset with 0x%x (remote %v)", e.id, e.code, e.remote)
}

func (e *memStreamError) ResetCode() uint64 { return e.code }

// memAppError is a connection close, like quic.ApplicationError.
type memAppError struct {
	code   uint64
	reason string
	remote bool
}

func (e *memAppError) Error() string {
	return fmt.Sprintf("mem: connection closed with 0x%x %q (remote %v)", e.code, e.reason,
		e.remote)
}

func (e *memAppError) Is(target error) bool { return target == net.ErrClosed && !e.remote }

const memPipeLimit = 256 << 10

// memLink is what the two ends of a connection share.
type memLink struct {
	mu    sync.Mutex
	errs  [2]error // error each side sees once closed
	pipes []*memPipe
	conns [2]*memConn
}

func (l *memLink) err(side int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errs[side]
}

func (l *memLink) close(side int, code uint64, reason string) {
	l.mu.Lock()
	if l.errs[side] != nil {
		l.mu.Unlock()
		return
	}
	l.errs[side] = &memAppError{code: code, reason: reason}
	l.errs[1-side] = &memAppError{code: code, reason: reason, remote: true}
	pipes := l.pipes
	l.mu.Unlock()
	for _, c := range l.conns {
		c.cancel(c.link.errs[c.side])
	}
	for _, p := range pipes {
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
	}
}

// memPipe is one direction of a stream.
type memPipe struct {
	link       *memLink
	readerSide int
	rs, ws     *memStream // reading and writing ends; nil for the missing half

	mu       sync.Mutex
	cond     sync.Cond
	buf      []byte
	fin      bool
	eofRead  bool
	reset    bool
	resetErr uint64
	stopped  bool
	stopCode uint64
	rdl, wdl time.Time
}

func newMemPipe(l *memLink, readerSide int) *memPipe {
	p := &memPipe{link: l, readerSide: readerSide}
	p.cond.L = &p.mu
	l.mu.Lock()
	l.pipes = append(l.pipes, p)
	l.mu.Unlock()
	return p
}

func (p *memPipe) read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		switch {
		case p.stopped:
			return 0, &memStreamError{id: p.rs.id, code: p.stopCode}
		case p.reset:
			return 0, &memStreamError{id: p.rs.id, code: p.resetErr, remote: true}
		case len(p.buf) > 0:
			n := copy(b, p.buf)
			p.buf = p.buf[n:]
			p.cond.Broadcast()
			return n, nil
		case p.fin:
			if !p.eofRead {
				p.eofRead = true
				go p.rs.markDone(true)
			}
			return 0, io.EOF
		}
		if err := p.link.err(p.readerSide); err != nil {
			return 0, err
		}
		if !p.rdl.IsZero() && !time.Now().Before(p.rdl) {
			return 0, os.ErrDeadlineExceeded
		}
		p.cond.Wait()
	}
}

func (p *memPipe) write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	total := 0
	for len(b) > 0 {
		switch {
		case p.fin || p.reset:
			return total, fmt.Errorf("mem: write after close: %w", net.ErrClosed)
		case p.stopped:
			return total, &memStreamError{id: p.ws.id, code: p.stopCode, remote: true}
		}
		if err := p.link.err(1 - p.readerSide); err != nil {
			return total, err
		}
		if !p.wdl.IsZero() && !time.Now().Before(p.wdl) {
			return total, os.ErrDeadlineExceeded
		}
		if len(p.buf) >= memPipeLimit {
			p.cond.Wait()
			continue
		}
		n := min(len(b), memPipeLimit-len(p.buf))
		p.buf = append(p.buf, b[:n]...)
		b = b[n:]
		total += n
		p.cond.Broadcast()
	}
	return total, nil
}

func (p *memPipe) closeWrite() {
	p.mu.Lock()
	p.fin = true
	p.cond.Broadcast()
	p.mu.Unlock()
	p.ws.markDone(false)
}

func (p *memPipe) cancelWrite(code uint64) {
	p.mu.Lock()
	if !p.eofRead && !p.reset {
		p.reset, p.resetErr, p.buf = true, code, nil
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	p.ws.markDone(false)
	if p.rs != nil {
		p.rs.markDone(true)
	}
}

func (p *memPipe) cancelRead(code uint64) {
	p.mu.Lock()
	if !p.stopped && !p.eofRead {
		p.stopped, p.stopCode, p.buf = true, code, nil
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	p.rs.markDone(true)
	if p.ws != nil {
		p.ws.markDone(false)
	}
}

func (p *memPipe) setDeadline(read bool, t time.Time) {
	p.mu.Lock()
	if read {
		p.rdl = t
	} else {
		p.wdl = t
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	if !t.IsZero() {
		time.AfterFunc(time.Until(t)+time.Millisecond, func() {
			p.mu.Lock()
			p.cond.Broadcast()
			p.mu.Unlock()
		})
	}
}

// memStream is one end of a stream.
type memStream struct {
	id       int64
	in, out  *memPipe // nil for the missing half of a unidirectional stream
	ctx      context.Context
	cancel   context.CancelFunc
	mu       sync.Mutex
	recvDone bool
	sendDone bool
}

func newMemStream(id int64, connCtx context.Context) *memStream {
	s := &memStream{id: id}
	s.ctx, s.cancel = context.WithCancel(connCtx)
	return s
}

func (s *memStream) markDone(recv bool) {
	s.mu.Lock()
	if recv {
		s.recvDone = true
	} else {
		s.sendDone = true
	}
	done := (s.recvDone || s.in == nil) && (s.sendDone || s.out == nil)
	s.mu.Unlock()
	if done {
		s.cancel()
	}
}

func (s *memStream) ID() int64 { return s.id }

func (s *memStream) Read(b []byte) (int, error) {
	if s.in == nil {
		return 0, errors.New("mem: read on a send-only stream")
	}
	return s.in.read(b)
}

func (s *memStream) Write(b []byte) (int, error) {
	if s.out == nil {
		return 0, errors.New("mem: write on a receive-only stream")
	}
	return s.out.write(b)
}

func (s *memStream) Close() error {
	if s.out != nil {
		s.out.closeWrite()
	}
	return nil
}

func (s *memStream) CancelRead(code uint64) {
	if s.in != nil {
		s.in.cancelRead(code)
	}
}

func (s *memStream) CancelWrite(code uint64) {
	if s.out != nil {
		s.out.cancelWrite(code)
	}
}

func (s *memStream) SetReadDeadline(t time.Time) error {
	if s.in != nil {
		s.in.setDeadline(true, t)
	}
	return nil
}

func (s *memStream) SetWriteDeadline(t time.Time) error {
	if s.out != nil {
		s.out.setDeadline(false, t)
	}
	return nil
}

func (s *memStream) Context() context.Context { return s.ctx }

// memConn is one end of an in-memory connection. side 0 is the client.
type memConn struct {
	link       *memLink
	side       int
	ctx        context.Context
	cancel     context.CancelCauseFunc
	bidi, uni  chan *memStream
	dgrams     chan []byte
	maxDgram   int
	mu         sync.Mutex
	nextBidi   int64
	nextUni    int64
	local, rem net.Addr
}

// newMemPair returns a connected client and server.
func newMemPair(datagrams bool) (client, server *memConn) {
	l := &memLink{}
	mk := func(side int) *memConn {
		c := &memConn{link: l, side: side, bidi: make(chan *memStream, 1000),
			uni: make(chan *memStream, 100), dgrams: make(chan []byte, 128),
			nextBidi: int64(side), nextUni: int64(2 + side)}
		c.ctx, c.cancel = context.WithCancelCause(context.Background())
		if datagrams {
			c.maxDgram = 1200
		}
		c.local = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4000 + side}
		c.rem = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4001 - side}
		return c
	}
	client, server = mk(0), mk(1)
	l.conns = [2]*memConn{client, server}
	return client, server
}

func (c *memConn) peer() *memConn { return c.link.conns[1-c.side] }

func (c *memConn) open(uni bool) (quicStream, error) {
	if err := c.link.err(c.side); err != nil {
		return nil, err
	}
	c.mu.Lock()
	var id int64
	if uni {
		id, c.nextUni = c.nextUni, c.nextUni+4
	} else {
		id, c.nextBidi = c.nextBidi, c.nextBidi+4
	}
	c.mu.Unlock()
	p := c.peer()
	local, remote := newMemStream(id, c.ctx), newMemStream(id, p.ctx)
	out := newMemPipe(c.link, p.side)
	out.ws, out.rs = local, remote
	local.out, remote.in = out, out
	if !uni {
		in := newMemPipe(c.link, c.side)
		in.ws, in.rs = remote, local
		local.in, remote.out = in, in
	}
	ch := p.bidi
	if uni {
		ch = p.uni
	}
	select {
	case ch <- remote:
	default:
		return nil, errors.New("mem: too many streams")
	}
	return local, nil
}

func (c *memConn) OpenStream(ctx context.Context) (quicStream, error) { return c.open(false) }

func (c *memConn) OpenUniStream(ctx context.Context) (quicStream, error) { return c.open(true) }

func (c *memConn) accept(ctx context.Context, ch chan *memStream) (quicStream, error) {
	select {
	case s := <-ch:
		return s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.ctx.Done():
		return nil, c.link.err(c.side)
	}
}

func (c *memConn) AcceptStream(ctx context.Context) (quicStream, error) {
	return c.accept(ctx, c.bidi)
}

func (c *memConn) AcceptUniStream(ctx context.Context) (quicStream, error) {
	return c.accept(ctx, c.uni)
}

func (c *memConn) SendDatagram(b []byte) error {
	if c.maxDgram == 0 || len(b) > c.maxDgram {
		return errors.New("mem: datagram too large or not negotiated")
	}
	if err := c.link.err(c.side); err != nil {
		return err
	}
	select {
	case c.peer().dgrams <- append([]byte(nil), b...):
	default: // dropped, as the network may
	}
	return nil
}

func (c *memConn) ReceiveDatagram(ctx context.Context) ([]byte, error) {
	select {
	case d := <-c.dgrams:
		return d, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.ctx.Done():
		return nil, c.link.err(c.side)
	}
}

func (c *memConn) MaxDatagramSize() int { return c.maxDgram }

func (c *memConn) CloseWithError(code uint64, reason string) error {
	c.link.close(c.side, code, reason)
	return nil
}

func (c *memConn) Context() context.Context { return c.ctx }

func (c *memConn) ConnectionState() tls.ConnectionState {
	return tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true,
		NegotiatedProtocol: "h3", ServerName: "example.test"}
}

func (c *memConn) SmoothedRTT() time.Duration { return 0 }

func (c *memConn) LocalAddr() net.Addr  { return c.local }
func (c *memConn) RemoteAddr() net.Addr { return c.rem }

// closeCode waits for the connection to close and returns the code and
// whether it was closed by this side's peer.
func (c *memConn) closeCode(timeout time.Duration) (code uint64, closed bool) {
	select {
	case <-c.ctx.Done():
	case <-time.After(timeout):
		return 0, false
	}
	var e *memAppError
	if errors.As(c.link.err(c.side), &e) {
		return e.code, true
	}
	return 0, true
}
