package h3

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// A CapsuleType identifies a capsule of the Capsule Protocol (RFC 9297,
// Section 3.2).
type CapsuleType uint64

// CapsuleDatagram is the DATAGRAM capsule, which carries an HTTP datagram in
// the stream's data (RFC 9297, Section 3.5).
const CapsuleDatagram CapsuleType = 0x00

// ErrCapsuleTooLarge is returned by CapsuleReader.ReadDatagram for a DATAGRAM
// capsule longer than the caller's limit.
var ErrCapsuleTooLarge = errors.New("h3: capsule larger than the limit")

// errCapsuleTruncated is returned when the stream ends inside a capsule, which
// makes the HTTP message malformed (RFC 9297, Section 3.3).
var errCapsuleTruncated = errors.New("h3: stream ended inside a capsule")

// AppendCapsule appends a capsule of type t carrying value
// (RFC 9297, Section 3.2).
func AppendCapsule(b []byte, t CapsuleType, value []byte) []byte {
	b = appendVarint(b, uint64(t))
	b = appendVarint(b, uint64(len(value)))
	return append(b, value...)
}

// A CapsuleReader reads capsules from a stream's data, such as the Stream of
// an extended CONNECT request. It buffers nothing beyond what the caller
// reads: the value of a capsule is read through the reader that Next returns,
// and whatever is left unread is discarded by the next call to Next. A
// CapsuleReader is not safe for concurrent use.
type CapsuleReader struct {
	r         *bufio.Reader
	remaining uint64
	value     io.LimitedReader
}

// NewCapsuleReader returns a CapsuleReader reading from r.
func NewCapsuleReader(r io.Reader) *CapsuleReader {
	return &CapsuleReader{r: bufio.NewReaderSize(r, 1024)}
}

// Next skips what is left of the current capsule and returns the type and
// length of the next one with a reader for its value. It returns io.EOF when
// the stream ends between capsules.
func (c *CapsuleReader) Next() (CapsuleType, uint64, io.Reader, error) {
	for c.remaining > 0 {
		n, err := c.r.Discard(int(min(c.remaining, 1<<20)))
		c.remaining -= uint64(n)
		if err != nil {
			return 0, 0, nil, errCapsuleTruncated
		}
	}
	t, err := readVarint(c.r)
	if err != nil {
		if err == errVarintTruncated {
			err = errCapsuleTruncated
		}
		return 0, 0, nil, err
	}
	n, err := readVarint(c.r)
	if err != nil {
		return 0, 0, nil, errCapsuleTruncated
	}
	c.remaining = n
	c.value = io.LimitedReader{R: capsuleValue{c}, N: int64(min(n, maxVarint))}
	return CapsuleType(t), n, &c.value, nil
}

// capsuleValue reads the current capsule's value and keeps count of it.
type capsuleValue struct{ c *CapsuleReader }

func (v capsuleValue) Read(p []byte) (int, error) {
	c := v.c
	if c.remaining == 0 {
		return 0, io.EOF
	}
	if uint64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.r.Read(p)
	c.remaining -= uint64(n)
	if err == io.EOF && c.remaining > 0 {
		err = errCapsuleTruncated
	}
	return n, err
}

// ReadDatagram returns the payload of the next DATAGRAM capsule, skipping
// capsules of other types without buffering them (RFC 9297, Section 3.2). A
// DATAGRAM capsule longer than max bytes is ErrCapsuleTooLarge.
func (c *CapsuleReader) ReadDatagram(max int) ([]byte, error) {
	for {
		t, n, r, err := c.Next()
		if err != nil {
			return nil, err
		}
		if t != CapsuleDatagram {
			continue
		}
		if n > uint64(max) {
			return nil, fmt.Errorf("%w: %d bytes", ErrCapsuleTooLarge, n)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, errCapsuleTruncated
		}
		return b, nil
	}
}
