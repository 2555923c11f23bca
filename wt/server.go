package wt

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peregrine-h3/peregrine/h3"
)

// defaultDrainTimeout is how long sessions may wind down after DRAIN when
// the HTTP/3 server shuts down.
const defaultDrainTimeout = time.Second

// A Server accepts WebTransport sessions on an h3.Server. Set its fields,
// call Configure with the h3.Server before it serves, and answer extended
// CONNECT requests with Upgrade or Handler. Its methods are safe for
// concurrent use.
type Server struct {
	// CheckOrigin, if set, decides whether a request's Origin header is
	// acceptable; a false answer gives 403. Nil accepts any origin.
	CheckOrigin func(r *http.Request) bool

	// Protocols lists the application protocols the server speaks, most
	// preferred first; the first one the client offered in
	// WT-Available-Protocols is answered in WT-Protocol.
	Protocols []string

	// MaxSessions bounds the sessions of one connection; more get 429. It is
	// advertised as SETTINGS_WT_MAX_SESSIONS. Zero means 16.
	MaxSessions int

	// MaxPendingStreams bounds the streams of one connection that may wait
	// for a session that is not known yet; PendingTimeout bounds the wait.
	// Streams beyond either are reset with
	// WEBTRANSPORT_BUFFERED_STREAM_REJECTED. Zero means 16 and 500ms.
	MaxPendingStreams int
	PendingTimeout    time.Duration

	// DrainTimeout is how long sessions have, after the
	// DRAIN_WEBTRANSPORT_SESSION that h3.Server.Shutdown makes us send,
	// before they are closed. Zero means one second.
	DrainTimeout time.Duration

	// Logger receives session errors at Debug level; nil discards.
	Logger *slog.Logger

	once     sync.Once
	reg      *registry
	draining atomic.Bool // the h3.Server is shutting down
}

func (s *Server) registry() *registry {
	s.once.Do(func() {
		s.reg = newRegistry(limits{
			maxSessions:    s.MaxSessions,
			pendingStreams: s.MaxPendingStreams,
			pendingTimeout: s.PendingTimeout,
		})
	})
	return s.reg
}

// Configure prepares h to carry WebTransport: it adds the SETTINGS that
// Chromium (draft-02), Safari and current drafts need, takes WebTransport
// streams, and drains sessions when h shuts down. The QUIC endpoint under h
// must enable datagrams (quic.Config.EnableDatagrams) and should enable
// reliable resets (quic.Config.EnableResetStreamAt): webtransport-go clients
// refuse a server without them.
func (s *Server) Configure(h *h3.Server) {
	reg := s.registry()
	if h.AdditionalSettings == nil {
		h.AdditionalSettings = make(map[uint64]uint64, 3)
	}
	for id, v := range serverSettings(reg.limits.maxSessions) {
		h.AdditionalSettings[id] = v
	}
	h.StreamHijacker = reg.hijackBidi
	h.UniStreamHijacker = reg.hijackUni
	h.RegisterOnShutdown(s.drainAll)
}

// serverSettings returns the SETTINGS that let every known client in
// (webtransport-wire.md, Section 6): draft-02 for Chromium, WT_MAX_SESSIONS
// for Safari, WT_ENABLED for webtransport-go.
func serverSettings(maxSessions int) map[uint64]uint64 {
	return map[uint64]uint64{
		settingEnableWebTransport: 1,
		settingWTMaxSessions:      uint64(maxSessions),
		settingWTEnabled:          1,
	}
}

// drainAll sends DRAIN to every session and closes those still open after
// DrainTimeout.
func (s *Server) drainAll() {
	// Set the flag first: a session that Upgrade adds meanwhile is then
	// either in the list below or drained by Upgrade itself.
	s.draining.Store(true)
	for _, sess := range s.registry().sessions() {
		s.drain(sess)
	}
}

// drain sends DRAIN and closes the session after DrainTimeout; calling it
// twice for a session does no harm.
func (s *Server) drain(sess *Session) {
	timeout := s.DrainTimeout
	if timeout <= 0 {
		timeout = defaultDrainTimeout
	}
	sess.Drain()
	time.AfterFunc(timeout, func() { sess.CloseWithError(0, "server shutting down") })
}

