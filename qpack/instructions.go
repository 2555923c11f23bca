package qpack

// Encoder-stream instructions (RFC 9204, Section 4.3). Strings are
// Huffman-coded when huff is set and that makes them shorter.

// appendSetCapacity appends Set Dynamic Table Capacity (Section 4.3.1).
func appendSetCapacity(b []byte, capacity uint64) []byte {
	return appendInt(b, 0x20, 5, capacity)
}

// appendInsertNameRef appends Insert with Name Reference (Section 4.3.2):
// the name is static entry idx, or the dynamic entry with relative index
// idx.
func appendInsertNameRef(b []byte, static bool, idx uint64, value string, huff bool) []byte {
	first := byte(0x80)
	if static {
		first |= 0x40
	}
	b = appendInt(b, first, 6, idx)
	return appendString(b, 0, 7, value, huff)
}

// appendInsertLiteralName appends Insert with Literal Name (Section 4.3.3).
func appendInsertLiteralName(b []byte, name, value string, huff bool) []byte {
	b = appendString(b, 0x40, 5, name, huff)
	return appendString(b, 0, 7, value, huff)
}

// appendDuplicate appends Duplicate (Section 4.3.4) of the entry with
// relative index rel.
func appendDuplicate(b []byte, rel uint64) []byte {
	return appendInt(b, 0x00, 5, rel)
}

// Decoder-stream instructions (RFC 9204, Section 4.4).

// appendSectionAck appends Section Acknowledgment (Section 4.4.1).
func appendSectionAck(b []byte, streamID uint64) []byte {
	return appendInt(b, 0x80, 7, streamID)
}

// appendStreamCancel appends Stream Cancellation (Section 4.4.2).
func appendStreamCancel(b []byte, streamID uint64) []byte {
	return appendInt(b, 0x40, 6, streamID)
}

// appendInsertCountIncrement appends Insert Count Increment (Section
// 4.4.3).
func appendInsertCountIncrement(b []byte, inc uint64) []byte {
	return appendInt(b, 0x00, 6, inc)
}
