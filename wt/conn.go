package wt

import (
	"sync"
	"time"

	"github.com/peregrine-h3/peregrine/h3"
	"github.com/peregrine-h3/peregrine/quic"
)

// Defaults of the limits on one connection.
const (
	defaultMaxSessions    = 16
	defaultPendingStreams = 16
	defaultPendingTimeout = 500 * time.Millisecond
)

// limits bound the sessions of a connection and the streams that arrive
// before their session is known.
type limits struct {
	maxSessions    int
	pendingStreams int
	pendingTimeout time.Duration
}

func (l limits) withDefaults() limits {
	if l.maxSessions <= 0 {
		l.maxSessions = defaultMaxSessions
	}
	if l.pendingStreams <= 0 {
		l.pendingStreams = defaultPendingStreams
	}
	if l.pendingTimeout <= 0 {
		l.pendingTimeout = defaultPendingTimeout
	}
	return l
}

// A registry holds the WebTransport state of every HTTP/3 connection of a
// Server or Dialer and implements the h3 stream hijackers. It is safe for
// concurrent use.
type registry struct {
	limits limits

	mu    sync.Mutex
	conns map[h3.Conn]*connState
}

func newRegistry(l limits) *registry {
	return &registry{limits: l.withDefaults(), conns: make(map[h3.Conn]*connState)}
}

// get returns the state of c, creating it on first use; it is forgotten
// when the connection ends.
func (r *registry) get(c h3.Conn) *connState {
	r.mu.Lock()
	defer r.mu.Unlock()
	cs := r.conns[c]
	if cs == nil {
		cs = &connState{r: r, conn: c, sessions: make(map[int64]*Session)}
		r.conns[c] = cs
		done := c.Context().Done()
		go func() {
			<-done
			r.mu.Lock()
			delete(r.conns, c)
			r.mu.Unlock()
			cs.rejectPending()
		}()
	}
	return cs
}

// sessions returns every open session.
func (r *registry) sessions() []*Session {
	r.mu.Lock()
	conns := make([]*connState, 0, len(r.conns))
	for _, cs := range r.conns {
		conns = append(conns, cs)
	}
	r.mu.Unlock()
	var all []*Session
	for _, cs := range conns {
		cs.mu.Lock()
		for _, s := range cs.sessions {
			all = append(all, s)
		}
		cs.mu.Unlock()
	}
	return all
}

// hijackBidi takes bidirectional streams that start with WEBTRANSPORT_STREAM
// (draft-ietf-webtrans-http3, Section 4.3).
func (r *registry) hijackBidi(c h3.Conn, signal uint64, qs *quic.Stream) bool {
	if signal != streamSignalBidi {
		return false
	}
	go r.get(c).incoming(qs, true)
	return true
}

// hijackUni takes unidirectional streams of type 0x54
// (draft-ietf-webtrans-http3, Section 4.2).
func (r *registry) hijackUni(c h3.Conn, typ uint64, qs *quic.Stream) bool {
	if typ != streamTypeUni {
		return false
	}
	go r.get(c).incoming(qs, false)
	return true
}

// A connState is the WebTransport state of one HTTP/3 connection: its
// sessions and the streams waiting for a session. It is safe for concurrent
// use.
type connState struct {
	r    *registry
	conn h3.Conn

	mu       sync.Mutex
	sessions map[int64]*Session
	pending  []*pendingStream
	closed   bool
}

// A pendingStream arrived before its session was known.
type pendingStream struct {
	sessionID int64
	st        *Stream
	bidi      bool
	timer     *time.Timer
}

// incoming reads the session ID of a hijacked stream and hands the stream to
// its session, or buffers it for a short time when the session is not known
// yet (draft-ietf-webtrans-http3, Section 4.5).
func (cs *connState) incoming(qs *quic.Stream, bidi bool) {
	// A peer that never sends the session ID must not hold the stream.
	qs.SetReadDeadline(time.Now().Add(cs.r.limits.pendingTimeout))
	id, err := readVarint(qs)
	qs.SetReadDeadline(time.Time{})
	if err != nil {
		rejectStream(qs, errCodeBufferedStreamRejected)
		return
	}
	if id&3 != 0 || id >= 1<<62 {
		// Session IDs are client-initiated bidirectional stream IDs
		// (draft-ietf-webtrans-http3, Section 4.2).
		cs.conn.CloseWithError(h3.ErrCodeIDError, "WebTransport stream with invalid session ID")
		return
	}
	st := &Stream{qs: qs}
	cs.mu.Lock()
	if s := cs.sessions[int64(id)]; s != nil {
		cs.mu.Unlock()
		st.sess = s
		s.deliver(st, bidi)
		return
	}
	if cs.closed || len(cs.pending) >= cs.r.limits.pendingStreams {
		cs.mu.Unlock()
		rejectStream(qs, errCodeBufferedStreamRejected)
		return
	}
	p := &pendingStream{sessionID: int64(id), st: st, bidi: bidi}
	p.timer = time.AfterFunc(cs.r.limits.pendingTimeout, func() { cs.expire(p) })
	cs.pending = append(cs.pending, p)
	cs.mu.Unlock()
}

// expire rejects a buffered stream whose session did not appear in time.
func (cs *connState) expire(p *pendingStream) {
	cs.mu.Lock()
	found := cs.takePending(p)
	cs.mu.Unlock()
	if found {
		rejectStream(p.st.qs, errCodeBufferedStreamRejected)
	}
}

// takePending removes p from the buffer; cs.mu must be held.
func (cs *connState) takePending(p *pendingStream) bool {
	for i, q := range cs.pending {
		if q == p {
			cs.pending = append(cs.pending[:i], cs.pending[i+1:]...)
			return true
		}
	}
	return false
}

// rejectPending rejects every buffered stream once the connection ended.
func (cs *connState) rejectPending() {
	cs.mu.Lock()
	cs.closed = true
	pending := cs.pending
	cs.pending = nil
	cs.mu.Unlock()
	for _, p := range pending {
		p.timer.Stop()
		rejectStream(p.st.qs, errCodeBufferedStreamRejected)
	}
}

// full reports whether the connection has no room for another session.
func (cs *connState) full() bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.sessions) >= cs.r.limits.maxSessions
}

// add registers a session and hands it the streams that were waiting for
// it.
func (cs *connState) add(s *Session) {
	cs.mu.Lock()
	cs.sessions[s.id] = s
	var mine []*pendingStream
	kept := cs.pending[:0]
	for _, p := range cs.pending {
		if p.sessionID == s.id {
			mine = append(mine, p)
		} else {
			kept = append(kept, p)
		}
	}
	cs.pending = kept
	cs.mu.Unlock()
	for _, p := range mine {
		p.timer.Stop()
		p.st.sess = s
		s.deliver(p.st, p.bidi)
	}
}

// remove forgets an ended session.
func (cs *connState) remove(s *Session) {
	cs.mu.Lock()
	if cs.sessions[s.id] == s {
		delete(cs.sessions, s.id)
	}
	cs.mu.Unlock()
}

func rejectStream(qs *quic.Stream, code uint64) {
	qs.CancelRead(code)
	qs.CancelWrite(code)
}
