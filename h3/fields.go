package h3

import (
	"context"
	"io"
)

// An hfield is one field line of a header or trailer section.
type hfield struct {
	name, value string
}

// fieldCodec is the QPACK state of one connection (RFC 9204): it encodes our
// field sections and decodes the peer's, and reads the peer's encoder and
// decoder streams. Implementations are safe for concurrent use.
type fieldCodec interface {
	// localSettings returns the QPACK_MAX_TABLE_CAPACITY and
	// QPACK_BLOCKED_STREAMS values to advertise.
	localSettings() (capacity, blocked uint64)
	// setPeerSettings applies the peer's QPACK settings to the encoder.
	setPeerSettings(capacity, blocked uint64)
	// setStreams gives the codec our encoder and decoder streams.
	setStreams(enc, dec io.Writer)
	// encode returns the encoded field section for a HEADERS frame on
	// streamID.
	encode(streamID int64, fields []hfield) ([]byte, error)
	// decode decodes a field section received on streamID, waiting while it
	// is blocked on dynamic table inserts; a decoded section larger than
	// maxSize (RFC 9114, Section 4.2.2) is an error.
	decode(ctx context.Context, streamID int64, section []byte, maxSize uint64) ([]hfield, error)
	// cancelStream tells the codec that streamID was reset before its
	// field sections were decoded (RFC 9204, Section 4.4.2).
	cancelStream(streamID int64)
	// readEncoderStream and readDecoderStream consume the peer's QPACK
	// streams until they end or an error occurs.
	readEncoderStream(r io.Reader) error
	readDecoderStream(r io.Reader) error
	// fail makes every decode still waiting for inserts, and every later
	// blocked one, return err: the connection ended, so the encoder stream
	// will bring no more.
	fail(err error)
}

// errFieldSectionTooLarge reports a decoded section over the size limit; the
// request is answered with 431 or the stream reset, not the connection closed.
var errFieldSectionTooLarge = streamError(ErrCodeExcessiveLoad, "field section too large")

// fieldSize is the size of a field line as RFC 9114, Section 4.2.2 counts it.
func fieldSize(f hfield) uint64 { return uint64(len(f.name) + len(f.value) + 32) }
