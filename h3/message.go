package h3

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
)

// A msgReader reads one HTTP message from a request stream: the header
// section, then the body from DATA frames, then an optional trailer section
// (RFC 9114, Section 4.1). It enforces the frame order and the declared
// content length. It is not safe for concurrent use; the mutex only guards
// the sticky error against close.
type msgReader struct {
	c      *conn
	s      quicStream
	fr     *frameReader
	inData bool  // the current frame is DATA
	cl     int64 // declared content length, or -1
	n      int64 // body bytes read so far

	// onTrailers receives the trailer section; it may be nil.
	onTrailers func(http.Header)

	rmu      sync.Mutex // held while reading; guards fr against release
	released bool

	mu  sync.Mutex
	err error // sticky: io.EOF after a complete message, or the failure
}

// errReaderReleased is returned by reads after the stream was abandoned.
var errReaderReleased = errors.New("h3: read after the message was abandoned")

func newMsgReader(c *conn, s quicStream) *msgReader {
	return &msgReader{c: c, s: s, fr: newPooledFrameReader(s), cl: -1}
}

// release recycles the read buffer. Call it once the message was read to the
// end, or after CancelRead so that a concurrent Read returns first; later
// reads fail.
func (m *msgReader) release() {
	m.rmu.Lock()
	defer m.rmu.Unlock()
	if !m.released {
		m.released = true
		m.fr.release()
	}
}

// readFields reads the next HEADERS frame and decodes its field section.
// Unknown frames are skipped; DATA and frames that do not belong on a
// request stream are connection errors (RFC 9114, Section 4.1).
func (m *msgReader) readFields(ctx context.Context) ([]hfield, error) {
	m.rmu.Lock()
	defer m.rmu.Unlock()
	if m.released {
		return nil, errReaderReleased
	}
	t, _, err := m.fr.nextKnown()
	if err != nil {
		if err == io.EOF {
			return nil, streamError(ErrCodeRequestIncomplete, "stream ended before HEADERS")
		}
		return nil, m.frameError(err)
	}
	if t != frameHeaders {
		return nil, m.unexpected(t)
	}
	return m.decodeSection(ctx)
}

// decodeSection reads the payload of the current HEADERS frame, bounded by
// our SETTINGS_MAX_FIELD_SECTION_SIZE, and decodes it.
func (m *msgReader) decodeSection(ctx context.Context) ([]hfield, error) {
	limit := m.c.local.maxFieldSectionSize
	p, err := m.fr.readPayload(limit)
	if err == errFrameTooLarge {
		if err := m.fr.skip(); err != nil {
			return nil, m.frameError(err)
		}
		m.c.codec.cancelStream(m.s.ID())
		return nil, errFieldSectionTooLarge
	}
	if err != nil {
		return nil, m.frameError(err)
	}
	return m.c.codec.decode(ctx, m.s.ID(), p, limit)
}

// unexpected returns the error for a frame of type t where HEADERS or DATA
// belong.
func (m *msgReader) unexpected(t frameType) error {
	if t == framePushPromise && !m.c.server {
		// RFC 9114, Section 7.2.5: we never sent MAX_PUSH_ID.
		return connError(ErrCodeIDError, "PUSH_PROMISE without MAX_PUSH_ID")
	}
	// RFC 9114, Sections 4.1 and 7.2.
	return connError(ErrCodeFrameUnexpected, "%v frame on a request stream", t)
}

// frameError maps frame reader errors: a frame cut short by the end of the
// stream is H3_FRAME_ERROR (RFC 9114, Section 7.1); other errors are
// the stream's own (reset, connection closed).
func (m *msgReader) frameError(err error) error {
	if err == errFrameTruncated {
		return connError(ErrCodeFrameError, "stream ended inside a frame")
	}
	return err
}

// Read reads body bytes from DATA frames.
func (m *msgReader) Read(p []byte) (int, error) {
	m.mu.Lock()
	err := m.err
	m.mu.Unlock()
	if err != nil {
		return 0, err
	}
	m.rmu.Lock()
	var n int
	if m.released {
		err = errReaderReleased
	} else {
		n, err = m.read(p)
	}
	m.rmu.Unlock()
	if err != nil {
		err = m.setErr(err)
	}
	return n, err
}

