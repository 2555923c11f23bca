package qpack

// encodeField appends the field line for f to b, inserting f into the
// dynamic table first when that is possible and useful.
func (e *Encoder) encodeField(s *encodeState, b []byte, f *HeaderField) []byte {
	sensitive := f.Sensitive || alwaysSensitive(f.Name)
	if !sensitive {
		if idx, ok := staticByField[staticKey{f.Name, f.Value}]; ok {
			return appendInt(b, 0xc0, 6, uint64(idx))
		}
	}
	if sensitive || e.table.capacity == 0 || s.static {
		return e.appendLiteral(s, b, f, sensitive)
	}
	if abs, ok := e.byField[staticKey{f.Name, f.Value}]; ok {
		// Referencing one of the oldest entries would keep it, and so
		// every insert, waiting for the peer's acknowledgment: refer to a
		// fresh copy instead (RFC 9204, Section 2.1.1.1).
		if abs < s.drain && e.mayBlock(s) {
			if dup, ok := e.duplicate(s, abs); ok {
				return e.appendIndexed(s, b, dup)
			}
		}
		if abs >= s.drain && e.canReference(s, abs) {
			return e.appendIndexed(s, b, abs)
		}
		// The entry is draining and no copy fits, or the peer has not
		// acknowledged it and this stream may not risk blocking; a new
		// copy would not help either way.
		return e.appendLiteral(s, b, f, false)
	}
	if abs, ok := e.insert(s, f); ok && e.canReference(s, abs) {
		return e.appendIndexed(s, b, abs)
	}
	return e.appendLiteral(s, b, f, false)
}

// canReference reports whether the section may reference entry abs: it
// must still be in the table, and unless the peer has acknowledged it, the
// stream must be allowed to risk blocking (RFC 9204, Section 2.1.2).
func (e *Encoder) canReference(s *encodeState, abs uint64) bool {
	if s.static || e.table.entry(abs) == nil {
		return false
	}
	return abs < e.knownReceived || e.mayBlock(s)
}

// mayBlock reports whether the section may reference entries the peer has
// not acknowledged.
func (e *Encoder) mayBlock(s *encodeState) bool {
	if !s.checked {
		s.mayBlock = e.streamMayBlock(s.streamID)
		s.checked = true
	}
	return s.mayBlock
}

// streamMayBlock reports whether a section on streamID may reference
// entries the peer has not acknowledged without more streams than allowed
// risking blocking.
func (e *Encoder) streamMayBlock(streamID uint64) bool {
	if e.maxBlocked == 0 {
		return false
	}
	var blocking uint64
	for id, q := range e.unacked {
		if q.anyAbove(e.knownReceived) {
			if id == streamID {
				return true // already counted as blocking
			}
			blocking++
		}
	}
	return blocking < e.maxBlocked
}

// ref records that the section references entry abs.
func (s *encodeState) ref(abs uint64) {
	s.ric = max(s.ric, abs+1)
	s.minRef = min(s.minRef, abs)
}

// appendIndexed appends an indexed field line for entry abs (RFC 9204,
// Sections 4.5.2 and 4.5.3).
func (e *Encoder) appendIndexed(s *encodeState, b []byte, abs uint64) []byte {
	s.ref(abs)
	if abs < s.base {
		return appendInt(b, 0x80, 6, s.base-1-abs)
	}
	return appendInt(b, 0x10, 4, abs-s.base)
}

// appendLiteral appends a literal field line, referring to the name in the
// static or dynamic table when it is there (RFC 9204, Sections 4.5.4 to
// 4.5.6). A sensitive field gets the never-indexed bit.
func (e *Encoder) appendLiteral(s *encodeState, b []byte, f *HeaderField,
	sensitive bool) []byte {
	var never byte
	if sensitive {
		never = 0x20
	}
	if idx, ok := staticByName[f.Name]; ok {
		b = appendInt(b, 0x50|never, 4, uint64(idx))
		return appendString(b, 0, 7, f.Value, e.huff)
	}
	if abs, ok := e.byName[f.Name]; ok && abs >= s.drain && e.canReference(s, abs) {
		s.ref(abs)
		if abs < s.base {
			b = appendInt(b, 0x40|never, 4, s.base-1-abs)
		} else {
			b = appendInt(b, never>>2, 3, abs-s.base)
		}
		return appendString(b, 0, 7, f.Value, e.huff)
	}
	b = appendString(b, 0x20|never>>1, 3, f.Name, e.huff)
	return appendString(b, 0, 7, f.Value, e.huff)
}

