package quic

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// streamLimits are stream-related transport parameters (RFC 9000, Section 18.2):
// first the limits we advertise, taken from Config, later the peer's. The two
// window ceilings are local only: they bound receive-window auto-tuning.
type streamLimits struct {
	maxData                 uint64 // initial_max_data
	maxStreamDataBidiLocal  uint64 // initial_max_stream_data_bidi_local
	maxStreamDataBidiRemote uint64 // initial_max_stream_data_bidi_remote
	maxStreamDataUni        uint64 // initial_max_stream_data_uni
	maxStreamsBidi          uint64 // initial_max_streams_bidi
	maxStreamsUni           uint64 // initial_max_streams_uni
	maxStreamWindow         uint64 // ceiling of a stream's receive window
	maxConnWindow           uint64 // ceiling of the connection's receive window
}

// maxStreamCount is the highest stream count a MAX_STREAMS frame may carry
// (RFC 9000, Section 19.11).
const maxStreamCount = 1 << 60

// Indexes of the per-direction stream counters.
const (
	dirBidi = 0
	dirUni  = 1
)

// localStreams counts the streams of one direction that we open.
type localStreams struct {
	opened         uint64        // streams opened so far
	peerMax        uint64        // the peer's MAX_STREAMS
	blockedAt      uint64        // limit of the last STREAMS_BLOCKED
	blockedSent    bool          // a STREAMS_BLOCKED was queued for blockedAt
	blockedPending bool          // STREAMS_BLOCKED to be sent
	raised         chan struct{} // closed when peerMax grows
}

// remoteStreams counts the streams of one direction that the peer opens.
type remoteStreams struct {
	opened       uint64        // streams created so far (by ID, Section 3.2)
	closed       uint64        // streams that ended and were freed
	window       uint64        // how many may be open at once (from Config)
	limit        uint64        // MAX_STREAMS advertised
	limitPending bool          // MAX_STREAMS to be sent
	acceptQ      []*Stream     // created and not yet accepted
	arrived      chan struct{} // closed when acceptQ grows
}

// streamsState is the set of streams of one connection with its flow control and
// stream limits (RFC 9000, Sections 2-4).
//
// The handle*, append*, on*, hasPending and setPeerLimits methods are called only
// from the connection's goroutine; open, accept, closeAll and the Stream methods
// may be called from any goroutine. Lock order: a goroutine holding a Stream's
// mutex takes no other lock; ss.qmu may be held while taking a Stream's mutex;
// ss.mu is never held while taking another lock.
type streamsState struct {
	isClient bool
	local    streamLimits
	wake     func()
	ctx      context.Context
	cancel   context.CancelCauseFunc

	mu       sync.Mutex
	streams  map[int64]*Stream
	peer     streamLimits
	loc      [2]localStreams
	rem      [2]remoteStreams
	closeErr error
	closed   chan struct{} // closed by closeAll

	qmu       sync.Mutex
	ctrlQ     []*Stream  // streams with control frames or retransmissions
	ctrlSpare []*Stream  // recycled backing array for ctrlQ
	dataQ     streamRing // streams with new data, served round-robin

	// Connection-level flow control, owned by the connection goroutine except
	// for the atomics, which Read updates.
	peerMaxData        uint64 // the peer's MAX_DATA
	sentData           uint64 // sum of the streams' highest sent offsets
	dataBlockedAt      uint64
	dataBlockedSent    bool
	dataBlockedPending bool
	connBlocked        []*Stream // streams with data held back by MAX_DATA
	work               []*Stream // scratch for appendFrames
	finished           []*Stream // scratch for appendFrames

	connWin     recvWindow    // our MAX_DATA and its window
	maxDataLost bool          // the last MAX_DATA was lost: send it again
	recvHighest uint64        // sum of the streams' highest received offsets
	consumed    atomic.Uint64 // bytes read or discarded, from any goroutine
	connLimit   atomic.Uint64 // copy of connWin.limit for readers
	connHalf    atomic.Uint64 // copy of connWin.window/2 for readers

	// lastNow is the time appendFrames last ran (Unix nanoseconds): new
	// streams start their auto-tuning epoch there, without reading the clock.
	lastNow atomic.Int64
}

