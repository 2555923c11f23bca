package h3

import (
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"

	"github.com/peregrine-h3/peregrine/quic"
)

// This file holds the extension points that protocols layered on HTTP/3,
// such as WebTransport, need: extra SETTINGS, the peer's SETTINGS, and
// streams that begin with a value this package does not know handed to the
// extension instead of being refused.

// A Conn is a handle to one HTTP/3 connection, given to stream hijackers and
// returned by Stream.Conn. Conn values are comparable: two are equal when
// they name the same connection, so a Conn may key a map. The zero Conn
// names no connection and must not be used. Its methods are safe for
// concurrent use.
type Conn struct{ c *conn }

// QUICConn returns the QUIC connection, or nil when the connection does not
// run over package quic.
func (c Conn) QUICConn() *quic.Conn {
	if a, ok := c.c.qc.(quicAdapter); ok {
		return a.Conn
	}
	return nil
}

// Context is done when the connection has ended.
func (c Conn) Context() context.Context { return c.c.qc.Context() }

// IsServer reports whether this side of the connection is the server.
func (c Conn) IsServer() bool { return c.c.server }

// DatagramsEnabled reports whether both sides sent SETTINGS_H3_DATAGRAM=1,
// so that HTTP datagrams may be sent (RFC 9297, Section 2.1.1). It is false
// until the peer's SETTINGS arrived.
func (c Conn) DatagramsEnabled() bool { return c.c.datagramsEnabled() }

// PeerSettings waits for the peer's SETTINGS frame and returns every setting
// in it by identifier, unknown ones included. The map is shared: do not
// modify it.
func (c Conn) PeerSettings(ctx context.Context) (map[uint64]uint64, error) {
	if _, err := c.c.peerSettings(ctx); err != nil {
		return nil, err
	}
	return c.c.hooks.peerAll, nil
}

// OpenStream opens a bidirectional QUIC stream on the connection, for an
// extension that writes its own stream signal first.
func (c Conn) OpenStream(ctx context.Context) (*quic.Stream, error) {
	qs, err := c.c.qc.OpenStream(ctx)
	if err != nil {
		return nil, err
	}
	return asQUICStream(qs)
}

// OpenUniStream opens a unidirectional QUIC stream on the connection, for an
// extension that writes its own stream type first.
func (c Conn) OpenUniStream(ctx context.Context) (*quic.Stream, error) {
	qs, err := c.c.qc.OpenUniStream(ctx)
	if err != nil {
		return nil, err
	}
	return asQUICStream(qs)
}

// CloseWithError closes the connection with an HTTP/3 error code.
func (c Conn) CloseWithError(code ErrCode, reason string) {
	c.c.closeWithError(code, reason)
}

var errNotQUIC = errors.New("h3: connection does not run over package quic")

func asQUICStream(qs quicStream) (*quic.Stream, error) {
	s, ok := qs.(*quic.Stream)
	if !ok {
		qs.CancelWrite(uint64(ErrCodeInternalError))
		qs.CancelRead(uint64(ErrCodeInternalError))
		return nil, errNotQUIC
	}
	return s, nil
}

// ResponseConn returns the connection of the request that w answers, when w
// is (or wraps, through an Unwrap() http.ResponseWriter method) the
// ResponseWriter of this package's Server.
func ResponseConn(w http.ResponseWriter) (Conn, bool) {
	for range 16 {
		switch rw := w.(type) {
		case *responseWriter:
			return Conn{rw.sc.c}, true
		case interface{ Unwrap() http.ResponseWriter }:
			w = rw.Unwrap()
		default:
			return Conn{}, false
		}
	}
	return Conn{}, false
}

// Conn returns the connection that carries the stream.
func (s *Stream) Conn() Conn { return Conn{s.c} }

// A StreamHijacker takes over a bidirectional stream whose first varint is
// signal, a value that is not an HTTP/3 frame type this package handles
// (for example 0x41, WEBTRANSPORT_STREAM). The signal has been read from s;
// the rest of the stream is the hijacker's. It reports whether it took the
// stream; if not, the stream is treated as HTTP/3 would treat it. It is
// called on the stream's own goroutine and should return promptly.
type StreamHijacker func(c Conn, signal uint64, s *quic.Stream) bool

// A UniStreamHijacker takes over a unidirectional stream of a type this
// package does not know (RFC 9114, Section 6.2), such as 0x54 for
// WebTransport. The type has been read from s. It reports whether it took
// the stream; if not, the stream is aborted with H3_STREAM_CREATION_ERROR as
// usual. It should return promptly.
type UniStreamHijacker func(c Conn, streamType uint64, s *quic.Stream) bool

// connHooks are the extension points of one connection.
type connHooks struct {
	bidi    StreamHijacker
	uni     UniStreamHijacker
	extra   map[uint64]uint64 // additional settings we send
	peerAll map[uint64]uint64 // the peer's settings, written before peerReady
}

