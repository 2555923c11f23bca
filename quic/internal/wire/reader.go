package wire

// reader reads the fields of a frame or transport parameter. Once a read runs
// past the end of the buffer, ok turns false and every later read returns zero
// values, so that a parser can check once at the end. It lives on the stack and
// never allocates.
type reader struct {
	b  []byte
	ok bool
}

func newReader(b []byte) reader { return reader{b: b, ok: true} }

func (r *reader) fail() {
	r.ok = false
	r.b = nil
}

// varint reads a variable-length integer. The one-byte case, by far the most
// common in ACK ranges and stream IDs, is kept small enough to inline.
func (r *reader) varint() uint64 {
	if b := r.b; len(b) > 0 && b[0] < 0x40 {
		r.b = b[1:]
		return uint64(b[0])
	}
	return r.varintSlow()
}

func (r *reader) varintSlow() uint64 {
	v, n := ConsumeVarint(r.b)
	if n < 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// byte1 reads one byte.
func (r *reader) byte1() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// bytes returns the next n bytes, aliasing the buffer. n is checked against the
// bytes present before any use, so a hostile length cannot cause allocation.
func (r *reader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

// lenBytes reads a varint length followed by that many bytes.
func (r *reader) lenBytes() []byte {
	return r.bytes(r.varint())
}
