package qpack

import "sync"

// DefaultEncoderTableCapacity is the dynamic table capacity an Encoder uses
// at most when EncoderConfig.MaxTableCapacity is zero.
const DefaultEncoderTableCapacity = 4096

// DefaultEncoderBlockedStreams is how many streams an Encoder lets become
// blocked at most when EncoderConfig.MaxBlockedStreams is zero.
const DefaultEncoderBlockedStreams = 100

// EncoderConfig holds an Encoder's own limits. The peer's limits, from its
// SETTINGS frame, are given later to Encoder.SetPeerSettings; the encoder
// uses the smaller of each pair. NewEncoder copies it.
type EncoderConfig struct {
	// MaxTableCapacity bounds the memory the dynamic table may use on both
	// sides. Zero means DefaultEncoderTableCapacity.
	MaxTableCapacity uint64
	// MaxBlockedStreams bounds how many streams may risk blocking at the
	// peer's decoder. Zero means DefaultEncoderBlockedStreams.
	MaxBlockedStreams uint64
	// DisableDynamicTable makes the encoder use only the static table and
	// literals, whatever the peer allows.
	DisableDynamicTable bool
	// DisableHuffman makes the encoder send every string as it is, never
	// Huffman-coded. It costs about a fifth more bytes on typical fields.
	DisableHuffman bool
}

// An Encoder encodes the field sections of one HTTP/3 connection and keeps
// the dynamic table it builds in the peer's decoder through the encoder
// stream.
//
// An Encoder is safe for concurrent use by the goroutines of several
// request streams. Until SetPeerSettings is called it uses only the static
// table. Once WriteDecoderStream returns an *Error, the connection must be
// closed; every later call returns the same error. Its memory is bounded:
// while sections on 1,024 streams await acknowledgment, new sections use
// only the static table and literals.
type Encoder struct {
	mu  sync.Mutex
	cfg EncoderConfig

	peerSettings bool
	maxEntries   uint64 // from the peer's SETTINGS_QPACK_MAX_TABLE_CAPACITY
	maxBlocked   uint64
	table        dynamicTable

	// byField and byName map fields and names to the newest entry holding
	// them, by absolute index.
	byField map[staticKey]uint64
	byName  map[string]uint64

	knownReceived uint64
	// unacked holds, for each stream, its field sections that reference
	// the dynamic table and are not acknowledged yet, oldest first.
	unacked map[uint64]unackedSections

	huff      bool   // Huffman-code strings when shorter
	out       []byte // encoder-stream instructions not yet taken
	pendingIn []byte // start of a decoder-stream instruction
	lines     []byte // scratch for the field lines of a section
	err       error
}

// unackedSections is the queue of a stream's unacknowledged sections, kept
// in the map by value so that the common case of one section per stream
// allocates nothing.
type unackedSections struct {
	first sectionRefs
	more  []sectionRefs // after first, oldest first
	n     int
}

func (q *unackedSections) len() int { return q.n }

// push adds the newest section.
func (q *unackedSections) push(r sectionRefs) {
	if q.n == 0 {
		q.first = r
	} else {
		q.more = append(q.more, r)
	}
	q.n++
}

// pop removes and returns the oldest section; the queue must not be empty.
func (q *unackedSections) pop() sectionRefs {
	r := q.first
	q.n--
	if q.n > 0 {
		q.first = q.more[0]
		q.more = q.more[1:]
	}
	return r
}

// anyAbove reports whether a section has a Required Insert Count above
// known.
func (q *unackedSections) anyAbove(known uint64) bool {
	if q.n == 0 {
		return false
	}
	if q.first.requiredInsertCount > known {
		return true
	}
	for _, r := range q.more {
		if r.requiredInsertCount > known {
			return true
		}
	}
	return false
}

// sectionRefs records what an unacknowledged field section references.
type sectionRefs struct {
	requiredInsertCount uint64
	minRef              uint64 // the oldest entry referenced
}

