package h3

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// Our settings (RFC 9114, Section 7.2.4.1; RFC 9204, Section 5).
const (
	defaultMaxFieldSectionSize = 64 << 10
	qpackTableCapacity         = 4096
	qpackBlockedStreams        = 16
)

// conn is the HTTP/3 state of one QUIC connection shared by the server and
// the client: our control and QPACK streams, the peer's unidirectional
// streams, SETTINGS, GOAWAY and the HTTP datagram demultiplexer. Its methods
// are safe for concurrent use.
type conn struct {
	qc     quicConn
	server bool
	logger *slog.Logger
	codec  fieldCodec
	local  settings

	peerReady chan struct{} // closed when the peer's SETTINGS arrived
	peer      settings      // written once before peerReady is closed

	ctrlMu sync.Mutex
	ctrl   quicStream

	mu          sync.Mutex
	peerStreams [4]bool // control, push, encoder, decoder streams seen
	goawayID    int64   // last GOAWAY id received; -1 before any
	goaway      chan struct{}
	maxPushID   int64 // server: last MAX_PUSH_ID received; -1 before any
	flows       map[int64]*datagramFlow

	dgramsDropped atomic.Uint64
	onGoaway      func(id int64)     // client hook, called with mu not held
	hooks         connHooks          // extension points, set before start
	rawDatagram   func(Conn, []byte) // see Server.QUICDatagramHandler
}

// newConn sets up the connection state; start opens the streams.
func newConn(qc quicConn, server bool, logger *slog.Logger, maxField uint64,
	codec fieldCodec) *conn {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if maxField == 0 {
		maxField = defaultMaxFieldSectionSize
	}
	capacity, blocked := codec.localSettings()
	// A field section blocked on dynamic table inserts waits for the encoder
	// stream, which ends with the connection.
	context.AfterFunc(qc.Context(), func() { codec.fail(context.Cause(qc.Context())) })
	return &conn{
		qc:     qc,
		server: server,
		logger: logger,
		codec:  codec,
		local: settings{
			qpackMaxTableCapacity: capacity,
			qpackBlockedStreams:   blocked,
			maxFieldSectionSize:   maxField,
			enableConnectProtocol: server,
			h3Datagram:            qc.MaxDatagramSize() > 0,
		},
		peerReady: make(chan struct{}),
		goawayID:  -1,
		goaway:    make(chan struct{}),
		maxPushID: -1,
		flows:     make(map[int64]*datagramFlow),
	}
}

// start opens our control stream with SETTINGS first (RFC 9114, Section
// 6.2.1) and the QPACK streams (RFC 9204, Section 4.2), then serves the
// peer's unidirectional streams and datagrams in the background.
func (c *conn) start(ctx context.Context) error {
	ctrl, err := c.qc.OpenUniStream(ctx)
	if err != nil {
		return err
	}
	b := appendVarint(nil, streamTypeControl)
	b = appendSettingsWithExtra(b, c.local, c.hooks.extra)
	if rand.IntN(2) == 0 {
		b = appendGreaseFrame(b, rand.Uint64N(1<<16))
	}
	if _, err := ctrl.Write(b); err != nil {
		return err
	}
	c.ctrlMu.Lock()
	c.ctrl = ctrl
	c.ctrlMu.Unlock()

	enc, err := c.openTypedUni(ctx, streamTypeQPACKEncoder)
	if err != nil {
		return err
	}
	dec, err := c.openTypedUni(ctx, streamTypeQPACKDecoder)
	if err != nil {
		return err
	}
	c.codec.setStreams(enc, dec)

	go c.acceptUniStreams()
	if c.local.h3Datagram {
		go c.receiveDatagrams()
	}
	// RFC 9114, Section 6.2.3: reserved stream types keep peers tolerant.
	if rand.IntN(4) == 0 {
		go c.sendGreaseStream(ctx)
	}
	return nil
}