// newStreamsState returns the stream set of a connection. local holds the limits
// we advertise; wake is called from any goroutine, without blocking, when there
// is something new to send.
func newStreamsState(isClient bool, local streamLimits, wake func()) *streamsState {
	ss := &streamsState{
		isClient: isClient,
		local:    local,
		wake:     wake,
		streams:  make(map[int64]*Stream),
		closed:   make(chan struct{}),
		connWin:  newRecvWindow(local.maxData, local.maxConnWindow),
	}
	ss.ctx, ss.cancel = context.WithCancelCause(context.Background())
	ss.connLimit.Store(ss.connWin.limit)
	ss.connHalf.Store(ss.connWin.window / 2)
	for d, n := range [2]uint64{local.maxStreamsBidi, local.maxStreamsUni} {
		n = min(n, maxStreamCount)
		ss.rem[d] = remoteStreams{window: n, limit: n, arrived: make(chan struct{})}
		ss.loc[d].raised = make(chan struct{})
	}
	return ss
}

// setPeerLimits applies the peer's transport parameters. Limits only grow:
// streams opened before keep any higher limit they already have.
func (ss *streamsState) setPeerLimits(peer streamLimits) {
	ss.mu.Lock()
	ss.peer = peer
	ss.raiseLocalLimit(dirBidi, peer.maxStreamsBidi)
	ss.raiseLocalLimit(dirUni, peer.maxStreamsUni)
	list := make([]*Stream, 0, len(ss.streams))
	for _, s := range ss.streams {
		list = append(list, s)
	}
	ss.mu.Unlock()
	ss.peerMaxData = max(ss.peerMaxData, peer.maxData)
	for _, s := range list {
		if !s.canSend {
			continue
		}
		s.mu.Lock()
		s.send.maxData = max(s.send.maxData, ss.peerStreamLimit(s.id, peer))
		s.mu.Unlock()
		signal(s.writeGate)
		ss.queueData(s)
	}
}

// raiseLocalLimit applies a MAX_STREAMS value from the peer. ss.mu is held.
func (ss *streamsState) raiseLocalLimit(d int, max uint64) {
	max = min(max, maxStreamCount)
	l := &ss.loc[d]
	if max <= l.peerMax {
		return
	}
	l.peerMax = max
	l.blockedPending = false
	close(l.raised)
	l.raised = make(chan struct{})
}

// peerStreamLimit returns the peer's initial limit for sending on stream id.
func (ss *streamsState) peerStreamLimit(id int64, peer streamLimits) uint64 {
	switch {
	case streamIsUni(id):
		return peer.maxStreamDataUni
	case ss.isLocal(id):
		return peer.maxStreamDataBidiRemote
	}
	return peer.maxStreamDataBidiLocal
}

// localStreamLimit returns our initial limit for receiving on stream id.
func (ss *streamsState) localStreamLimit(id int64) uint64 {
	switch {
	case streamIsUni(id):
		return ss.local.maxStreamDataUni
	case ss.isLocal(id):
		return ss.local.maxStreamDataBidiLocal
	}
	return ss.local.maxStreamDataBidiRemote
}

// streamIsUni reports whether id is a unidirectional stream (RFC 9000,
// Section 2.1).
func streamIsUni(id int64) bool { return id&0x2 != 0 }

// isLocal reports whether we initiated stream id.
func (ss *streamsState) isLocal(id int64) bool { return (id&0x1 == 0) == ss.isClient }

// streamDir returns the counter index of stream id.
func streamDir(id int64) int {
	if streamIsUni(id) {
		return dirUni
	}
	return dirBidi
}

// streamID returns the ID of the n-th stream (from zero) of direction d opened by
// the client (client true) or the server.
func streamID(n uint64, d int, client bool) int64 {
	id := int64(n << 2)
	if d == dirUni {
		id |= 0x2
	}
	if !client {
		id |= 0x1
	}
	return id
}

// newStream creates stream id and adds it to the map. ss.mu is held.
func (ss *streamsState) newStream(id int64) *Stream {
	s := &Stream{
		id:        id,
		ss:        ss,
		canSend:   !streamIsUni(id) || ss.isLocal(id),
		canRecv:   !streamIsUni(id) || !ss.isLocal(id),
		readGate:  make(chan struct{}, 1),
		writeGate: make(chan struct{}, 1),
	}
	s.ctx, s.cancel = context.WithCancel(ss.ctx)
	if s.canSend {
		s.send.maxData = ss.peerStreamLimit(id, ss.peer)
	}
	if s.canRecv {
		s.recv.win = newRecvWindow(ss.localStreamLimit(id), ss.local.maxStreamWindow)
		if t := ss.lastNow.Load(); t != 0 {
			s.recv.win.epoch = time.Unix(0, t)
		}
	}
	ss.streams[id] = s
	return s
}