// NewEncoder returns an Encoder with the given limits.
func NewEncoder(cfg EncoderConfig) *Encoder {
	if cfg.MaxTableCapacity == 0 {
		cfg.MaxTableCapacity = DefaultEncoderTableCapacity
	}
	if cfg.MaxBlockedStreams == 0 {
		cfg.MaxBlockedStreams = DefaultEncoderBlockedStreams
	}
	return &Encoder{cfg: cfg, huff: !cfg.DisableHuffman}
}

// SetPeerSettings applies the peer's SETTINGS_QPACK_MAX_TABLE_CAPACITY and
// SETTINGS_QPACK_BLOCKED_STREAMS. When the dynamic table is to be used it
// queues a Set Dynamic Table Capacity instruction on the encoder stream.
// Only the first call has an effect: SETTINGS arrive once per connection.
func (e *Encoder) SetPeerSettings(maxTableCapacity, maxBlockedStreams uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.peerSettings {
		return
	}
	e.peerSettings = true
	e.maxEntries = maxTableCapacity / entryOverhead
	e.maxBlocked = min(maxBlockedStreams, e.cfg.MaxBlockedStreams)
	capacity := min(maxTableCapacity, e.cfg.MaxTableCapacity)
	if e.cfg.DisableDynamicTable || capacity < entryOverhead {
		return
	}
	e.table.capacity = capacity
	e.byField = make(map[staticKey]uint64)
	e.byName = make(map[string]uint64)
	e.unacked = make(map[uint64]unackedSections)
	// RFC 9204, Section 4.3.1.
	e.out = appendSetCapacity(e.out, capacity)
}

// AppendEncoderStream appends the encoder-stream instructions waiting to be
// sent to b and returns the result. The caller must send them on the
// encoder stream; sending them before the field sections that need them
// keeps the peer's streams from blocking.
func (e *Encoder) AppendEncoderStream(b []byte) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	b = append(b, e.out...)
	e.out = e.out[:0]
	return b
}

// EncodeSection encodes fields as the field section of a header or trailer
// block on stream streamID, appends it to dst and returns the result. Any
// instructions it needs on the encoder stream are queued for
// AppendEncoderStream. The fields are encoded in order.
//
// It fails only when the encoder already failed.
func (e *Encoder) EncodeSection(streamID uint64, fields []HeaderField,
	dst []byte) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return dst, e.err
	}
	s := encodeState{
		streamID: streamID,
		base:     e.table.insertCount(),
		minRef:   noRef,
		drain:    e.drainIndex(),
		// A peer that never acknowledges would make the record of
		// unacknowledged sections grow without end: past a bound, sections
		// do without the dynamic table until acknowledgments arrive.
		static: len(e.unacked) >= maxUnackedStreams,
	}
	e.lines = e.lines[:0]
	for i := range fields {
		e.lines = e.encodeField(&s, e.lines, &fields[i])
	}
	dst = e.appendPrefix(dst, &s)
	dst = append(dst, e.lines...)
	if s.ric > 0 {
		// Keep the entries this section references from being evicted
		// until the peer acknowledges it (RFC 9204, Section 2.1.1).
		q := e.unacked[streamID]
		q.push(sectionRefs{s.ric, s.minRef})
		e.unacked[streamID] = q
		e.table.entry(s.minRef).pins++
	}
	return dst, nil
}

// maxUnackedStreams bounds how many streams may have unacknowledged sections
// that reference the dynamic table. A peer acknowledges each section once it
// has decoded it, so only streams in flight count against it.
const maxUnackedStreams = 1024

// noRef is encodeState.minRef when the section references nothing.
const noRef = ^uint64(0)

// encodeState tracks one field section as it is encoded.
type encodeState struct {
	streamID uint64
	base     uint64 // the Insert Count when the section started
	ric      uint64 // one more than the newest entry referenced, or 0
	minRef   uint64 // the oldest entry referenced, or noRef
	drain    uint64 // entries below this absolute index are draining
	static   bool   // use no dynamic table in this section
	// mayBlock is set once the section is known to be allowed to reference
	// entries the peer has not acknowledged; checked tells that it was
	// computed.
	mayBlock, checked bool
}

