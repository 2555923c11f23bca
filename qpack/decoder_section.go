package qpack

// parsePrefix reads the Encoded Field Section Prefix (RFC 9204, Section
// 4.5.1) and returns the Required Insert Count, the Base and the length of
// the prefix.
func (d *Decoder) parsePrefix(p []byte) (ric, base uint64, n int, err error) {
	enc, n1, err := readInt(p, 8)
	if err != nil {
		return 0, 0, 0, sectionError(err, "prefix")
	}
	ric, err = d.decodeRequiredInsertCount(enc)
	if err != nil {
		return 0, 0, 0, err
	}
	if n1 >= len(p) {
		return 0, 0, 0, decompressionError("section truncated in prefix")
	}
	negative := p[n1]&0x80 != 0
	delta, n2, err := readInt(p[n1:], 7)
	if err != nil {
		return 0, 0, 0, sectionError(err, "prefix")
	}
	// RFC 9204, Section 4.5.1.2: Base = RIC + Delta Base, or
	// RIC - Delta Base - 1 with the sign bit; it must not be negative.
	if negative {
		if delta >= ric {
			return 0, 0, 0, decompressionError("negative Base")
		}
		base = ric - delta - 1
	} else {
		if delta > maxVarint-ric {
			return 0, 0, 0, decompressionError("Base overflows")
		}
		base = ric + delta
	}
	return ric, base, n1 + n2, nil
}

// decodeRequiredInsertCount undoes the modular encoding of the Required
// Insert Count (RFC 9204, Section 4.5.1.1).
func (d *Decoder) decodeRequiredInsertCount(enc uint64) (uint64, error) {
	if enc == 0 {
		return 0, nil
	}
	fullRange := 2 * d.maxEntries
	if enc > fullRange {
		return 0, decompressionError("encoded Required Insert Count %d exceeds %d",
			enc, fullRange)
	}
	maxValue := d.table.insertCount() + d.maxEntries
	maxWrapped := maxValue / fullRange * fullRange
	ric := maxWrapped + enc - 1
	if ric > maxValue {
		if ric <= fullRange {
			return 0, decompressionError("invalid Required Insert Count")
		}
		ric -= fullRange
	}
	if ric == 0 {
		return 0, decompressionError("invalid Required Insert Count")
	}
	return ric, nil
}

// sectionError turns a primitive's error into the error of a field section.
func sectionError(err error, where string) error {
	switch err {
	case errNeedMore:
		return decompressionError("section truncated in %s", where)
	case errTooLong:
		return ErrFieldSectionTooLarge
	}
	return decompressionError("%s: %v", where, err)
}

// sectionState is what decoding one field section needs besides the table.
type sectionState struct {
	ric, base uint64
	limit     uint64 // MaxFieldSectionSize
	used      uint64 // size of the fields so far
	fields    []HeaderField
	// lit holds the bytes of the literal strings and pending says where
	// they go: they become strings in one allocation at the end.
	lit     []byte
	pending []pendingString
}

// A pendingString is a literal name or value waiting in sectionState.lit.
type pendingString struct {
	field    int  // index in fields
	value    bool // the value, else the name
	off, end int  // bytes in lit
}

// readLiteral reads a string literal with an n-bit prefix into s.lit, for
// the name or value of the field about to be added, within budget bytes.
// It returns its length and the bytes consumed.
func (s *sectionState) readLiteral(p []byte, n uint8, budget uint64,
	value bool) (int, int, error) {
	off := len(s.lit)
	var k int
	var err error
	s.lit, k, err = appendStringLiteral(s.lit, p, n, budget)
	if err != nil {
		return 0, 0, sectionError(err, "literal")
	}
	s.pending = append(s.pending, pendingString{len(s.fields), value, off, len(s.lit)})
	return len(s.lit) - off, k, nil
}

// finish turns the literal bytes into strings.
func (s *sectionState) finish() {
	if len(s.pending) == 0 {
		return
	}
	all := string(s.lit)
	for _, p := range s.pending {
		if p.value {
			s.fields[p.field].Value = all[p.off:p.end]
		} else {
			s.fields[p.field].Name = all[p.off:p.end]
		}
	}
}

