package quic

import (
	"context"
	"errors"
	"sync"
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

// streamsState is the set of streams of one connection with its flow control and
// stream limits. The handle*, append*, on* and setPeerLimits methods are called
// only from the connection's goroutine; open, accept, closeAll and the Stream
// methods may be called from any goroutine.
type streamsState struct {
	isClient bool
	wake     func()

	mu      sync.Mutex
	streams map[int64]*Stream
}

// newStreamsState returns the stream set of a connection. local holds the limits
// we advertise; wake is called from any goroutine, without blocking, when there
// is something new to send.
func newStreamsState(isClient bool, local streamLimits, wake func()) *streamsState {
	return &streamsState{isClient: isClient, wake: wake, streams: map[int64]*Stream{}}
}

// setPeerLimits applies the peer's transport parameters.
func (ss *streamsState) setPeerLimits(peer streamLimits) {}

// handleStream processes a STREAM frame (RFC 9000, Section 19.8).
func (ss *streamsState) handleStream(id int64, off uint64, data []byte, fin bool) error {
	return nil
}

// handleResetStream processes a RESET_STREAM frame (RFC 9000, Section 19.4).
func (ss *streamsState) handleResetStream(id int64, code, finalSize uint64) error { return nil }

// handleStopSending processes a STOP_SENDING frame (RFC 9000, Section 19.5).
func (ss *streamsState) handleStopSending(id int64, code uint64) error { return nil }

// handleMaxStreamData processes a MAX_STREAM_DATA frame (RFC 9000, Section 19.10).
func (ss *streamsState) handleMaxStreamData(id int64, max uint64) error { return nil }

// handleStreamDataBlocked processes a STREAM_DATA_BLOCKED frame (RFC 9000,
// Section 19.13).
func (ss *streamsState) handleStreamDataBlocked(id int64, limit uint64) error { return nil }

// handleMaxData processes a MAX_DATA frame (RFC 9000, Section 19.9).
func (ss *streamsState) handleMaxData(max uint64) {}

// handleDataBlocked processes a DATA_BLOCKED frame (RFC 9000, Section 19.12).
func (ss *streamsState) handleDataBlocked(limit uint64) {}

// handleMaxStreams processes a MAX_STREAMS frame (RFC 9000, Section 19.11).
func (ss *streamsState) handleMaxStreams(bidi bool, max uint64) error { return nil }

// handleStreamsBlocked processes a STREAMS_BLOCKED frame (RFC 9000, Section 19.14).
func (ss *streamsState) handleStreamsBlocked(bidi bool, max uint64) error { return nil }

// streamFrameRecord remembers one stream-related frame sent in a packet so that
// its acknowledgment or loss can be reported with onAcked or onLost. It is a
// small value holding no pointers.
type streamFrameRecord struct {
	id   int64
	off  uint64
	n    uint32
	kind uint8
	fin  bool
}

// appendFrames appends stream-related frames to the payload b without growing it
// by more than room bytes, and a record of each frame to recs.
func (ss *streamsState) appendFrames(b []byte, room int, now time.Time, rtt time.Duration,
	recs []streamFrameRecord) ([]byte, []streamFrameRecord) {
	return b, recs
}

// hasPending reports whether appendFrames has anything to send.
func (ss *streamsState) hasPending() bool { return false }

// onAcked reports that the frame of r was acknowledged.
func (ss *streamsState) onAcked(r streamFrameRecord) {}

// onLost reports that the frame of r was lost.
func (ss *streamsState) onLost(r streamFrameRecord) {}

// open opens a locally-initiated stream, waiting for the peer's stream limit.
func (ss *streamsState) open(ctx context.Context, bidi bool) (*Stream, error) {
	return nil, errors.New("quic: not implemented")
}

// accept returns the next peer-initiated stream.
func (ss *streamsState) accept(ctx context.Context, bidi bool) (*Stream, error) {
	return nil, errors.New("quic: not implemented")
}

// closeAll ends every stream and every blocked or later call with err.
func (ss *streamsState) closeAll(err error) {}