// appendPrefix appends the Encoded Field Section Prefix (RFC 9204, Section
// 4.5.1).
func (e *Encoder) appendPrefix(b []byte, s *encodeState) []byte {
	if s.ric == 0 {
		return append(b, 0, 0)
	}
	b = appendInt(b, 0, 8, s.ric%(2*e.maxEntries)+1)
	if s.base >= s.ric {
		return appendInt(b, 0x00, 7, s.base-s.ric)
	}
	return appendInt(b, 0x80, 7, s.ric-s.base-1)
}

// WriteDecoderStream processes bytes of the peer's decoder stream (RFC
// 9204, Section 4.4). An instruction may be split across calls. A returned
// error is an *Error with code QPACK_DECODER_STREAM_ERROR.
func (e *Encoder) WriteDecoderStream(p []byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return e.err
	}
	buf := p
	if len(e.pendingIn) > 0 {
		e.pendingIn = append(e.pendingIn, p...)
		buf = e.pendingIn
	}
	for len(buf) > 0 {
		n, err := e.decoderInstruction(buf)
		if err == errNeedMore {
			break
		}
		if err != nil {
			e.err = err
			return err
		}
		buf = buf[n:]
	}
	// An incomplete instruction is a prefixed integer of at most ten bytes.
	e.pendingIn = append(e.pendingIn[:0], buf...)
	return nil
}

// decoderInstruction applies the instruction at the start of p and returns
// its length, or errNeedMore.
func (e *Encoder) decoderInstruction(p []byte) (int, error) {
	var prefix uint8 = 6
	if p[0]&0x80 != 0 {
		prefix = 7
	}
	v, n, err := readInt(p, prefix)
	if err == errNeedMore {
		return 0, err
	}
	if err != nil {
		return 0, decoderStreamError("%v", err)
	}
	switch {
	case p[0]&0x80 != 0:
		err = e.sectionAcknowledged(v)
	case p[0]&0x40 != 0:
		e.streamCancelled(v)
	default:
		err = e.insertCountIncrement(v)
	}
	return n, err
}

// sectionAcknowledged applies Section Acknowledgment (RFC 9204, Section
// 4.4.1).
func (e *Encoder) sectionAcknowledged(streamID uint64) error {
	q := e.unacked[streamID]
	if q.len() == 0 {
		// RFC 9204, Section 4.4.1.
		return decoderStreamError("acknowledgment for stream %d with no section",
			streamID)
	}
	sec := q.pop()
	if q.len() == 0 {
		delete(e.unacked, streamID)
	} else {
		e.unacked[streamID] = q
	}
	e.unpin(sec)
	e.knownReceived = max(e.knownReceived, sec.requiredInsertCount)
	return nil
}

// streamCancelled applies Stream Cancellation (RFC 9204, Section 4.4.2).
func (e *Encoder) streamCancelled(streamID uint64) {
	q := e.unacked[streamID]
	for q.len() > 0 {
		e.unpin(q.pop())
	}
	delete(e.unacked, streamID)
}

// insertCountIncrement applies Insert Count Increment (RFC 9204, Section
// 4.4.3).
func (e *Encoder) insertCountIncrement(inc uint64) error {
	// RFC 9204, Section 4.4.3: zero, or beyond what was sent, is an error.
	if inc == 0 {
		return decoderStreamError("Insert Count Increment of zero")
	}
	if inc > e.table.insertCount()-e.knownReceived {
		return decoderStreamError("Insert Count Increment beyond inserts sent")
	}
	e.knownReceived += inc
	return nil
}

// unpin releases the entries a section referenced.
func (e *Encoder) unpin(sec sectionRefs) {
	if ent := e.table.entry(sec.minRef); ent != nil {
		ent.pins--
	}
}
