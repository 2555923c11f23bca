package qpack

// entryOverhead is the per-entry overhead counted in the table size (RFC 9204,
// Section 3.2.1).
const entryOverhead = 32

// A tableEntry is one entry of a dynamic table.
type tableEntry struct {
	name, value string
	// pins counts the unacknowledged field sections whose oldest dynamic
	// reference is this entry. Only the encoder uses it; see
	// Encoder.evictable.
	pins int
}

// size returns the size of the entry as RFC 9204, Section 3.2.1 defines it.
func (e *tableEntry) size() uint64 {
	return uint64(len(e.name)) + uint64(len(e.value)) + entryOverhead
}

// A dynamicTable is the dynamic table of RFC 9204, Section 3.2, kept in
// absolute indexes: the oldest entry still present has absolute index
// dropped, the newest insertCount()-1.
type dynamicTable struct {
	entries  []tableEntry // oldest first
	dropped  uint64       // entries evicted so far: the absolute index of entries[0]
	size     uint64       // sum of the entries' sizes
	capacity uint64       // the current capacity
}

// insertCount returns the number of entries ever inserted (RFC 9204, Section
// 2.1.4 calls it the Insert Count).
func (t *dynamicTable) insertCount() uint64 {
	return t.dropped + uint64(len(t.entries))
}

// entry returns the entry with absolute index abs, or nil when it was
// evicted or not inserted yet.
func (t *dynamicTable) entry(abs uint64) *tableEntry {
	if abs < t.dropped || abs >= t.insertCount() {
		return nil
	}
	return &t.entries[abs-t.dropped]
}

// evictTo evicts the oldest entries until the size is at most limit.
func (t *dynamicTable) evictTo(limit uint64, onEvict func(abs uint64, e *tableEntry)) {
	for t.size > limit && len(t.entries) > 0 {
		e := &t.entries[0]
		if onEvict != nil {
			onEvict(t.dropped, e)
		}
		t.size -= e.size()
		t.entries[0] = tableEntry{} // let the strings be collected
		t.entries = t.entries[1:]
		t.dropped++
	}
	if len(t.entries) == 0 {
		t.entries = t.entries[:0:0]
	}
}

// add appends an entry, which the caller has made room for, and returns its
// absolute index.
func (t *dynamicTable) add(name, value string) uint64 {
	t.entries = append(t.entries, tableEntry{name: name, value: value})
	t.size += t.entries[len(t.entries)-1].size()
	return t.insertCount() - 1
}

// fieldSize returns the size a field would have as a table entry.
func fieldSize(name, value string) uint64 {
	return uint64(len(name)) + uint64(len(value)) + entryOverhead
}
