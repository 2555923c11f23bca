package wt

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/peregrine-h3/peregrine/h3"
)

// closeLinger is how long a session closed here keeps reading its CONNECT
// stream for the peer's FIN before it abandons the stream. Abandoning it
// earlier would send STOP_SENDING, which Chromium reports as a lost
// connection instead of the close code (webtransport-wire.md, Section 2.3).
const closeLinger = 2 * time.Second

// acceptQueueLen bounds the incoming streams of each kind that wait for
// AcceptStream or AcceptUniStream; further ones are rejected.
const acceptQueueLen = 64

// A Session is a WebTransport session (draft-ietf-webtrans-http3): an
// extended CONNECT request stream whose streams and datagrams belong to it.
// Its methods are safe for concurrent use.
type Session struct {
	id       int64
	conn     h3.Conn
	str      *h3.Stream
	cs       *connState
	protocol string

	ctx    context.Context
	cancel context.CancelCauseFunc

	bidi chan *Stream
	uni  chan *Stream

	writeMu sync.Mutex // serialises capsule writes on str

	mu        sync.Mutex
	streams   map[*Stream]struct{}
	closed    bool // the session ended (either side)
	closeErr  *SessionError
	drainSent bool
	draining  chan struct{} // closed when the peer sent DRAIN
	drained   bool

	readerDone chan struct{} // the CONNECT stream was read to its end
	onDone     func()        // called once after readerDone, may be nil
}

func newSession(cs *connState, str *h3.Stream, protocol string) *Session {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(cs.conn.Context()))
	context.AfterFunc(cs.conn.Context(), func() { cancel(context.Cause(cs.conn.Context())) })
	return &Session{
		id:         str.StreamID(),
		conn:       cs.conn,
		str:        str,
		cs:         cs,
		protocol:   protocol,
		ctx:        ctx,
		cancel:     cancel,
		bidi:       make(chan *Stream, acceptQueueLen),
		uni:        make(chan *Stream, acceptQueueLen),
		streams:    make(map[*Stream]struct{}),
		draining:   make(chan struct{}),
		readerDone: make(chan struct{}),
	}
}

// ID returns the session ID: the stream ID of the CONNECT request.
func (s *Session) ID() int64 { return s.id }

// Protocol returns the application protocol the server chose from the
// client's WT-Available-Protocols, or "".
func (s *Session) Protocol() string { return s.protocol }

// Context is done when the session has ended; context.Cause then returns a
// *SessionError, or the connection's error.
func (s *Session) Context() context.Context { return s.ctx }

// Draining is closed when the peer sent DRAIN_WEBTRANSPORT_SESSION: it asks
// for the session to be wound down soon.
func (s *Session) Draining() <-chan struct{} { return s.draining }

// Err returns why the session ended, or nil while it is open.
func (s *Session) Err() error {
	if s.ctx.Err() == nil {
		return nil
	}
	return context.Cause(s.ctx)
}

// AcceptStream waits for the next bidirectional stream the peer opened.
func (s *Session) AcceptStream(ctx context.Context) (*Stream, error) {
	return s.accept(ctx, s.bidi)
}

// AcceptUniStream waits for the next unidirectional stream the peer opened.
func (s *Session) AcceptUniStream(ctx context.Context) (*Stream, error) {
	return s.accept(ctx, s.uni)
}

func (s *Session) accept(ctx context.Context, ch chan *Stream) (*Stream, error) {
	select {
	case st := <-ch:
		return st, nil
	default:
	}
	select {
	case st := <-ch:
		return st, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.ctx.Done():
		return nil, context.Cause(s.ctx)
	}
}

// OpenStream opens a bidirectional stream and sends its signal and session
// ID (draft-ietf-webtrans-http3, Section 4.3).
func (s *Session) OpenStream(ctx context.Context) (*Stream, error) {
	return s.open(ctx, true)
}

// OpenUniStream opens a unidirectional stream and sends its type and
// session ID (draft-ietf-webtrans-http3, Section 4.2).
func (s *Session) OpenUniStream(ctx context.Context) (*Stream, error) {
	return s.open(ctx, false)
}

func (s *Session) open(ctx context.Context, bidi bool) (*Stream, error) {
	if err := s.Err(); err != nil {
		return nil, err
	}
	var st *Stream
	hdr := appendVarint(nil, streamTypeUni)
	if bidi {
		hdr = appendVarint(nil, streamSignalBidi)
		qs, err := s.conn.OpenStream(ctx)
		if err != nil {
			return nil, err
		}
		st = &Stream{qs: qs, sess: s}
	} else {
		qs, err := s.conn.OpenUniStream(ctx)
		if err != nil {
			return nil, err
		}
		st = &Stream{qs: qs, sess: s}
	}
	hdr = appendVarint(hdr, uint64(s.id))
	if _, err := st.qs.Write(hdr); err != nil {
		st.gone()
		return nil, mapStreamError(err)
	}
	if !s.track(st) {
		return nil, context.Cause(s.ctx)
	}
	return st, nil
}

// track records a stream of the session so that it is reset when the
// session ends; it reports false, after resetting the stream, when the
// session has already ended.
func (s *Session) track(st *Stream) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		st.gone()
		return false
	}
	s.streams[st] = struct{}{}
	s.mu.Unlock()
	context.AfterFunc(st.qs.Context(), func() {
		s.mu.Lock()
		delete(s.streams, st)
		s.mu.Unlock()
	})
	return true
}