// remaining returns how many bytes of name and value one more field may
// have.
func (s *sectionState) remaining() uint64 {
	if s.used+entryOverhead > s.limit {
		return 0
	}
	return s.limit - s.used - entryOverhead
}

// add appends a field, enforcing the size limit. A name or value still in
// s.lit is given as an empty string and its length.
func (s *sectionState) add(name, value string, nameLen, valueLen int, sensitive bool) error {
	s.used += uint64(nameLen) + uint64(valueLen) + entryOverhead
	if s.used > s.limit {
		return ErrFieldSectionTooLarge
	}
	s.fields = append(s.fields, HeaderField{Name: name, Value: value, Sensitive: sensitive})
	return nil
}

// addEntry appends a field whose name and value are both known.
func (s *sectionState) addEntry(name, value string) error {
	return s.add(name, value, len(name), len(value), false)
}

// decodeSection decodes a section whose Required Insert Count is at most the
// Insert Count, and queues its Section Acknowledgment.
func (d *Decoder) decodeSection(streamID uint64, section []byte) ([]HeaderField, error) {
	ric, base, n, err := d.parsePrefix(section)
	if err != nil {
		return nil, err
	}
	s := sectionState{
		ric:     ric,
		base:    base,
		limit:   d.cfg.MaxFieldSectionSize,
		fields:  make([]HeaderField, 0, d.fieldsHint),
		lit:     d.lit[:0],
		pending: d.pending[:0],
	}
	err = d.decodeLines(&s, section[n:])
	d.lit, d.pending = s.lit, s.pending
	d.fieldsHint = max(minFieldsHint, min(len(s.fields), maxFieldsHint))
	if _, ok := err.(*Error); ok {
		return nil, err
	}
	// RFC 9204, Section 2.2.2.1: acknowledge sections that use the dynamic
	// table. One cut short by the size limit is acknowledged too: the
	// decoder holds no reference to the table for it.
	if ric > 0 {
		d.out = appendSectionAck(d.out, streamID)
		d.knownReceived = max(d.knownReceived, ric)
	}
	if err != nil {
		return nil, err
	}
	s.finish()
	return s.fields, nil
}

// Bounds of Decoder.fieldsHint.
const (
	minFieldsHint = 8
	maxFieldsHint = 64
)

