package quic

import (
	"slices"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// Send buffer bounds. A stream buffers at most the peer's current stream window
// beyond the acknowledged offset, but never less than minSendBuffer (so a writer
// can run ahead of flow control a little) and never more than maxSendBuffer.
const (
	minSendBuffer = 1 << 20
	maxSendBuffer = 16 << 20
)

// Reset states of the sending part (RFC 9000, Section 3.1).
const (
	resetNone    = iota
	resetPending // RESET_STREAM to be sent (again)
	resetSent    // RESET_STREAM in flight
	resetAcked   // "Reset Recvd": the send side is done
)

// sendState is the sending part of a stream (RFC 9000, Section 3.1): the bytes
// written and not yet acknowledged, what was sent, acknowledged and lost, the
// peer's stream limit, FIN and reset. It is guarded by the Stream's mutex.
type sendState struct {
	buf     chunkQueue // bytes [ackedTo, written)
	written uint64     // end of the data written by the application
	next    uint64     // lowest offset never sent
	ackedTo uint64     // every byte below is acknowledged
	acked   spanSet    // acknowledged ranges, including [0, ackedTo)
	lost    spanSet    // ranges to retransmit, none acknowledged

	maxData   uint64 // the peer's MAX_STREAM_DATA
	blockedAt uint64 // limit of the last STREAM_DATA_BLOCKED

	reset     int    // resetNone, resetPending, resetSent or resetAcked
	resetCode uint64 // application error code of RESET_STREAM
	finalSize uint64 // final size announced by RESET_STREAM
	err       error  // returned by Write after a reset

	// The flags come last, together, so that they share one word.
	blockedSent    bool // a STREAM_DATA_BLOCKED was queued for blockedAt
	blockedPending bool // STREAM_DATA_BLOCKED to be sent
	closed         bool // Close was called: FIN at offset written
	finSent        bool // a frame with FIN is in flight or acknowledged
	finAcked       bool
}

// bufferLimit returns how many unacknowledged bytes may be buffered.
func (t *sendState) bufferLimit() uint64 {
	lim := uint64(minSendBuffer)
	if t.maxData > t.ackedTo {
		lim = max(lim, min(t.maxData-t.ackedTo, maxSendBuffer))
	}
	return lim
}

// write copies as much of p as the buffer limit allows and returns the count.
func (t *sendState) write(p []byte) int {
	used := t.written - t.ackedTo
	lim := t.bufferLimit()
	if used >= lim || len(p) == 0 {
		return 0
	}
	n := int(min(uint64(len(p)), lim-used))
	t.buf.write(t.written, p[:n])
	t.written += uint64(n)
	return n
}

// startReset abandons the send side: the buffer is freed and RESET_STREAM with
// code is queued, announcing the bytes sent so far as the final size (RFC 9000,
// Section 3.3). It reports false if the send side already ended.
func (t *sendState) startReset(code uint64, err error) bool {
	if t.reset != resetNone || t.done() {
		return false
	}
	t.reset = resetPending
	t.resetCode = code
	t.finalSize = t.next
	t.err = err
	t.buf.free(0)
	t.lost = t.lost[:0]
	t.blockedPending = false
	return true
}

// done reports whether the send side reached a terminal state: "Data Recvd" or
// "Reset Recvd" (RFC 9000, Section 3.1).
func (t *sendState) done() bool {
	return t.reset == resetAcked || (t.closed && t.finAcked && t.ackedTo >= t.written)
}

// hasNewData reports whether bytes or a FIN wait for their first transmission.
func (t *sendState) hasNewData() bool {
	return t.reset == resetNone && (t.next < t.written || (t.closed && !t.finSent))
}

// ctrlPending reports whether RESET_STREAM, STREAM_DATA_BLOCKED or a
// retransmission waits to be sent.
func (t *sendState) ctrlPending() bool {
	switch t.reset {
	case resetPending:
		return true
	case resetNone:
		return len(t.lost) > 0 || t.blockedPending
	}
	return false
}

// dataPending reports whether new data or a FIN can be sent with connCredit
// bytes of connection-level flow control credit available.
func (t *sendState) dataPending(connCredit uint64) bool {
	if t.reset != resetNone {
		return false
	}
	if t.closed && !t.finSent && t.next == t.written {
		return true
	}
	return t.next < t.written && t.next < t.maxData && connCredit > 0
}

// onAcked records the acknowledgment of a STREAM frame.
func (t *sendState) onAcked(off, n uint64, fin bool) {
	if t.reset != resetNone {
		return
	}
	end := off + n
	t.acked.add(off, end)
	t.lost.sub(off, end)
	if fin {
		t.finAcked = true
	}
	t.ackedTo = t.acked.contiguous(t.ackedTo)
	if t.done() {
		t.buf.free(0)
	} else {
		t.buf.release(t.ackedTo)
	}
}

// onLost queues the unacknowledged part of a lost STREAM frame for
// retransmission.
func (t *sendState) onLost(off, n uint64, fin bool) {
	if t.reset != resetNone {
		return
	}
	end := off + n
	if end > t.ackedTo {
		t.lost.add(max(off, t.ackedTo), end)
		for _, a := range t.acked {
			if a.end > off && a.start < end {
				t.lost.sub(a.start, a.end)
			}
		}
	}
	if fin && !t.finAcked {
		t.finSent = false
	}
}

// appendData appends a STREAM frame carrying up to maxN bytes from offset off,
// within limit bytes of b. It attaches a FIN when the frame ends the stream. It
// returns the extended b, the bytes carried and whether a frame was appended.
func (t *sendState) appendData(b []byte, limit int, id int64, off, maxN uint64) (
	[]byte, uint64, bool, bool) {
	hdr := 1 + wire.VarintLen(uint64(id))
	if off > 0 {
		hdr += wire.VarintLen(off)
	}
	space := limit - len(b) - hdr
	if space < 2 {
		return b, 0, false, false
	}
	n := min(maxN, uint64(space))
	n = min(maxN, uint64(space-wire.VarintLen(n)))
	if n == 0 && maxN > 0 {
		return b, 0, false, false
	}
	fin := t.closed && off+n == t.written
	typ := byte(0x08 | 0x02) // STREAM with LEN (RFC 9000, Section 19.8)
	if off > 0 {
		typ |= 0x04
	}
	if fin {
		typ |= 0x01
		t.finSent = true
	}
	b = append(b, typ)
	b = wire.AppendVarint(b, uint64(id))
	if off > 0 {
		b = wire.AppendVarint(b, off)
	}
	b = wire.AppendVarint(b, n)
	start := len(b)
	b = slices.Grow(b, int(n))[:start+int(n)]
	t.buf.read(off, b[start:])
	return b, n, fin, true
}

// Kinds of streamFrameRecord.
const (
	recStream uint8 = iota + 1
	recResetStream
	recStopSending
	recMaxStreamData
	recStreamDataBlocked
	recMaxData
	recDataBlocked
	recMaxStreamsBidi
	recMaxStreamsUni
	recStreamsBlockedBidi
	recStreamsBlockedUni
)

// streamFrameRecord remembers one stream-related frame sent in a packet so that
// its acknowledgment or loss can be reported with onAcked or onLost. It is a
// small value holding no pointers: a lost frame is rebuilt from the current
// state, not replayed.
type streamFrameRecord struct {
	id   int64  // stream ID, for stream-specific frames
	off  uint64 // STREAM: offset; *_BLOCKED: the limit announced
	n    uint32 // STREAM: length
	kind uint8  // recStream, recResetStream, ...
	fin  bool   // STREAM: FIN bit
}

// appendControl appends the stream's pending control frames (RESET_STREAM,
// STREAM_DATA_BLOCKED, STOP_SENDING, MAX_STREAM_DATA) and retransmissions of
// lost data. It returns the receive window size when auto-tuning grew it, or 0.
func (s *Stream) appendControl(b []byte, limit int, now time.Time, rtt time.Duration,
	recs []streamFrameRecord) ([]byte, []streamFrameRecord, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var grown uint64
	if s.canSend {
		b, recs = s.appendSendControl(b, limit, recs)
	}
	if s.canRecv {
		b, recs, grown = s.appendRecvControl(b, limit, now, rtt, recs)
	}
	if s.canSend {
		b, recs = s.appendLost(b, limit, recs)
	}
	return b, recs, grown
}

// appendSendControl appends RESET_STREAM and STREAM_DATA_BLOCKED when due.
func (s *Stream) appendSendControl(b []byte, limit int, recs []streamFrameRecord) (
	[]byte, []streamFrameRecord) {
	t := &s.send
	id := uint64(s.id)
	if t.reset == resetPending {
		size := 1 + wire.VarintLen(id) + wire.VarintLen(t.resetCode) + wire.VarintLen(t.finalSize)
		if limit-len(b) >= size {
			b = append(b, byte(wire.FrameTypeResetStream)) // RESET_STREAM, RFC 9000, Section 19.4
			b = wire.AppendVarint(b, id)
			b = wire.AppendVarint(b, t.resetCode)
			b = wire.AppendVarint(b, t.finalSize)
			t.reset = resetSent
			recs = append(recs, streamFrameRecord{id: s.id, kind: recResetStream})
		}
	}
	if t.blockedPending && t.reset == resetNone {
		if limit-len(b) >= 1+wire.VarintLen(id)+wire.VarintLen(t.blockedAt) {
			// STREAM_DATA_BLOCKED, RFC 9000, Section 19.13.
			b = append(b, byte(wire.FrameTypeStreamDataBlocked))
			b = wire.AppendVarint(b, id)
			b = wire.AppendVarint(b, t.blockedAt)
			t.blockedPending = false
			recs = append(recs, streamFrameRecord{id: s.id, off: t.blockedAt,
				kind: recStreamDataBlocked})
		}
	}
	return b, recs
}

// appendRecvControl appends STOP_SENDING and MAX_STREAM_DATA when due. The limit
// is renewed when the reader consumed half the window; the window doubles first
// when that took less than two round trips.
func (s *Stream) appendRecvControl(b []byte, limit int, now time.Time, rtt time.Duration,
	recs []streamFrameRecord) ([]byte, []streamFrameRecord, uint64) {
	r := &s.recv
	id := uint64(s.id)
	if r.stopPending {
		if limit-len(b) >= 1+wire.VarintLen(id)+wire.VarintLen(r.stopCode) {
			b = append(b, byte(wire.FrameTypeStopSending)) // STOP_SENDING, RFC 9000, Section 19.5
			b = wire.AppendVarint(b, id)
			b = wire.AppendVarint(b, r.stopCode)
			r.stopPending = false
			recs = append(recs, streamFrameRecord{id: s.id, kind: recStopSending})
		}
	}
	var grown uint64
	if r.wantLimitUpdate() && limit-len(b) >= 1+wire.VarintLen(id)+8 {
		if r.win.wantUpdate(r.readOff) {
			old := r.win.window
			r.win.update(r.readOff, now, rtt)
			if r.win.window > old {
				grown = r.win.window
			}
		}
		b = append(b, byte(wire.FrameTypeMaxStreamData)) // MAX_STREAM_DATA, RFC 9000, Section 19.10
		b = wire.AppendVarint(b, id)
		b = wire.AppendVarint(b, r.win.limit)
		r.sendLimit = false
		recs = append(recs, streamFrameRecord{id: s.id, kind: recMaxStreamData})
	}
	return b, recs, grown
}

// appendLost appends STREAM frames retransmitting lost data, oldest first.
func (s *Stream) appendLost(b []byte, limit int, recs []streamFrameRecord) (
	[]byte, []streamFrameRecord) {
	t := &s.send
	for len(t.lost) > 0 && t.reset == resetNone {
		sp := t.lost[0]
		nb, n, fin, ok := t.appendData(b, limit, s.id, sp.start, sp.end-sp.start)
		if !ok {
			break
		}
		b = nb
		recs = append(recs, streamFrameRecord{id: s.id, off: sp.start, n: uint32(n),
			kind: recStream, fin: fin})
		t.lost.sub(sp.start, sp.start+n)
	}
	return b, recs
}

// appendNew appends a STREAM frame with data never sent before, or a lone FIN,
// using at most credit bytes of connection-level flow control. It returns the
// credit used. A stream blocked by its own limit queues STREAM_DATA_BLOCKED
// (RFC 9000, Section 4.1).
func (s *Stream) appendNew(b []byte, limit int, credit uint64, recs []streamFrameRecord) (
	[]byte, []streamFrameRecord, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.send
	if !s.canSend || !t.hasNewData() {
		return b, recs, 0
	}
	avail := t.written - t.next
	window := uint64(0)
	if t.maxData > t.next {
		window = t.maxData - t.next
	}
	maxN := min(avail, window, credit)
	if avail > 0 && maxN == 0 {
		t.checkBlocked()
		return b, recs, 0
	}
	nb, n, fin, ok := t.appendData(b, limit, s.id, t.next, maxN)
	if !ok {
		return b, recs, 0
	}
	recs = append(recs, streamFrameRecord{id: s.id, off: t.next, n: uint32(n),
		kind: recStream, fin: fin})
	t.next += n
	t.checkBlocked()
	return nb, recs, n
}

// checkBlocked queues STREAM_DATA_BLOCKED, once per limit, when data waits for
// the peer's stream limit.
func (t *sendState) checkBlocked() {
	if t.next < t.written && t.next >= t.maxData &&
		(!t.blockedSent || t.blockedAt != t.maxData) {
		t.blockedSent, t.blockedAt, t.blockedPending = true, t.maxData, true
	}
}

// heldByConn reports whether the stream has data that only connection-level
// flow control holds back.
func (t *sendState) heldByConn() bool {
	return t.reset == resetNone && t.next < t.written && t.next < t.maxData
}

// appendFrames appends stream-related frames to the packet payload b without
// growing it by more than room bytes, and a record of each frame to recs.
// Connection-level frames come first, then the queued streams' control frames
// and retransmissions, then new data from streams served round-robin. now and
// rtt drive receive-window auto-tuning.
func (ss *streamsState) appendFrames(b []byte, room int, now time.Time, rtt time.Duration,
	recs []streamFrameRecord) ([]byte, []streamFrameRecord) {
	limit := len(b) + room
	ss.lastNow.Store(now.UnixNano())
	if ss.connWin.epoch.IsZero() {
		ss.connWin.epoch = now // auto-tuning measures from the first packet
	}
	b, recs = ss.appendConnFrames(b, limit, now, rtt, recs)
	b, recs = ss.appendCtrlFrames(b, limit, now, rtt, recs)
	return ss.appendNewData(b, limit, recs)
}

// appendCtrlFrames serves the control queue: RESET_STREAM, STOP_SENDING,
// MAX_STREAM_DATA, STREAM_DATA_BLOCKED and retransmissions. Streams that ended
// are removed from the set.
func (ss *streamsState) appendCtrlFrames(b []byte, limit int, now time.Time,
	rtt time.Duration, recs []streamFrameRecord) ([]byte, []streamFrameRecord) {
	ss.qmu.Lock()
	ss.work = append(ss.work[:0], ss.ctrlQ...)
	clear(ss.ctrlQ)
	ss.ctrlQ = ss.ctrlQ[:0]
	ss.qmu.Unlock()
	if len(ss.work) == 0 {
		return b, recs
	}
	visited := 0
	for _, s := range ss.work {
		if limit-len(b) < minStreamFrameRoom {
			break
		}
		var grown uint64
		b, recs, grown = s.appendControl(b, limit, now, rtt, recs)
		if grown > 0 {
			// Keep the connection window ahead of the stream windows.
			ss.connWin.atLeast(grown + grown/2)
			ss.connHalf.Store(ss.connWin.window / 2)
		}
		visited++
	}
	ss.requeueCtrl(visited)
	return b, recs
}

// appendNewData serves the data queue round-robin: each stream gets one frame
// per turn and goes to the back of the queue while it has more to send.
func (ss *streamsState) appendNewData(b []byte, limit int, recs []streamFrameRecord) (
	[]byte, []streamFrameRecord) {
	ss.qmu.Lock()
	turns := ss.dataQ.n
	ss.qmu.Unlock()
	for ; turns > 0 && limit-len(b) >= minStreamFrameRoom; turns-- {
		ss.qmu.Lock()
		if ss.dataQ.n == 0 {
			ss.qmu.Unlock()
			break
		}
		s := ss.dataQ.pop()
		ss.qmu.Unlock()

		var used uint64
		b, recs, used = s.appendNew(b, limit, ss.peerMaxData-ss.sentData, recs)
		ss.sentData += used
		ss.requeueData(s)
	}
	return b, recs
}

// requeueData puts s back at the end of the data queue if it has more to send.
// A stream held back only by MAX_DATA waits in ss.connBlocked instead, and one
// that now needs STREAM_DATA_BLOCKED joins the control queue.
func (ss *streamsState) requeueData(s *Stream) {
	credit := ss.peerMaxData - ss.sentData
	// qmu is held while s is examined so that a concurrent Write cannot find
	// s still marked as queued and then be forgotten.
	ss.qmu.Lock()
	s.mu.Lock()
	pending := s.send.dataPending(credit)
	held := credit == 0 && s.send.heldByConn()
	ctrl := s.send.blockedPending
	s.mu.Unlock()
	if pending {
		ss.dataQ.push(s)
	} else {
		s.inData = false
	}
	if ctrl && !s.inCtrl {
		s.inCtrl = true
		ss.ctrlQ = append(ss.ctrlQ, s)
	}
	ss.qmu.Unlock()
	if held {
		ss.blockOnConn(s)
	}
}

// minStreamFrameRoom is the space below which appendFrames stops looking for
// stream frames to add.
const minStreamFrameRoom = 4

// appendConnFrames appends MAX_DATA, DATA_BLOCKED, MAX_STREAMS and
// STREAMS_BLOCKED when due.
func (ss *streamsState) appendConnFrames(b []byte, limit int, now time.Time,
	rtt time.Duration, recs []streamFrameRecord) ([]byte, []streamFrameRecord) {
	consumed := ss.consumed.Load()
	want := ss.connWin.wantUpdate(consumed)
	if (want || ss.maxDataLost) && limit-len(b) >= 9 {
		if want {
			ss.connWin.update(consumed, now, rtt)
			ss.connLimit.Store(ss.connWin.limit)
			ss.connHalf.Store(ss.connWin.window / 2)
		}
		// MAX_DATA, RFC 9000, Section 19.9.
		b = wire.AppendVarint(append(b, byte(wire.FrameTypeMaxData)), ss.connWin.limit)
		ss.maxDataLost = false
		recs = append(recs, streamFrameRecord{kind: recMaxData})
	}
	if ss.dataBlockedPending && limit-len(b) >= 9 {
		// DATA_BLOCKED, RFC 9000, Section 19.12.
		b = wire.AppendVarint(append(b, byte(wire.FrameTypeDataBlocked)), ss.dataBlockedAt)
		ss.dataBlockedPending = false
		recs = append(recs, streamFrameRecord{off: ss.dataBlockedAt, kind: recDataBlocked})
	}

	ss.mu.Lock()
	defer ss.mu.Unlock()
	for d := range ss.rem {
		r := &ss.rem[d]
		if r.limitPending && limit-len(b) >= 9 {
			// MAX_STREAMS, RFC 9000, Section 19.11.
			b = append(b, byte(wire.FrameTypeMaxStreamsBidi)+byte(d))
			b = wire.AppendVarint(b, r.limit)
			r.limitPending = false
			recs = append(recs, streamFrameRecord{kind: recMaxStreamsBidi + uint8(d)})
		}
	}
	for d := range ss.loc {
		l := &ss.loc[d]
		if l.blockedPending && limit-len(b) >= 9 {
			// STREAMS_BLOCKED, RFC 9000, Section 19.14.
			b = append(b, byte(wire.FrameTypeStreamsBlockedBidi)+byte(d))
			b = wire.AppendVarint(b, l.blockedAt)
			l.blockedPending = false
			recs = append(recs, streamFrameRecord{off: l.blockedAt,
				kind: recStreamsBlockedBidi + uint8(d)})
		}
	}
	return b, recs
}

// requeueCtrl puts the streams of ss.work that still have control frames to send
// back in the control queue: those not visited first, then streams queued
// meanwhile, then those visited. Streams that ended are removed.
func (ss *streamsState) requeueCtrl(visited int) {
	ss.finished = ss.finished[:0]
	ss.qmu.Lock()
	q := append(ss.ctrlSpare[:0], ss.work[visited:]...)
	q = append(q, ss.ctrlQ...)
	for _, s := range ss.work[:visited] {
		s.mu.Lock()
		pending := s.ctrlPendingLocked()
		done := !s.removed && s.doneLocked()
		if done {
			s.removed = true
		}
		s.mu.Unlock()
		if pending {
			q = append(q, s)
		} else {
			s.inCtrl = false
		}
		if done {
			ss.finished = append(ss.finished, s)
		}
	}
	ss.ctrlSpare = ss.ctrlQ[:0]
	ss.ctrlQ = q
	ss.qmu.Unlock()
	clear(ss.work)
	for i, s := range ss.finished {
		ss.remove(s)
		ss.finished[i] = nil
	}
}

// blockOnConn parks s until MAX_DATA raises the connection limit, and queues
// DATA_BLOCKED once per limit (RFC 9000, Section 4.1).
func (ss *streamsState) blockOnConn(s *Stream) {
	if !s.connBlocked {
		s.connBlocked = true
		ss.connBlocked = append(ss.connBlocked, s)
	}
	if !ss.dataBlockedSent || ss.dataBlockedAt != ss.peerMaxData {
		ss.dataBlockedSent, ss.dataBlockedAt = true, ss.peerMaxData
		ss.dataBlockedPending = true
	}
}

// hasPending reports whether appendFrames has anything to send.
func (ss *streamsState) hasPending() bool {
	ss.qmu.Lock()
	n := len(ss.ctrlQ) + ss.dataQ.n
	ss.qmu.Unlock()
	if n > 0 || ss.maxDataLost || ss.dataBlockedPending ||
		ss.connWin.wantUpdate(ss.consumed.Load()) {
		return true
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for d := range 2 {
		if ss.rem[d].limitPending || ss.loc[d].blockedPending {
			return true
		}
	}
	return false
}

// onAcked reports that the frame of r was acknowledged.
func (ss *streamsState) onAcked(r streamFrameRecord) {
	if r.kind != recStream && r.kind != recResetStream {
		return
	}
	s := ss.lookup(r.id)
	if s == nil {
		return
	}
	s.mu.Lock()
	if r.kind == recStream {
		s.send.onAcked(r.off, uint64(r.n), r.fin)
	} else if s.send.reset == resetSent {
		s.send.reset = resetAcked
	}
	s.mu.Unlock()
	signal(s.writeGate)
	ss.maybeRemove(s)
}

// onLost reports that the frame of r was lost; what it carried is queued again
// if it is still needed, from the current state.
func (ss *streamsState) onLost(r streamFrameRecord) {
	switch r.kind {
	case recMaxData:
		ss.maxDataLost = true
		return
	case recDataBlocked:
		ss.dataBlockedPending = ss.dataBlockedPending || r.off == ss.peerMaxData
		return
	case recMaxStreamsBidi, recMaxStreamsUni:
		ss.mu.Lock()
		ss.rem[r.kind-recMaxStreamsBidi].limitPending = true
		ss.mu.Unlock()
		return
	case recStreamsBlockedBidi, recStreamsBlockedUni:
		ss.mu.Lock()
		l := &ss.loc[r.kind-recStreamsBlockedBidi]
		l.blockedPending = l.blockedPending || (r.off == l.peerMax && l.opened >= l.peerMax)
		ss.mu.Unlock()
		return
	}
	s := ss.lookup(r.id)
	if s == nil {
		return
	}
	s.mu.Lock()
	s.lostLocked(r)
	s.mu.Unlock()
	ss.queueCtrl(s)
	if r.kind == recStream && r.fin {
		ss.queueData(s) // a lone FIN goes out with new data
	}
}

// lostLocked applies the loss of a stream-specific frame.
func (s *Stream) lostLocked(r streamFrameRecord) {
	switch r.kind {
	case recStream:
		s.send.onLost(r.off, uint64(r.n), r.fin)
	case recResetStream:
		if s.send.reset == resetSent {
			s.send.reset = resetPending
		}
	case recStopSending:
		s.recv.stopPending = s.recv.stopped && !s.recv.resetRecvd && !s.recv.allReceived()
	case recMaxStreamData:
		s.recv.sendLimit = true
	case recStreamDataBlocked:
		t := &s.send
		if t.reset == resetNone && r.off == t.maxData && t.next >= t.maxData &&
			t.next < t.written {
			t.blockedPending = true
		}
	}
}
