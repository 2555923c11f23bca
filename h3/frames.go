package h3

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"
)

// A frameType is an HTTP/3 frame type (RFC 9114, Section 7.2).
type frameType uint64

// Frame types of RFC 9114, Section 7.2.
const (
	frameData        frameType = 0x00
	frameHeaders     frameType = 0x01
	frameCancelPush  frameType = 0x03
	frameSettings    frameType = 0x04
	framePushPromise frameType = 0x05
	frameGoaway      frameType = 0x07
	frameMaxPushID   frameType = 0x0d
)

func (t frameType) String() string {
	switch t {
	case frameData:
		return "DATA"
	case frameHeaders:
		return "HEADERS"
	case frameCancelPush:
		return "CANCEL_PUSH"
	case frameSettings:
		return "SETTINGS"
	case framePushPromise:
		return "PUSH_PROMISE"
	case frameGoaway:
		return "GOAWAY"
	case frameMaxPushID:
		return "MAX_PUSH_ID"
	}
	return fmt.Sprintf("frame(0x%x)", uint64(t))
}

// isHTTP2Frame reports frame types that HTTP/2 defines and HTTP/3 reserves;
// receiving one is a connection error of type H3_FRAME_UNEXPECTED
// (RFC 9114, Section 7.2.8).
func (t frameType) isHTTP2Frame() bool {
	return t == 0x02 || t == 0x06 || t == 0x08 || t == 0x09
}

// isKnown reports whether the frame type has a meaning in this package; any
// other type is skipped (RFC 9114, Section 9).
func (t frameType) isKnown() bool {
	switch t {
	case frameData, frameHeaders, frameCancelPush, frameSettings, framePushPromise,
		frameGoaway, frameMaxPushID:
		return true
	}
	return t.isHTTP2Frame()
}

// greaseValue returns the reserved value 0x1f*n+0x21 used for GREASE frame
// types, setting identifiers, stream types and error codes
// (RFC 9114, Sections 6.2.3, 7.2.4.1, 7.2.8 and 8.1).
func greaseValue(n uint64) uint64 { return 0x1f*n + 0x21 }

// Frame reader errors. The caller maps them to the HTTP/3 error the stream
// kind calls for.
var (
	errFrameTruncated = errors.New("h3: stream ended inside a frame")
	errFrameTooLarge  = errors.New("h3: frame larger than the limit")
)

// A frameReader reads HTTP/3 frames from one stream. It buffers only what
// the caller asks for with readPayload, bounded by a limit; DATA payloads
// are read in place with readData and unknown frames are discarded as they
// arrive. A frameReader is not safe for concurrent use.
type frameReader struct {
	r         *bufio.Reader
	remaining uint64 // unread payload bytes of the current frame
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, 4096)}
}

// bufioPool recycles the read buffers of request streams.
var bufioPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// newPooledFrameReader is newFrameReader with a recycled buffer; call release
// when the stream will not be read again.
func newPooledFrameReader(r io.Reader) *frameReader {
	br := bufioPool.Get().(*bufio.Reader)
	br.Reset(r)
	return &frameReader{r: br}
}

// release returns a pooled reader's buffer; fr must not be used afterwards.
func (fr *frameReader) release() {
	fr.r.Reset(nil)
	bufioPool.Put(fr.r)
	fr.r = nil
}

// next skips what is left of the current frame and reads the next frame
// header. It returns io.EOF when the stream ends at a frame boundary and
// errFrameTruncated when it ends inside a header.
func (fr *frameReader) next() (frameType, uint64, error) {
	if err := fr.skip(); err != nil {
		return 0, 0, err
	}
	t, err := readVarint(fr.r)
	if err != nil {
		return 0, 0, err
	}
	n, err := readVarint(fr.r)
	if err != nil {
		if err == io.EOF || err == errVarintTruncated {
			err = errFrameTruncated
		}
		return 0, 0, err
	}
	fr.remaining = n
	return frameType(t), n, nil
}

// nextKnown is next, skipping frames of unknown and reserved types without
// buffering them (RFC 9114, Section 9).
func (fr *frameReader) nextKnown() (frameType, uint64, error) {
	for {
		t, n, err := fr.next()
		if err != nil || t.isKnown() {
			return t, n, err
		}
	}
}

// skip discards the rest of the current frame's payload.
func (fr *frameReader) skip() error {
	for fr.remaining > 0 {
		chunk := min(fr.remaining, 1<<20)
		n, err := fr.r.Discard(int(chunk))
		fr.remaining -= uint64(n)
		if err != nil {
			return truncated(err)
		}
	}
	return nil
}

// readPayload reads the whole payload of the current frame, which must be at
// most limit bytes; the length is checked before anything is allocated.
func (fr *frameReader) readPayload(limit uint64) ([]byte, error) {
	if fr.remaining > limit {
		return nil, errFrameTooLarge
	}
	b := make([]byte, fr.remaining)
	n, err := io.ReadFull(fr.r, b)
	fr.remaining -= uint64(n)
	if err != nil {
		return nil, truncated(err)
	}
	return b, nil
}

// readData reads payload bytes of the current frame into p.
func (fr *frameReader) readData(p []byte) (int, error) {
	if fr.remaining == 0 {
		return 0, nil
	}
	if uint64(len(p)) > fr.remaining {
		p = p[:fr.remaining]
	}
	n, err := fr.r.Read(p)
	fr.remaining -= uint64(n)
	if err != nil && fr.remaining > 0 {
		return n, truncated(err)
	}
	return n, nil
}

func truncated(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errFrameTruncated
	}
	return err
}

// appendFrameHeader appends a frame's type and length.
func appendFrameHeader(b []byte, t frameType, length uint64) []byte {
	return appendVarint(appendVarint(b, uint64(t)), length)
}

// appendGoaway appends a GOAWAY frame carrying id (RFC 9114, Section 7.2.6).
func appendGoaway(b []byte, id uint64) []byte {
	b = appendFrameHeader(b, frameGoaway, uint64(varintLen(id)))
	return appendVarint(b, id)
}

// parseSingleVarint parses a frame payload that is exactly one varint, as in
// GOAWAY, CANCEL_PUSH and MAX_PUSH_ID; anything else is H3_FRAME_ERROR
// (RFC 9114, Section 7.1).
func parseSingleVarint(t frameType, p []byte) (uint64, error) {
	v, n := parseVarint(p)
	if n == 0 || n != len(p) {
		return 0, connError(ErrCodeFrameError, "malformed %v frame", t)
	}
	return v, nil
}

// appendGreaseFrame appends a reserved frame type with a short payload so
// that peers keep skipping unknown frames (RFC 9114, Section 7.2.8).
func appendGreaseFrame(b []byte, n uint64) []byte {
	b = appendFrameHeader(b, frameType(greaseValue(n)), 4)
	return append(b, "h3gr"...)
}