// decodeLines decodes the field lines of a section (RFC 9204, Section 4.5).
func (d *Decoder) decodeLines(s *sectionState, p []byte) error {
	for len(p) > 0 {
		var n int
		var err error
		switch b := p[0]; {
		case b&0x80 != 0:
			n, err = d.indexedLine(s, p)
		case b&0xc0 == 0x40:
			n, err = d.nameRefLine(s, p)
		case b&0xe0 == 0x20:
			n, err = d.literalNameLine(s, p)
		case b&0xf0 == 0x10:
			n, err = d.postBaseIndexedLine(s, p)
		default:
			n, err = d.postBaseNameRefLine(s, p)
		}
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// dynamicEntry returns the entry with absolute index abs for a section,
// enforcing RFC 9204, Section 2.2.3: it must be below the Required Insert
// Count and not evicted.
func (d *Decoder) dynamicEntry(s *sectionState, abs uint64) (*tableEntry, error) {
	if abs >= s.ric {
		return nil, decompressionError("reference %d not below Required Insert Count %d",
			abs, s.ric)
	}
	e := d.table.entry(abs)
	if e == nil {
		return nil, decompressionError("reference to evicted entry %d", abs)
	}
	return e, nil
}

// relativeEntry resolves a relative index against the Base (RFC 9204,
// Section 3.2.5).
func (d *Decoder) relativeEntry(s *sectionState, rel uint64) (*tableEntry, error) {
	if rel >= s.base {
		return nil, decompressionError("relative index %d with Base %d", rel, s.base)
	}
	return d.dynamicEntry(s, s.base-1-rel)
}

// postBaseEntry resolves a post-base index (RFC 9204, Section 3.2.6).
func (d *Decoder) postBaseEntry(s *sectionState, idx uint64) (*tableEntry, error) {
	if idx >= s.ric {
		return nil, decompressionError("post-base index %d too large", idx)
	}
	return d.dynamicEntry(s, s.base+idx)
}

// staticField returns the static table entry idx.
func staticField(idx uint64) (*staticEntry, error) {
	if idx >= uint64(len(staticTable)) {
		return nil, decompressionError("static index %d out of range", idx)
	}
	return &staticTable[idx], nil
}

// indexedLine decodes an Indexed Field Line (RFC 9204, Section 4.5.2).
func (d *Decoder) indexedLine(s *sectionState, p []byte) (int, error) {
	idx, n, err := readInt(p, 6)
	if err != nil {
		return 0, sectionError(err, "indexed field line")
	}
	if p[0]&0x40 != 0 {
		e, err := staticField(idx)
		if err != nil {
			return 0, err
		}
		return n, s.addEntry(e.name, e.value)
	}
	e, err := d.relativeEntry(s, idx)
	if err != nil {
		return 0, err
	}
	return n, s.addEntry(e.name, e.value)
}

// postBaseIndexedLine decodes an Indexed Field Line with Post-Base Index
// (RFC 9204, Section 4.5.3).
func (d *Decoder) postBaseIndexedLine(s *sectionState, p []byte) (int, error) {
	idx, n, err := readInt(p, 4)
	if err != nil {
		return 0, sectionError(err, "indexed field line")
	}
	e, err := d.postBaseEntry(s, idx)
	if err != nil {
		return 0, err
	}
	return n, s.addEntry(e.name, e.value)
}

// nameRefLine decodes a Literal Field Line with Name Reference (RFC 9204,
// Section 4.5.4).
func (d *Decoder) nameRefLine(s *sectionState, p []byte) (int, error) {
	idx, n, err := readInt(p, 4)
	if err != nil {
		return 0, sectionError(err, "literal field line")
	}
	var name string
	if p[0]&0x10 != 0 {
		e, err := staticField(idx)
		if err != nil {
			return 0, err
		}
		name = e.name
	} else {
		e, err := d.relativeEntry(s, idx)
		if err != nil {
			return 0, err
		}
		name = e.name
	}
	return d.literalValue(s, p, n, name, p[0]&0x20 != 0)
}

// postBaseNameRefLine decodes a Literal Field Line with Post-Base Name
// Reference (RFC 9204, Section 4.5.5).
func (d *Decoder) postBaseNameRefLine(s *sectionState, p []byte) (int, error) {
	idx, n, err := readInt(p, 3)
	if err != nil {
		return 0, sectionError(err, "literal field line")
	}
	e, err := d.postBaseEntry(s, idx)
	if err != nil {
		return 0, err
	}
	return d.literalValue(s, p, n, e.name, p[0]&0x08 != 0)
}

// literalNameLine decodes a Literal Field Line with Literal Name (RFC 9204,
// Section 4.5.6).
func (d *Decoder) literalNameLine(s *sectionState, p []byte) (int, error) {
	budget := s.remaining()
	nameLen, n, err := s.readLiteral(p, 3, budget, false)
	if err != nil {
		return 0, err
	}
	valueLen, m, err := s.readLiteral(p[n:], 7, budget-uint64(nameLen), true)
	if err != nil {
		return 0, err
	}
	return n + m, s.add("", "", nameLen, valueLen, p[0]&0x10 != 0)
}

// literalValue reads the value string at p[n:] and adds the field.
func (d *Decoder) literalValue(s *sectionState, p []byte, n int, name string,
	sensitive bool) (int, error) {
	budget := s.remaining()
	if uint64(len(name)) > budget {
		return 0, ErrFieldSectionTooLarge
	}
	valueLen, m, err := s.readLiteral(p[n:], 7, budget-uint64(len(name)), true)
	if err != nil {
		return 0, err
	}
	return n + m, s.add(name, "", len(name), valueLen, sensitive)
}