func (m *msgReader) read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if m.inData && m.fr.remaining > 0 {
			n, err := m.fr.readData(p)
			m.n += int64(n)
			if err != nil {
				return n, m.frameError(err)
			}
			return n, nil
		}
		m.inData = false
		t, length, err := m.fr.nextKnown()
		if err == io.EOF {
			return 0, m.end()
		}
		if err != nil {
			return 0, m.frameError(err)
		}
		switch t {
		case frameData:
			// RFC 9114, Section 4.1.2: more DATA than content-length.
			if m.cl >= 0 && uint64(m.cl-m.n) < length {
				return 0, malformed("body longer than content-length")
			}
			m.inData = true
		case frameHeaders:
			return 0, m.readTrailers()
		default:
			return 0, m.unexpected(t)
		}
	}
}

// readTrailers reads the trailer section, after which only the end of the
// stream (or unknown frames) may follow (RFC 9114, Section 4.1).
func (m *msgReader) readTrailers() error {
	fields, err := m.decodeSection(m.s.Context())
	if err != nil {
		return err
	}
	h, err := parseTrailers(fields)
	if err != nil {
		return err
	}
	t, _, err := m.fr.nextKnown()
	if err == nil {
		return m.unexpected(t)
	}
	if err != io.EOF {
		return m.frameError(err)
	}
	if err := m.end(); err != io.EOF {
		return err
	}
	if m.onTrailers != nil {
		m.onTrailers(h)
	}
	return io.EOF
}

// end checks the body length at the end of the message
// (RFC 9114, Section 4.1.2).
func (m *msgReader) end() error {
	if m.cl >= 0 && m.n != m.cl {
		return malformed("body of %d bytes, content-length %d", m.n, m.cl)
	}
	return io.EOF
}

// setErr records err as the reader's final state and acts on protocol
// errors: a malformed message resets the stream, a connection error closes
// the connection.
func (m *msgReader) setErr(err error) error {
	m.mu.Lock()
	if m.err != nil {
		err = m.err
		m.mu.Unlock()
		return err
	}
	m.err = err
	m.mu.Unlock()
	if e, ok := asLocalError(err); ok {
		if e.Stream {
			m.s.CancelRead(uint64(e.Code))
			m.s.CancelWrite(uint64(e.Code))
		} else {
			m.c.fail(e)
		}
	}
	return err
}

// done reports whether the whole message was read.
func (m *msgReader) done() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err == io.EOF
}

// writeHeadersFrame encodes fields and writes them as one HEADERS frame.
func (c *conn) writeHeadersFrame(s quicStream, fields []hfield) error {
	if err := c.checkPeerFieldLimit(fields); err != nil {
		return err
	}
	section, err := c.codec.encode(s.ID(), fields)
	if err != nil {
		return err
	}
	b := make([]byte, 0, 16+len(section))
	b = appendFrameHeader(b, frameHeaders, uint64(len(section)))
	_, err = s.Write(append(b, section...))
	return err
}

// ErrHeaderTooLarge is returned when a header or trailer section is larger
// than the peer's SETTINGS_MAX_FIELD_SECTION_SIZE (RFC 9114, Section 4.2.2).
var ErrHeaderTooLarge = errors.New("h3: field section larger than the peer accepts")

// checkPeerFieldLimit refuses a section that the peer said it would not
// accept, once its SETTINGS are known.
func (c *conn) checkPeerFieldLimit(fields []hfield) error {
	select {
	case <-c.peerReady:
	default:
		return nil
	}
	limit := c.peer.maxFieldSectionSize
	if limit == 0 {
		return nil
	}
	var size uint64
	for _, f := range fields {
		size += fieldSize(f)
	}
	if size > limit {
		return ErrHeaderTooLarge
	}
	return nil
}

// dataFramePool holds buffers for framing small DATA writes in one Write.
var dataFramePool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10+16); return &b }}

// writeDataFrame writes p as one DATA frame.
func writeDataFrame(s quicStream, p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if len(p) > 16<<10 {
		var hdr [16]byte
		if _, err := s.Write(appendFrameHeader(hdr[:0], frameData, uint64(len(p)))); err != nil {
			return err
		}
		_, err := s.Write(p)
		return err
	}
	bp := dataFramePool.Get().(*[]byte)
	b := appendFrameHeader((*bp)[:0], frameData, uint64(len(p)))
	b = append(b, p...)
	_, err := s.Write(b)
	*bp = b
	dataFramePool.Put(bp)
	return err
}
