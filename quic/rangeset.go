package quic

// byteRange is the half-open interval [start, end) of stream offsets.
type byteRange struct {
	start, end uint64
}

// rangeSet is a sorted list of disjoint, non-adjacent byte ranges. It is used by
// the CRYPTO streams to track what was received, sent and acknowledged. The
// zero value is empty. It is not safe for concurrent use.
type rangeSet []byteRange

// add inserts [start, end) and merges it with overlapping or adjacent ranges.
func (s *rangeSet) add(start, end uint64) {
	if start >= end {
		return
	}
	r := *s
	// Find the first range that ends at or after start.
	i := 0
	for i < len(r) && r[i].end < start {
		i++
	}
	j := i
	for j < len(r) && r[j].start <= end {
		start = min(start, r[j].start)
		end = max(end, r[j].end)
		j++
	}
	if i == j {
		r = append(r, byteRange{})
		copy(r[i+1:], r[i:])
		r[i] = byteRange{start, end}
	} else {
		r[i] = byteRange{start, end}
		r = append(r[:i+1], r[j:]...)
	}
	*s = r
}

// sub removes [start, end) from the set.
func (s *rangeSet) sub(start, end uint64) {
	if start >= end {
		return
	}
	r := *s
	out := r[:0:0]
	for _, x := range r {
		if x.end <= start || x.start >= end {
			out = append(out, x)
			continue
		}
		if x.start < start {
			out = append(out, byteRange{x.start, start})
		}
		if x.end > end {
			out = append(out, byteRange{end, x.end})
		}
	}
	*s = out
}

// prefixEnd returns the end of the range that starts at zero, or zero.
func (s rangeSet) prefixEnd(from uint64) uint64 {
	for _, x := range s {
		if x.start <= from && from < x.end {
			return x.end
		}
	}
	return from
}