// insert adds f to the dynamic table and queues the instruction that does
// the same at the peer. It reports false, doing nothing, when f is not worth
// an entry or the entries that would have to go cannot be evicted.
func (e *Encoder) insert(s *encodeState, f *HeaderField) (uint64, bool) {
	size := fieldSize(f.Name, f.Value)
	// A large entry would push out several others for one field; on
	// fb-req.qif a quarter of the table is the best bound for both 256 and
	// 4096 bytes.
	if size > e.table.capacity/4 || noInsert(f.Name) || !e.makeRoom(s, size, noRef) {
		return 0, false
	}
	if idx, ok := staticByName[f.Name]; ok {
		e.out = appendInsertNameRef(e.out, true, uint64(idx), f.Value, e.huff)
	} else if abs, ok := e.byName[f.Name]; ok {
		rel := e.table.insertCount() - 1 - abs
		e.out = appendInsertNameRef(e.out, false, rel, f.Value, e.huff)
	} else {
		e.out = appendInsertLiteralName(e.out, f.Name, f.Value, e.huff)
	}
	abs := e.table.add(f.Name, f.Value)
	e.byField[staticKey{f.Name, f.Value}] = abs
	e.byName[f.Name] = abs
	return abs, true
}

// makeRoom evicts entries until size more bytes fit, if every entry that
// has to go is evictable (RFC 9204, Section 2.1.1.1): acknowledged, and
// referenced by no unacknowledged section, this one included. Entry keep
// and newer ones stay whatever happens.
func (e *Encoder) makeRoom(s *encodeState, size, keep uint64) bool {
	limit := e.table.capacity - size
	if e.table.size <= limit {
		return true
	}
	keep = min(keep, s.minRef)
	remaining := e.table.size
	for i := range e.table.entries {
		abs := e.table.dropped + uint64(i)
		ent := &e.table.entries[i]
		if abs >= e.knownReceived || ent.pins > 0 || abs >= keep {
			return false
		}
		remaining -= ent.size()
		if remaining <= limit {
			break
		}
	}
	e.table.evictTo(limit, e.forget)
	return true
}

// duplicate queues a Duplicate of entry abs (RFC 9204, Section 4.3.4) and
// returns the absolute index of the copy, or false when there is no room.
// The original is not evicted to make room, so that no decoder has to
// read an entry that the same instruction evicts.
func (e *Encoder) duplicate(s *encodeState, abs uint64) (uint64, bool) {
	ent := e.table.entry(abs)
	name, value := ent.name, ent.value
	if !e.makeRoom(s, ent.size(), abs) {
		return 0, false
	}
	e.out = appendDuplicate(e.out, e.table.insertCount()-1-abs)
	dup := e.table.add(name, value)
	e.byField[staticKey{name, value}] = dup
	e.byName[name] = dup
	return dup, true
}

// drainIndex returns the absolute index below which entries are draining:
// the oldest quarter of the capacity, once the table is more than three
// quarters full. A quarter leaves room, most of the time, to duplicate an
// entry there by evicting older ones. The encoder avoids new references to them so that they
// can be evicted.
func (e *Encoder) drainIndex() uint64 {
	t := &e.table
	idx := t.dropped
	if t.size <= t.capacity/4*3 {
		return idx
	}
	var drained uint64
	for i := range t.entries {
		if drained >= t.capacity/4 {
			break
		}
		drained += t.entries[i].size()
		idx++
	}
	return idx
}

// forget removes an evicted entry from the lookup maps.
func (e *Encoder) forget(abs uint64, ent *tableEntry) {
	key := staticKey{ent.name, ent.value}
	if e.byField[key] == abs {
		delete(e.byField, key)
	}
	if e.byName[ent.name] == abs {
		delete(e.byName, ent.name)
	}
}

// noInsert reports whether fields with this name are left out of the
// dynamic table because their values seldom repeat, so that an entry would
// only push out more useful ones.
func noInsert(name string) bool {
	switch name {
	case ":path", "content-length", "date", "etag", "if-modified-since",
		"if-none-match", "last-modified", "location", "age", "expires":
		return true
	}
	return false
}