// Errors returned by Upgrade; the request has been answered with the
// status given.
var (
	ErrNotWebTransport  = errors.New("wt: not a WebTransport extended CONNECT request (400)")
	ErrOriginNotAllowed = errors.New("wt: origin not allowed (403)")
	ErrTooManySessions  = errors.New("wt: too many sessions on the connection (429)")
	ErrNotHTTP3         = errors.New("wt: response writer is not from h3.Server (500)")
)

// IsWebTransport reports whether r is an extended CONNECT request for
// WebTransport (`:protocol` "webtransport" or "webtransport-h3").
func IsWebTransport(r *http.Request) bool {
	if r.Method != http.MethodConnect {
		return false
	}
	p := r.Header.Get(":protocol")
	return p == "webtransport" || p == "webtransport-h3"
}

// Upgrade accepts a WebTransport extended CONNECT request: it checks the
// protocol, the origin and the session limit, answers 200 (with WT-Protocol
// when a protocol was chosen) and returns the session. On failure it has
// answered with an error status and returns an error. The handler must not
// return before the session ends: call Session.Wait last.
func (s *Server) Upgrade(w http.ResponseWriter, r *http.Request) (*Session, error) {
	if !IsWebTransport(r) {
		http.Error(w, "WebTransport extended CONNECT expected", http.StatusBadRequest)
		return nil, ErrNotWebTransport
	}
	if s.CheckOrigin != nil && !s.CheckOrigin(r) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return nil, ErrOriginNotAllowed
	}
	hs, ok := findStreamer(w)
	c, ok2 := h3.ResponseConn(w)
	if !ok || !ok2 {
		http.Error(w, "not HTTP/3", http.StatusInternalServerError)
		return nil, ErrNotHTTP3
	}
	cs := s.registry().get(c)
	if cs.full() {
		http.Error(w, "too many WebTransport sessions", http.StatusTooManyRequests)
		return nil, ErrTooManySessions
	}
	protocol := chooseProtocol(s.Protocols, r.Header.Values("Wt-Available-Protocols"))
	if protocol != "" {
		w.Header().Set("Wt-Protocol", strconv.Quote(protocol))
	}
	if r.Header.Get("Sec-Webtransport-Http3-Draft02") == "1" {
		// draft-ietf-webtrans-http3-02, Section 3.3.
		w.Header().Set("Sec-Webtransport-Http3-Draft", "draft02")
	}
	w.WriteHeader(http.StatusOK)
	sess := newSession(cs, hs.HTTPStream(), protocol)
	cs.add(sess)
	go sess.readCapsules()
	if s.draining.Load() {
		s.drain(sess)
	}
	return sess, nil
}

// Handler returns an http.Handler that upgrades each request and runs fn
// with the session. After fn returns, the handler waits until the session
// has ended; call Session.CloseWithError in fn to end it.
func (s *Server) Handler(fn func(*Session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.Upgrade(w, r)
		if err != nil {
			s.logger().Debug("wt: upgrade failed", "err", err, "remote", r.RemoteAddr)
			return
		}
		fn(sess)
		sess.Wait()
	})
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// chooseProtocol returns the first of ours that the client offered in
// WT-Available-Protocols, a Structured Fields list of strings (RFC 9651);
// tokens that are not strings are ignored.
func chooseProtocol(ours []string, fields []string) string {
	if len(ours) == 0 {
		return ""
	}
	offered := make(map[string]bool)
	for _, f := range fields {
		for _, item := range strings.Split(f, ",") {
			item = strings.TrimSpace(item)
			if i := strings.IndexByte(item, ';'); i >= 0 {
				item = strings.TrimSpace(item[:i]) // parameters
			}
			if v, err := strconv.Unquote(item); err == nil && strings.HasPrefix(item, `"`) {
				offered[v] = true
			}
		}
	}
	for _, p := range ours {
		if offered[p] {
			return p
		}
	}
	return ""
}

// findStreamer finds the h3.HTTPStreamer behind w and any wrappers that
// offer Unwrap, as http.ResponseController does.
func findStreamer(w http.ResponseWriter) (h3.HTTPStreamer, bool) {
	for range 16 {
		if hs, ok := w.(h3.HTTPStreamer); ok {
			return hs, true
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil, false
		}
		w = u.Unwrap()
	}
	return nil, false
}