// setHooks installs the extension points and the additional SETTINGS; call
// it before start.
func (c *conn) setHooks(bidi StreamHijacker, uni UniStreamHijacker, extra map[uint64]uint64) {
	c.hooks = connHooks{bidi: bidi, uni: uni, extra: maps.Clone(extra)}
}

// appendSettingsWithExtra appends our SETTINGS frame with the additional
// settings added in identifier order. Additional settings never replace the
// ones this package sends itself, and reserved HTTP/2 ones are left out.
func appendSettingsWithExtra(b []byte, s settings, extra map[uint64]uint64) []byte {
	if len(extra) == 0 {
		return appendSettingsFrame(b, s)
	}
	f := appendSettingsFrame(nil, s)
	_, n := parseVarint(f)
	_, m := parseVarint(f[n:])
	p := f[n+m:]
	for _, id := range slices.Sorted(maps.Keys(extra)) {
		switch {
		case isHTTP2Setting(id), id == settingQPACKMaxTableCapacity,
			id == settingQPACKBlockedStreams, id == settingMaxFieldSectionSize,
			id == settingEnableConnectProtocol, id == settingH3Datagram:
			continue
		}
		p = appendVarint(appendVarint(p, id), extra[id])
	}
	b = appendFrameHeader(b, frameSettings, uint64(len(p)))
	return append(b, p...)
}

// allSettings returns every pair of a SETTINGS payload that parseSettings
// accepted, by identifier.
func allSettings(p []byte) map[uint64]uint64 {
	all := make(map[uint64]uint64, 8)
	for len(p) > 0 {
		id, n := parseVarint(p)
		if n == 0 {
			break
		}
		v, m := parseVarint(p[n:])
		if m == 0 {
			break
		}
		p = p[n+m:]
		all[id] = v
	}
	return all
}

// hijackUni offers a unidirectional stream of unknown type to the hook and
// reports whether it was taken.
func (c *conn) hijackUni(typ uint64, qs quicStream) bool {
	s, ok := qs.(*quic.Stream)
	if c.hooks.uni == nil || !ok {
		return false
	}
	return c.hooks.uni(Conn{c}, typ, s)
}

// maybeHijackBidi reads the first varint of a bidirectional stream when a
// StreamHijacker is installed and offers the stream to it. It returns the
// stream to serve as HTTP/3 (with the varint put back), or done when there
// is nothing left to do with the stream.
func (c *conn) maybeHijackBidi(qs quicStream) (_ quicStream, done bool) {
	s, ok := qs.(*quic.Stream)
	if c.hooks.bidi == nil || !ok {
		return qs, false
	}
	v, raw, err := readStreamVarint(qs)
	if err != nil {
		if len(raw) == 0 && err == io.EOF {
			return qs, false // Let the request parser report the empty stream.
		}
		qs.CancelRead(uint64(ErrCodeRequestIncomplete))
		qs.CancelWrite(uint64(ErrCodeRequestIncomplete))
		return qs, true
	}
	if !frameType(v).isKnown() && c.hooks.bidi(Conn{c}, v, s) {
		return qs, true
	}
	return &prefixStream{quicStream: qs, prefix: raw}, false
}

// readStreamVarint reads one varint from r a byte at a time, so that nothing
// after it is consumed, and returns its encoding too.
func readStreamVarint(r io.Reader) (uint64, []byte, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:1]); err != nil {
		return 0, nil, err
	}
	n := 1 << (b[0] >> 6)
	if _, err := io.ReadFull(r, b[1:n]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, b[:1], err
	}
	v, _ := parseVarint(b[:n])
	return v, slices.Clone(b[:n]), nil
}

// A prefixStream replays bytes already read from a stream before reading
// on. It is used by one goroutine, like the stream's reader.
type prefixStream struct {
	quicStream
	prefix []byte
}

func (p *prefixStream) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.quicStream.Read(b)
}

// acceptServerStreams serves server-initiated bidirectional streams on a
// client connection: each is offered to the StreamHijacker, and any stream
// it does not take is H3_STREAM_CREATION_ERROR (RFC 9114, Section 6.1).
func (cc *clientConn) acceptServerStreams() {
	ctx := cc.c.qc.Context()
	for {
		qs, err := cc.c.qc.AcceptStream(ctx)
		if err != nil {
			return
		}
		if cc.c.hooks.bidi == nil {
			cc.c.closeWithError(ErrCodeStreamCreationError,
				"server-initiated bidirectional stream")
			return
		}
		go func() {
			if _, done := cc.c.maybeHijackBidi(qs); !done {
				cc.c.closeWithError(ErrCodeStreamCreationError,
					"server-initiated bidirectional stream")
			}
		}()
	}
}