// queueCtrl marks s as having control frames or retransmissions to send, or as
// possibly finished, and wakes the connection. The caller must not hold s.mu.
func (ss *streamsState) queueCtrl(s *Stream) {
	ss.qmu.Lock()
	added := !s.inCtrl
	if added {
		s.inCtrl = true
		ss.ctrlQ = append(ss.ctrlQ, s)
	}
	ss.qmu.Unlock()
	if added {
		ss.wake()
	}
}

// queueData marks s as having new data to send and wakes the connection. The
// caller must not hold s.mu.
func (ss *streamsState) queueData(s *Stream) {
	ss.qmu.Lock()
	added := !s.inData
	if added {
		s.inData = true
		ss.dataQ.push(s)
	}
	ss.qmu.Unlock()
	if added {
		ss.wake()
	}
}

// streamRing is a FIFO of streams that reuses its storage. It is guarded by
// ss.qmu.
type streamRing struct {
	buf  []*Stream
	head int
	n    int
}

// push appends s, growing the storage when it is full.
func (r *streamRing) push(s *Stream) {
	if r.n == len(r.buf) {
		nb := make([]*Stream, max(8, 2*len(r.buf)))
		for i := range r.n {
			nb[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = s
	r.n++
}

// pop removes and returns the oldest stream; the ring must not be empty.
func (r *streamRing) pop() *Stream {
	s := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return s
}

// afterRead returns credit bytes of connection-level flow control after a Read
// or CancelRead on s, and queues s if it has frames to send or may have ended.
func (ss *streamsState) afterRead(s *Stream, credit uint64, queueStream bool) {
	wakeConn := false
	if credit > 0 {
		c := ss.consumed.Add(credit)
		lim := ss.connLimit.Load()
		wakeConn = c <= lim && lim-c <= ss.connHalf.Load()
	}
	if queueStream {
		ss.queueCtrl(s)
	} else if wakeConn {
		ss.wake()
	}
}

// lookup returns the live stream id, or nil.
func (ss *streamsState) lookup(id int64) *Stream {
	ss.mu.Lock()
	s := ss.streams[id]
	ss.mu.Unlock()
	return s
}

// remove drops a stream that ended from the set, so its memory is freed, and
// renews the peer's stream credit (RFC 9000, Section 4.6).
func (ss *streamsState) remove(s *Stream) {
	ss.mu.Lock()
	delete(ss.streams, s.id)
	if !ss.isLocal(s.id) {
		r := &ss.rem[streamDir(s.id)]
		r.closed++
		if l := min(r.closed+r.window, maxStreamCount); l > r.limit {
			r.limit = l
			r.limitPending = true
		}
	}
	ss.mu.Unlock()
	s.cancel()
	ss.wake()
}

// maybeRemove removes s if both its directions ended.
func (ss *streamsState) maybeRemove(s *Stream) {
	s.mu.Lock()
	done := !s.removed && s.doneLocked()
	if done {
		s.removed = true
	}
	s.mu.Unlock()
	if done {
		ss.remove(s)
	}
}

// streamFor returns the stream a frame refers to, creating peer-initiated
// streams up to id (RFC 9000, Section 3.2). It returns nil and no error for a
// stream that already ended: late frames for it are ignored.
func (ss *streamsState) streamFor(id int64) (*Stream, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s := ss.streams[id]; s != nil {
		return s, nil
	}
	n, d := uint64(id)>>2, streamDir(id)
	if ss.isLocal(id) {
		// RFC 9000, Section 19.8 and 19.10: a frame for a locally initiated
		// stream that was not yet created is a STREAM_STATE_ERROR.
		if n >= ss.loc[d].opened {
			return nil, streamErrorf(errCodeStreamState, "frame for stream %d, not yet opened", id)
		}
		return nil, nil
	}
	r := &ss.rem[d]
	if n < r.opened || ss.closeErr != nil {
		return nil, nil
	}
	// RFC 9000, Section 4.6: a stream beyond our limit is a STREAM_LIMIT_ERROR.
	if n >= r.limit {
		return nil, streamErrorf(errCodeStreamLimit, "stream %d beyond limit of %d", id, r.limit)
	}
	for r.opened <= n {
		s := ss.newStream(streamID(r.opened, d, !ss.isClient))
		r.acceptQ = append(r.acceptQ, s)
		r.opened++
	}
	close(r.arrived)
	r.arrived = make(chan struct{})
	return ss.streams[id], nil
}

// recvStreamFor returns the stream of a frame that only the receiving part of a
// stream may get (STREAM, RESET_STREAM, STREAM_DATA_BLOCKED).
func (ss *streamsState) recvStreamFor(id int64, frame string) (*Stream, error) {
	// RFC 9000, Section 19.4, 19.8, 19.13: such a frame for a send-only stream is
	// a STREAM_STATE_ERROR.
	if streamIsUni(id) && ss.isLocal(id) {
		return nil, streamErrorf(errCodeStreamState, "%s for send-only stream %d", frame, id)
	}
	return ss.streamFor(id)
}

// sendStreamFor returns the stream of a frame that only the sending part of a
// stream may get (MAX_STREAM_DATA, STOP_SENDING).
func (ss *streamsState) sendStreamFor(id int64, frame string) (*Stream, error) {
	// RFC 9000, Section 19.5, 19.10: such a frame for a receive-only stream is a
	// STREAM_STATE_ERROR.
	if streamIsUni(id) && !ss.isLocal(id) {
		return nil, streamErrorf(errCodeStreamState, "%s for receive-only stream %d", frame, id)
	}
	return ss.streamFor(id)
}

// handleStream processes a STREAM frame (RFC 9000, Section 19.8).
func (ss *streamsState) handleStream(id int64, off uint64, data []byte, fin bool) error {
	s, err := ss.recvStreamFor(id, "STREAM")
	if s == nil {
		return err
	}
	s.mu.Lock()
	grew, err := s.recv.onData(id, off, data, fin)
	credit := s.recv.takeCredit()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := ss.countReceived(grew); err != nil {
		return err
	}
	signal(s.readGate)
	if credit > 0 {
		ss.afterRead(s, credit, false)
	}
	ss.maybeRemove(s)
	return nil
}

// countReceived adds n newly received bytes to the connection's flow control.
func (ss *streamsState) countReceived(n uint64) error {
	ss.recvHighest += n
	// RFC 9000, Section 4.1: exceeding MAX_DATA is a FLOW_CONTROL_ERROR.
	if ss.recvHighest > ss.connWin.limit {
		return streamErrorf(errCodeFlowControl, "received %d bytes, beyond MAX_DATA %d",
			ss.recvHighest, ss.connWin.limit)
	}
	return nil
}

// handleResetStream processes a RESET_STREAM frame (RFC 9000, Section 19.4).
func (ss *streamsState) handleResetStream(id int64, code, finalSize uint64) error {
	s, err := ss.recvStreamFor(id, "RESET_STREAM")
	if s == nil {
		return err
	}
	return ss.applyReset(s, id, code, finalSize, 0) // see reset_stream_at.go
}

// handleStopSending processes a STOP_SENDING frame (RFC 9000, Section 19.5): the
// send side is reset with the peer's code, and Write reports it.
func (ss *streamsState) handleStopSending(id int64, code uint64) error {
	s, err := ss.sendStreamFor(id, "STOP_SENDING")
	if s == nil {
		return err
	}
	s.mu.Lock()
	// RFC 9000, Section 3.5: an endpoint that receives STOP_SENDING MUST send
	// RESET_STREAM unless the send side already ended or was reset.
	ok := s.send.startReset(code, &StreamError{StreamID: id, Code: code, Remote: true})
	s.mu.Unlock()
	if ok {
		signal(s.writeGate)
		ss.queueCtrl(s)
	}
	return nil
}

// handleMaxStreamData processes a MAX_STREAM_DATA frame (RFC 9000, Section 19.10).
func (ss *streamsState) handleMaxStreamData(id int64, max uint64) error {
	s, err := ss.sendStreamFor(id, "MAX_STREAM_DATA")
	if s == nil {
		return err
	}
	s.mu.Lock()
	raised := max > s.send.maxData
	if raised {
		s.send.maxData = max
		s.send.blockedPending = false
	}
	wantSend := raised && s.send.hasNewData()
	s.mu.Unlock()
	if raised {
		signal(s.writeGate) // the buffer limit follows the window
	}
	if wantSend {
		ss.queueData(s)
	}
	return nil
}

// handleStreamDataBlocked processes a STREAM_DATA_BLOCKED frame (RFC 9000,
// Section 19.13). The limit is renewed as the application reads, so the frame
// only validates the stream.
func (ss *streamsState) handleStreamDataBlocked(id int64, limit uint64) error {
	_, err := ss.recvStreamFor(id, "STREAM_DATA_BLOCKED")
	return err
}

// handleMaxData processes a MAX_DATA frame (RFC 9000, Section 19.9): streams held
// back by the connection limit are queued again.
func (ss *streamsState) handleMaxData(max uint64) {
	if max <= ss.peerMaxData {
		return
	}
	ss.peerMaxData = max
	ss.dataBlockedPending = false
	for i, s := range ss.connBlocked {
		s.connBlocked = false
		ss.queueData(s)
		ss.connBlocked[i] = nil
	}
	ss.connBlocked = ss.connBlocked[:0]
}

// handleDataBlocked processes a DATA_BLOCKED frame (RFC 9000, Section 19.12). The
// connection limit is renewed as the application reads, so it needs no action.
func (ss *streamsState) handleDataBlocked(limit uint64) {}

// handleMaxStreams processes a MAX_STREAMS frame (RFC 9000, Section 19.11).
func (ss *streamsState) handleMaxStreams(bidi bool, max uint64) error {
	if max > maxStreamCount {
		return streamErrorf(errCodeFrameEncoding, "MAX_STREAMS %d beyond 2^60", max)
	}
	d := dirUni
	if bidi {
		d = dirBidi
	}
	ss.mu.Lock()
	ss.raiseLocalLimit(d, max)
	ss.mu.Unlock()
	return nil
}

// handleStreamsBlocked processes a STREAMS_BLOCKED frame (RFC 9000,
// Section 19.14). Stream credit is renewed as streams end, so it only validates.
func (ss *streamsState) handleStreamsBlocked(bidi bool, max uint64) error {
	if max > maxStreamCount {
		return streamErrorf(errCodeFrameEncoding, "STREAMS_BLOCKED %d beyond 2^60", max)
	}
	return nil
}

// open opens a locally initiated stream. At the peer's stream limit it queues
// STREAMS_BLOCKED (RFC 9000, Section 4.6) and waits for MAX_STREAMS, ctx or the
// end of the connection.
func (ss *streamsState) open(ctx context.Context, bidi bool) (*Stream, error) {
	d := dirUni
	if bidi {
		d = dirBidi
	}
	for {
		ss.mu.Lock()
		if ss.closeErr != nil {
			err := ss.closeErr
			ss.mu.Unlock()
			return nil, err
		}
		l := &ss.loc[d]
		if l.opened < l.peerMax {
			s := ss.newStream(streamID(l.opened, d, ss.isClient))
			l.opened++
			ss.mu.Unlock()
			return s, nil
		}
		if !l.blockedSent || l.blockedAt != l.peerMax {
			l.blockedSent, l.blockedAt, l.blockedPending = true, l.peerMax, true
		}
		raised := l.raised
		ss.mu.Unlock()
		ss.wake()
		select {
		case <-raised:
		case <-ss.closed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// accept returns the next stream the peer opened, waiting for one, ctx or the end
// of the connection.
func (ss *streamsState) accept(ctx context.Context, bidi bool) (*Stream, error) {
	d := dirUni
	if bidi {
		d = dirBidi
	}
	for {
		ss.mu.Lock()
		if ss.closeErr != nil {
			err := ss.closeErr
			ss.mu.Unlock()
			return nil, err
		}
		r := &ss.rem[d]
		if len(r.acceptQ) > 0 {
			s := r.acceptQ[0]
			n := copy(r.acceptQ, r.acceptQ[1:])
			r.acceptQ[n] = nil
			r.acceptQ = r.acceptQ[:n]
			ss.mu.Unlock()
			return s, nil
		}
		arrived := r.arrived
		ss.mu.Unlock()
		select {
		case <-arrived:
		case <-ss.closed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// closeAll ends the connection's streams: every blocked and later call returns
// err, and every stream's context is canceled.
func (ss *streamsState) closeAll(err error) {
	ss.mu.Lock()
	if ss.closeErr != nil {
		ss.mu.Unlock()
		return
	}
	ss.closeErr = err
	close(ss.closed)
	list := make([]*Stream, 0, len(ss.streams)+len(ss.rem[0].acceptQ)+len(ss.rem[1].acceptQ))
	for _, s := range ss.streams {
		list = append(list, s)
	}
	ss.mu.Unlock()
	for _, s := range list {
		s.mu.Lock()
		s.connErr = err
		s.mu.Unlock()
		signal(s.readGate)
		signal(s.writeGate)
	}
	ss.cancel(err)
}
