package qpack

import (
	"errors"
	"slices"
	"sync"
)

// DefaultMaxFieldSectionSize is the decoded field section size limit a
// Decoder applies when DecoderConfig.MaxFieldSectionSize is zero.
const DefaultMaxFieldSectionSize = 64 << 10

// DecoderConfig holds the limits a Decoder enforces. The first two are the
// values the endpoint sends in its SETTINGS frame. NewDecoder copies it.
type DecoderConfig struct {
	// MaxTableCapacity is SETTINGS_QPACK_MAX_TABLE_CAPACITY: the largest
	// dynamic table the peer's encoder may use. Zero, the default, allows
	// no dynamic table at all.
	MaxTableCapacity uint64
	// MaxBlockedStreams is SETTINGS_QPACK_BLOCKED_STREAMS: how many streams
	// may wait for encoder-stream inserts at once. Zero, the default, means
	// none may.
	MaxBlockedStreams uint64
	// MaxFieldSectionSize bounds a decoded field section: the sum over its
	// fields of name length, value length and 32 (RFC 9114, Section 4.2.2).
	// Zero means DefaultMaxFieldSectionSize.
	MaxFieldSectionSize uint64
}

// A Decoder decodes the field sections of one HTTP/3 connection and keeps
// the dynamic table that the peer's encoder stream builds.
//
// A Decoder is safe for concurrent use: request streams may call
// DecodeSection from their own goroutines while another goroutine feeds the
// encoder stream. Once a method returns an *Error, the connection must be
// closed; every later call returns the same error.
type Decoder struct {
	mu         sync.Mutex
	cfg        DecoderConfig
	maxEntries uint64 // RFC 9204, Section 3.2.3
	table      dynamicTable
	strs       stringReader

	// Buffers reused from one section to the next, and the number of
	// fields to make room for.
	lit        []byte
	pending    []pendingString
	fieldsHint int

	// pendingIn holds the start of an encoder-stream instruction that has
	// not fully arrived.
	pendingIn []byte
	// blocked holds the sections waiting for inserts, by stream ID, and
	// minBlocked the smallest Required Insert Count among them.
	blocked    map[uint64]blockedSection
	minBlocked uint64
	// ready holds sections that were blocked and are now decoded.
	ready map[uint64]decodedSection

	out           []byte // decoder-stream instructions not yet taken
	knownReceived uint64 // the Known Received Count the encoder has heard of
	err           error  // the connection error, once there is one
}

// blockedSection is an encoded field section waiting for inserts.
type blockedSection struct {
	requiredInsertCount uint64
	data                []byte // a copy of the whole section
}

// decodedSection is the outcome of decoding a section that was blocked.
type decodedSection struct {
	fields []HeaderField
	err    error
}

// NewDecoder returns a Decoder that enforces the limits in cfg.
func NewDecoder(cfg DecoderConfig) *Decoder {
	if cfg.MaxFieldSectionSize == 0 {
		cfg.MaxFieldSectionSize = DefaultMaxFieldSectionSize
	}
	return &Decoder{
		cfg:        cfg,
		maxEntries: cfg.MaxTableCapacity / entryOverhead,
	}
}

// DecodeSection decodes the encoded field section that arrived on the
// request or push stream streamID. When the section needs dynamic table
// entries that have not arrived yet, it returns ErrBlocked and keeps a copy
// of the section: WriteEncoderStream later reports the stream as unblocked
// and TakeSection returns the fields.
//
// A returned *Error is a connection error. ErrFieldSectionTooLarge
// concerns the stream alone: the caller rejects the message, and calls
// CancelStream if it abandons the stream.
func (d *Decoder) DecodeSection(streamID uint64, section []byte) ([]HeaderField, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	ric, _, _, err := d.parsePrefix(section)
	if err != nil {
		return nil, d.fail(err)
	}
	if ric > d.table.insertCount() {
		return nil, d.block(streamID, ric, section)
	}
	fields, err := d.decodeSection(streamID, section)
	return fields, d.fail(err)
}