func (c *conn) openTypedUni(ctx context.Context, typ uint64) (quicStream, error) {
	s, err := c.qc.OpenUniStream(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.Write(appendVarint(nil, typ)); err != nil {
		return nil, err
	}
	return s, nil
}

func (c *conn) sendGreaseStream(ctx context.Context) {
	s, err := c.openTypedUni(ctx, greaseValue(rand.Uint64N(1<<16)))
	if err != nil {
		return
	}
	s.Write([]byte("grease"))
	s.Close()
}

// fail closes the connection when err is a local connection error, and
// reports whether it did.
func (c *conn) fail(err error) bool {
	e, ok := asLocalError(err)
	if !ok || e.Stream {
		return false
	}
	c.closeWithError(e.Code, e.Reason)
	return true
}

func (c *conn) closeWithError(code ErrCode, reason string) {
	if code != ErrCodeNoError {
		c.logger.Warn("h3: closing connection", "code", code, "reason", reason,
			"remote", c.qc.RemoteAddr())
	}
	c.qc.CloseWithError(uint64(code), reason)
}

// writeControl writes frames on our control stream.
func (c *conn) writeControl(b []byte) error {
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	if c.ctrl == nil {
		return errors.New("h3: control stream not open")
	}
	_, err := c.ctrl.Write(b)
	return err
}

// peerSettings waits for the peer's SETTINGS frame.
func (c *conn) peerSettings(ctx context.Context) (settings, error) {
	select {
	case <-c.peerReady:
		return c.peer, nil
	case <-ctx.Done():
		return settings{}, ctx.Err()
	case <-c.qc.Context().Done():
		return settings{}, context.Cause(c.qc.Context())
	}
}

// datagramsEnabled reports whether both sides sent SETTINGS_H3_DATAGRAM=1,
// which RFC 9297, Section 2.1.1 requires before sending any.
func (c *conn) datagramsEnabled() bool {
	select {
	case <-c.peerReady:
		return c.local.h3Datagram && c.peer.h3Datagram
	default:
		return false
	}
}

func (c *conn) acceptUniStreams() {
	ctx := c.qc.Context()
	for {
		s, err := c.qc.AcceptUniStream(ctx)
		if err != nil {
			return
		}
		go c.handleUniStream(s)
	}
}

// handleUniStream reads the stream type and serves the stream until it ends
// (RFC 9114, Section 6.2).
func (c *conn) handleUniStream(s quicStream) {
	typ, _, err := readStreamVarint(s)
	if err != nil {
		return // The stream was reset or ended before its type: ignore it.
	}
	if typ > streamTypeQPACKDecoder {
		// RFC 9114, Section 6.2: unknown types are aborted, never a
		// connection error, unless an extension takes them.
		if !c.hijackUni(typ, s) {
			s.CancelRead(uint64(ErrCodeStreamCreationError))
		}
		return
	}
	br := bufio.NewReaderSize(s, 4096)
	if typ == streamTypePush {
		if c.server {
			// RFC 9114, Section 6.2.2: only servers push.
			c.closeWithError(ErrCodeStreamCreationError, "push stream from a client")
		} else {
			// RFC 9114, Section 4.6: we never sent MAX_PUSH_ID.
			c.closeWithError(ErrCodeIDError, "push stream without MAX_PUSH_ID")
		}
		return
	}
	c.mu.Lock()
	dup := c.peerStreams[typ]
	c.peerStreams[typ] = true
	c.mu.Unlock()
	if dup {
		// RFC 9114, Section 6.2.1 and RFC 9204, Section 4.2: one of each.
		c.closeWithError(ErrCodeStreamCreationError, "second critical stream")
		return
	}
	switch typ {
	case streamTypeControl:
		err = c.readControl(newFrameReader(br))
	case streamTypeQPACKEncoder:
		err = c.codec.readEncoderStream(br)
	case streamTypeQPACKDecoder:
		err = c.codec.readDecoderStream(br)
	}
	if c.fail(err) || c.qc.Context().Err() != nil {
		return
	}
	// RFC 9114, Section 6.2.1: closing a critical stream is a connection
	// error.
	c.closeWithError(ErrCodeClosedCriticalStream, "critical stream closed")
}

// readControl serves the peer's control stream. It returns only with an
// error: a connection error to close with, or the stream's end.
func (c *conn) readControl(fr *frameReader) error {
	t, _, err := fr.next()
	if err != nil {
		return controlReadError(err)
	}
	if t != frameSettings {
		// RFC 9114, Section 6.2.1.
		return connError(ErrCodeMissingSettings, "first control frame is %v", t)
	}
	p, err := fr.readPayload(maxSettingsPayload)
	if err != nil {
		return controlReadError(err)
	}
	s, err := parseSettings(p)
	if err != nil {
		return err
	}
	if s.h3Datagram && c.qc.MaxDatagramSize() == 0 {
		// RFC 9297, Section 2.1.1: H3_DATAGRAM needs QUIC DATAGRAM frames.
		return connError(ErrCodeSettingsError, "H3_DATAGRAM without QUIC datagrams")
	}
	c.peer = s
	c.hooks.peerAll = allSettings(p)
	c.codec.setPeerSettings(s.qpackMaxTableCapacity, s.qpackBlockedStreams)
	close(c.peerReady)
	for {
		t, _, err := fr.nextKnown()
		if err != nil {
			return controlReadError(err)
		}
		if err := c.handleControlFrame(fr, t); err != nil {
			return err
		}
	}
}

// controlReadError maps a read error on the control stream: a truncated
// frame is H3_FRAME_ERROR, and any end of the stream is reported by the
// caller as H3_CLOSED_CRITICAL_STREAM.
func controlReadError(err error) error {
	switch err {
	case errFrameTruncated:
		return connError(ErrCodeFrameError, "truncated frame on the control stream")
	case errFrameTooLarge:
		return connError(ErrCodeExcessiveLoad, "oversized frame on the control stream")
	}
	return err
}

func (c *conn) handleControlFrame(fr *frameReader, t frameType) error {
	switch t {
	case frameSettings:
		// RFC 9114, Section 7.2.4.
		return connError(ErrCodeFrameUnexpected, "second SETTINGS frame")
	case frameGoaway, frameCancelPush, frameMaxPushID:
	default:
		// DATA, HEADERS, PUSH_PROMISE and HTTP/2 frames
		// (RFC 9114, Sections 7.2.1, 7.2.2, 7.2.5 and 7.2.8).
		return connError(ErrCodeFrameUnexpected, "%v frame on the control stream", t)
	}
	p, err := fr.readPayload(8)
	if err != nil {
		if err == errFrameTooLarge {
			return connError(ErrCodeFrameError, "oversized %v frame", t)
		}
		return controlReadError(err)
	}
	v, err := parseSingleVarint(t, p)
	if err != nil {
		return err
	}
	switch t {
	case frameGoaway:
		return c.handleGoaway(int64(v))
	case frameMaxPushID:
		return c.handleMaxPushID(int64(v))
	}
	// CANCEL_PUSH: a client cancels a push ID up to its MAX_PUSH_ID; a
	// server never promised anything, and we never sent MAX_PUSH_ID
	// (RFC 9114, Section 7.2.3).
	c.mu.Lock()
	max := c.maxPushID
	c.mu.Unlock()
	if !c.server || int64(v) > max {
		return connError(ErrCodeIDError, "CANCEL_PUSH for push ID %d", v)
	}
	return nil
}

func (c *conn) handleMaxPushID(id int64) error {
	if !c.server {
		// RFC 9114, Section 7.2.7.
		return connError(ErrCodeFrameUnexpected, "MAX_PUSH_ID from a server")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if id < c.maxPushID {
		return connError(ErrCodeIDError, "MAX_PUSH_ID decreased")
	}
	c.maxPushID = id
	return nil
}

// handleGoaway records a GOAWAY (RFC 9114, Section 5.2): from a server it
// carries a client-initiated bidirectional stream ID, and it never grows.
func (c *conn) handleGoaway(id int64) error {
	if !c.server && !isClientBidi(id) {
		return connError(ErrCodeIDError, "GOAWAY with stream ID %d", id)
	}
	c.mu.Lock()
	if c.goawayID >= 0 && id > c.goawayID {
		c.mu.Unlock()
		return connError(ErrCodeIDError, "GOAWAY ID grew from %d to %d", c.goawayID, id)
	}
	first := c.goawayID < 0
	c.goawayID = id
	c.mu.Unlock()
	if first {
		close(c.goaway)
	}
	if c.onGoaway != nil {
		c.onGoaway(id)
	}
	return nil
}

// goawayLimit returns the stream ID from the peer's last GOAWAY, or -1.
func (c *conn) goawayLimit() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.goawayID
}

// sendGoaway sends a GOAWAY frame with id.
func (c *conn) sendGoaway(id int64) error {
	return c.writeControl(appendGoaway(nil, uint64(id)))
}