// deliver queues a stream the peer opened for AcceptStream or
// AcceptUniStream; a full queue rejects it.
func (s *Session) deliver(st *Stream, bidi bool) {
	if !s.track(st) {
		return
	}
	ch := s.uni
	if bidi {
		ch = s.bidi
	}
	select {
	case ch <- st:
	default:
		st.qs.CancelRead(errCodeBufferedStreamRejected)
		st.qs.CancelWrite(errCodeBufferedStreamRejected)
	}
}

// SendDatagram sends p as an HTTP datagram of the session (RFC 9297). It
// fails when the peers did not both enable HTTP datagrams or p does not fit
// in one QUIC packet; datagrams may be lost.
func (s *Session) SendDatagram(p []byte) error {
	if err := s.Err(); err != nil {
		return err
	}
	return s.str.SendDatagram(p)
}

// ReceiveDatagram waits for the next HTTP datagram of the session.
func (s *Session) ReceiveDatagram(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	d, err := s.str.ReceiveDatagram(ctx)
	if err != nil && s.ctx.Err() != nil {
		return nil, context.Cause(s.ctx)
	}
	return d, err
}

// CloseWithError ends the session with a code and reason: it sends
// CLOSE_WEBTRANSPORT_SESSION and a FIN on the CONNECT stream, resets the
// session's streams with WEBTRANSPORT_SESSION_GONE, and keeps reading the
// CONNECT stream until the peer's FIN or a short timeout, never sending
// STOP_SENDING before (draft-ietf-webtrans-http3, Section 6). A reason over
// 1024 bytes is cut. Closing an ended session does nothing.
func (s *Session) CloseWithError(code uint32, reason string) error {
	// End the session first so that the peer's FIN, which may come back
	// before the write returns, is not taken for the peer's own close.
	if !s.terminate(&SessionError{Code: code, Reason: reason}) {
		return nil
	}
	s.writeMu.Lock()
	_, err := s.str.Write(appendCloseCapsule(nil, code, reason))
	s.str.Close()
	s.writeMu.Unlock()
	time.AfterFunc(closeLinger, func() {
		select {
		case <-s.readerDone:
		default:
			s.str.CancelRead(h3.ErrCodeNoError)
		}
	})
	return err
}

// Drain sends DRAIN_WEBTRANSPORT_SESSION once, asking the peer to wind the
// session down (draft-ietf-webtrans-http3, Section 4.6).
func (s *Session) Drain() error {
	s.mu.Lock()
	if s.closed || s.drainSent {
		s.mu.Unlock()
		return nil
	}
	s.drainSent = true
	s.mu.Unlock()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, err := s.str.Write(h3.AppendCapsule(nil, capsuleDrainSession, nil))
	return err
}

// Wait blocks until the session has ended and its CONNECT stream has been
// wound down. A server handler that used Upgrade calls it before returning,
// since returning ends the CONNECT stream.
func (s *Session) Wait() {
	<-s.ctx.Done()
	<-s.readerDone
}

// terminate ends the session once: the context is cancelled with e, the
// streams are reset and the session leaves its connection. It reports
// whether this call ended the session.
func (s *Session) terminate(e *SessionError) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.closed = true
	s.closeErr = e
	streams := s.streams
	s.streams = nil
	s.mu.Unlock()
	s.cancel(e)
	for st := range streams {
		st.gone()
	}
	for {
		select {
		case st := <-s.bidi:
			st.gone()
			continue
		case st := <-s.uni:
			st.gone()
			continue
		default:
		}
		break
	}
	s.cs.remove(s)
	return true
}

// readCapsules reads the CONNECT stream until it ends: CLOSE and DRAIN are
// acted on, other capsules are skipped without buffering (RFC 9297,
// Section 3.2), and the end of the stream ends the session.
func (s *Session) readCapsules() {
	defer func() {
		close(s.readerDone)
		if s.onDone != nil {
			s.onDone()
		}
	}()
	cr := h3.NewCapsuleReader(s.str)
	gotClose := false
	for {
		t, n, r, err := cr.Next()
		if err == io.EOF {
			s.peerEnded(&SessionError{Remote: true})
			return
		}
		if err != nil {
			s.terminate(&SessionError{Remote: true, Reason: err.Error()})
			return
		}
		if gotClose {
			// draft-ietf-webtrans-http3, Section 6: nothing may follow.
			s.abort()
			return
		}
		switch t {
		case capsuleCloseSession:
			e, ok := readClose(n, r)
			if !ok {
				s.abort()
				return
			}
			gotClose = true
			s.peerEnded(e)
		case capsuleDrainSession:
			s.mu.Lock()
			if !s.drained {
				s.drained = true
				close(s.draining)
			}
			s.mu.Unlock()
		}
	}
}

// readClose reads a CLOSE_WEBTRANSPORT_SESSION value of n bytes.
func readClose(n uint64, r io.Reader) (*SessionError, bool) {
	if n < 4 || n > 4+maxCloseReason {
		return nil, false
	}
	v := make([]byte, n)
	if _, err := io.ReadFull(r, v); err != nil {
		return nil, false
	}
	code, reason, err := parseCloseCapsule(v)
	if err != nil {
		return nil, false
	}
	return &SessionError{Code: code, Reason: reason, Remote: true}, true
}

// peerEnded handles the peer's CLOSE capsule or FIN: the session ends and
// our side of the CONNECT stream is finished too.
func (s *Session) peerEnded(e *SessionError) {
	s.terminate(e)
	s.writeMu.Lock()
	s.str.Close()
	s.writeMu.Unlock()
}

// abort resets a CONNECT stream that carried a malformed or late capsule
// with H3_MESSAGE_ERROR.
func (s *Session) abort() {
	s.str.CancelRead(errCodeMessageError)
	s.str.CancelWrite(errCodeMessageError)
	s.terminate(&SessionError{Remote: true, Reason: "malformed CONNECT stream"})
}