// block records a section that must wait for inserts (RFC 9204, Section
// 2.2.1).
func (d *Decoder) block(streamID, ric uint64, section []byte) error {
	if _, ok := d.blocked[streamID]; ok {
		return errors.New("qpack: stream already has a blocked field section")
	}
	// RFC 9204, Section 2.1.2: more blocked streams than allowed is an error.
	if uint64(len(d.blocked)) >= d.cfg.MaxBlockedStreams {
		return d.fail(decompressionError("more than %d blocked streams",
			d.cfg.MaxBlockedStreams))
	}
	// An encoder Huffman-codes a string only when that makes it shorter,
	// so a field line takes fewer bytes on the wire than the 32 plus name
	// and value it counts for: a section longer than the limit cannot fit
	// in it. Refusing it now bounds the memory blocked sections hold.
	if uint64(len(section)) > d.cfg.MaxFieldSectionSize+prefixSlack {
		return ErrFieldSectionTooLarge
	}
	if d.blocked == nil {
		d.blocked = make(map[uint64]blockedSection)
	}
	if len(d.blocked) == 0 || ric < d.minBlocked {
		d.minBlocked = ric
	}
	d.blocked[streamID] = blockedSection{ric, slices.Clone(section)}
	return ErrBlocked
}

// prefixSlack is more than the largest encoded field section prefix.
const prefixSlack = 32

// TakeSection returns the fields of a section on streamID that was blocked
// and has been decoded since, as WriteEncoderStream reported. The error is
// the one DecodeSection would have returned for it. It reports an error
// that is not an *Error when no such section is waiting.
func (d *Decoder) TakeSection(streamID uint64) ([]HeaderField, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.ready[streamID]
	if !ok {
		if d.err != nil {
			return nil, d.err
		}
		return nil, errors.New("qpack: no decoded section waiting on this stream")
	}
	delete(d.ready, streamID)
	return s.fields, s.err
}

// CancelStream forgets any section of streamID that is blocked or waiting
// to be taken, and, when the dynamic table is enabled, queues a Stream
// Cancellation instruction (RFC 9204, Section 4.4.2). Call it when a
// stream is reset or abandoned before its field sections are decoded.
func (d *Decoder) CancelStream(streamID uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.blocked, streamID)
	delete(d.ready, streamID)
	d.updateMinBlocked()
	// A decoder without a dynamic table may omit the instruction (RFC 9204,
	// Section 2.2.2.2).
	if d.cfg.MaxTableCapacity > 0 {
		d.out = appendStreamCancel(d.out, streamID)
	}
}

// AppendDecoderStream appends the decoder-stream instructions that are
// waiting to be sent (Section Acknowledgment, Stream Cancellation, Insert
// Count Increment) to b and returns the result. Nothing is appended when
// nothing is waiting.
func (d *Decoder) AppendDecoderStream(b []byte) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	b = append(b, d.out...)
	d.out = d.out[:0]
	// RFC 9204, Section 4.4.3: acknowledge inserts that no Section
	// Acknowledgment has covered.
	if n := d.table.insertCount(); n > d.knownReceived {
		b = appendInsertCountIncrement(b, n-d.knownReceived)
		d.knownReceived = n
	}
	return b
}

// InsertCount returns the number of entries inserted in the dynamic table.
func (d *Decoder) InsertCount() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.table.insertCount()
}

// fail records err as the connection error when it is an *Error and
// returns it.
func (d *Decoder) fail(err error) error {
	if qe, ok := err.(*Error); ok && d.err == nil {
		d.err = qe
	}
	return err
}

// updateMinBlocked recomputes minBlocked.
func (d *Decoder) updateMinBlocked() {
	first := true
	for _, s := range d.blocked {
		if first || s.requiredInsertCount < d.minBlocked {
			d.minBlocked = s.requiredInsertCount
			first = false
		}
	}
}

// unblock decodes every blocked section whose inserts have all arrived and
// appends their stream IDs to ids in increasing order.
func (d *Decoder) unblock(ids []uint64) []uint64 {
	if len(d.blocked) == 0 || d.minBlocked > d.table.insertCount() {
		return ids
	}
	start := len(ids)
	for id, s := range d.blocked {
		if s.requiredInsertCount <= d.table.insertCount() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids[start:])
	if d.ready == nil {
		d.ready = make(map[uint64]decodedSection)
	}
	for _, id := range ids[start:] {
		s := d.blocked[id]
		delete(d.blocked, id)
		fields, err := d.decodeSection(id, s.data)
		d.fail(err)
		d.ready[id] = decodedSection{fields, err}
	}
	d.updateMinBlocked()
	return ids
}
