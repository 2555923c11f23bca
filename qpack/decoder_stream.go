package qpack

// WriteEncoderStream processes bytes of the peer's encoder stream (RFC 9204,
// Section 4.3). An instruction may be split across calls; its start is kept
// until the rest arrives. It returns, in increasing order, the IDs of the
// streams whose blocked sections these instructions unblocked; their fields
// are then available from TakeSection.
//
// A returned *Error is a connection error, QPACK_ENCODER_STREAM_ERROR for
// a bad instruction, or QPACK_DECOMPRESSION_FAILED when a section that
// became decodable is malformed.
func (d *Decoder) WriteEncoderStream(p []byte) (unblocked []uint64, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	buf := p
	if len(d.pendingIn) > 0 {
		d.pendingIn = append(d.pendingIn, p...)
		buf = d.pendingIn
	}
	for len(buf) > 0 {
		n, err := d.encoderInstruction(buf)
		if err == errNeedMore {
			break
		}
		if err != nil {
			return unblocked, d.fail(err)
		}
		buf = buf[n:]
		unblocked = d.unblock(unblocked)
		if d.err != nil {
			return unblocked, d.err
		}
	}
	// Keep the start of an incomplete instruction. No valid instruction is
	// longer than an entry Huffman-coded at the worst ratio (30 bits per
	// byte) plus its prefixes, so a longer one is refused.
	if uint64(len(buf)) > 4*d.cfg.MaxTableCapacity+2*prefixSlack {
		return unblocked, d.fail(encoderStreamError("instruction too long"))
	}
	d.pendingIn = append(d.pendingIn[:0], buf...)
	return unblocked, nil
}

// encoderInstruction applies the instruction at the start of p and returns
// its length, or errNeedMore when p holds only part of it.
func (d *Decoder) encoderInstruction(p []byte) (int, error) {
	switch b := p[0]; {
	case b&0x80 != 0:
		return d.insertWithNameRef(p)
	case b&0xc0 == 0x40:
		return d.insertWithLiteralName(p)
	case b&0xe0 == 0x20:
		return d.setCapacity(p)
	default:
		return d.duplicate(p)
	}
}

// streamError turns a primitive's error into an encoder-stream error,
// leaving errNeedMore alone.
func streamError(err error, where string) error {
	switch err {
	case errNeedMore:
		return err
	case errTooLong:
		return encoderStreamError("%s larger than the table capacity", where)
	}
	return encoderStreamError("%s: %v", where, err)
}

// setCapacity applies Set Dynamic Table Capacity (RFC 9204, Section 4.3.1).
func (d *Decoder) setCapacity(p []byte) (int, error) {
	c, n, err := readInt(p, 5)
	if err != nil {
		return 0, streamError(err, "capacity")
	}
	// RFC 9204, Section 4.3.1: the capacity may not exceed the maximum.
	if c > d.cfg.MaxTableCapacity {
		return 0, encoderStreamError("capacity %d exceeds maximum %d",
			c, d.cfg.MaxTableCapacity)
	}
	d.table.capacity = c
	d.table.evictTo(c, nil)
	return n, nil
}

// insertWithNameRef applies Insert with Name Reference (RFC 9204, Section
// 4.3.2).
func (d *Decoder) insertWithNameRef(p []byte) (int, error) {
	idx, n, err := readInt(p, 6)
	if err != nil {
		return 0, streamError(err, "name index")
	}
	var name string
	if p[0]&0x40 != 0 {
		if idx >= uint64(len(staticTable)) {
			return 0, encoderStreamError("static index %d out of range", idx)
		}
		name = staticTable[idx].name
	} else {
		e, err := d.encoderStreamEntry(idx)
		if err != nil {
			return 0, err
		}
		name = e.name
	}
	value, m, err := d.strs.read(p[n:], 7, d.entryBudget(name))
	if err != nil {
		return 0, streamError(err, "entry")
	}
	return n + m, d.insert(name, value)
}

// insertWithLiteralName applies Insert with Literal Name (RFC 9204, Section
// 4.3.3).
func (d *Decoder) insertWithLiteralName(p []byte) (int, error) {
	name, n, err := d.strs.read(p, 5, d.entryBudget(""))
	if err != nil {
		return 0, streamError(err, "entry")
	}
	value, m, err := d.strs.read(p[n:], 7, d.entryBudget(name))
	if err != nil {
		return 0, streamError(err, "entry")
	}
	return n + m, d.insert(name, value)
}

// duplicate applies Duplicate (RFC 9204, Section 4.3.4).
func (d *Decoder) duplicate(p []byte) (int, error) {
	idx, n, err := readInt(p, 5)
	if err != nil {
		return 0, streamError(err, "index")
	}
	e, err := d.encoderStreamEntry(idx)
	if err != nil {
		return 0, err
	}
	return n, d.insert(e.name, e.value)
}

// encoderStreamEntry resolves a relative index of an encoder instruction
// (RFC 9204, Section 3.2.5): 0 is the newest entry.
func (d *Decoder) encoderStreamEntry(rel uint64) (*tableEntry, error) {
	count := d.table.insertCount()
	if rel >= count {
		return nil, encoderStreamError("relative index %d with %d inserts", rel, count)
	}
	e := d.table.entry(count - 1 - rel)
	if e == nil {
		// RFC 9204, Section 2.2.3.
		return nil, encoderStreamError("reference to evicted entry %d", count-1-rel)
	}
	return e, nil
}

// entryBudget returns how long a string may be in an entry that already has
// the string used, within the current capacity.
func (d *Decoder) entryBudget(used string) uint64 {
	need := uint64(len(used)) + entryOverhead
	if need > d.table.capacity {
		return 0
	}
	return d.table.capacity - need
}

// insert adds an entry, evicting as needed (RFC 9204, Section 3.2.2).
func (d *Decoder) insert(name, value string) error {
	size := fieldSize(name, value)
	if size > d.table.capacity {
		// RFC 9204, Section 3.2.2: an entry larger than the capacity is an
		// error. (The string limits catch most of these earlier.)
		return encoderStreamError("entry of %d bytes exceeds capacity %d",
			size, d.table.capacity)
	}
	d.table.evictTo(d.table.capacity-size, nil)
	d.table.add(name, value)
	return nil
}
