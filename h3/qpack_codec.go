package h3

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/peregrine-h3/peregrine/qpack"
)

// qpackCodec is the fieldCodec backed by package qpack with the dynamic
// table on: it writes the encoder's instructions to our encoder stream
// before the field sections that need them, feeds the peer's encoder and
// decoder streams to the Decoder and Encoder, and parks request streams
// whose sections are blocked until the inserts arrive. It is safe for
// concurrent use.
type qpackCodec struct {
	enc      *qpack.Encoder
	dec      *qpack.Decoder
	capacity uint64
	blocked  uint64

	encMu     sync.Mutex // serialises writes on our encoder stream
	encStream io.Writer
	decMu     sync.Mutex // serialises writes on our decoder stream
	decStream io.Writer

	mu      sync.Mutex
	waiters map[uint64]chan struct{} // blocked streams
	ready   map[uint64]bool          // unblocked before their waiter arrived
	failed  chan struct{}            // closed when the decoder failed
	failErr error
}

func newQPACKCodec(maxFieldSection uint64) *qpackCodec {
	return &qpackCodec{
		enc: qpack.NewEncoder(qpack.EncoderConfig{MaxTableCapacity: qpackTableCapacity,
			MaxBlockedStreams: qpackBlockedStreams}),
		dec: qpack.NewDecoder(qpack.DecoderConfig{MaxTableCapacity: qpackTableCapacity,
			MaxBlockedStreams: qpackBlockedStreams, MaxFieldSectionSize: maxFieldSection}),
		capacity: qpackTableCapacity,
		blocked:  qpackBlockedStreams,
		waiters:  make(map[uint64]chan struct{}),
		ready:    make(map[uint64]bool),
		failed:   make(chan struct{}),
	}
}

func (q *qpackCodec) localSettings() (uint64, uint64) { return q.capacity, q.blocked }

func (q *qpackCodec) setPeerSettings(capacity, blocked uint64) {
	q.enc.SetPeerSettings(capacity, blocked)
	q.flushEncoder()
}

func (q *qpackCodec) setStreams(enc, dec io.Writer) {
	q.encMu.Lock()
	q.encStream = enc
	q.encMu.Unlock()
	q.decMu.Lock()
	q.decStream = dec
	q.decMu.Unlock()
	q.flushEncoder()
	q.flushDecoder()
}

// flushEncoder sends the encoder's queued instructions. Holding encMu while
// taking and writing them keeps a section from overtaking the inserts it
// references on our side.
func (q *qpackCodec) flushEncoder() {
	q.encMu.Lock()
	defer q.encMu.Unlock()
	if q.encStream == nil {
		return
	}
	if b := q.enc.AppendEncoderStream(nil); len(b) > 0 {
		q.encStream.Write(b)
	}
}

func (q *qpackCodec) flushDecoder() {
	q.decMu.Lock()
	defer q.decMu.Unlock()
	if q.decStream == nil {
		return
	}
	if b := q.dec.AppendDecoderStream(nil); len(b) > 0 {
		q.decStream.Write(b)
	}
}

func (q *qpackCodec) encode(streamID int64, fields []hfield) ([]byte, error) {
	hf := make([]qpack.HeaderField, len(fields))
	for i, f := range fields {
		hf[i] = qpack.HeaderField{Name: f.name, Value: f.value}
	}
	b, err := q.enc.EncodeSection(uint64(streamID), hf, nil)
	if err != nil {
		return nil, mapQPACKError(err)
	}
	q.flushEncoder()
	return b, nil
}

func (q *qpackCodec) decode(ctx context.Context, streamID int64, section []byte,
	maxSize uint64) ([]hfield, error) {
	id := uint64(streamID)
	hf, err := q.dec.DecodeSection(id, section)
	if err == qpack.ErrBlocked {
		hf, err = q.waitUnblocked(ctx, id)
	}
	if err != nil {
		return nil, mapQPACKError(err)
	}
	q.flushDecoder() // Section Acknowledgment (RFC 9204, Section 4.4.1).
	fields := make([]hfield, len(hf))
	var size uint64
	for i, f := range hf {
		fields[i] = hfield{f.Name, f.Value}
		size += fieldSize(fields[i])
	}
	if size > maxSize {
		return nil, errFieldSectionTooLarge
	}
	return fields, nil
}

// waitUnblocked waits until the encoder stream unblocks streamID, then takes
// its fields.
func (q *qpackCodec) waitUnblocked(ctx context.Context, id uint64) ([]qpack.HeaderField,
	error) {
	q.mu.Lock()
	if q.ready[id] {
		delete(q.ready, id)
		q.mu.Unlock()
		return q.dec.TakeSection(id)
	}
	ch := make(chan struct{})
	q.waiters[id] = ch
	q.mu.Unlock()
	select {
	case <-ch:
		return q.dec.TakeSection(id)
	case <-q.failed:
		return nil, q.failErr
	case <-ctx.Done():
		q.mu.Lock()
		delete(q.waiters, id)
		q.mu.Unlock()
		q.cancelStream(int64(id))
		return nil, ctx.Err()
	}
}

func (q *qpackCodec) cancelStream(streamID int64) {
	q.dec.CancelStream(uint64(streamID))
	q.flushDecoder()
}

func (q *qpackCodec) readEncoderStream(r io.Reader) error {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			unblocked, derr := q.dec.WriteEncoderStream(buf[:n])
			if derr != nil {
				derr = mapQPACKError(derr)
				q.fail(derr)
				return derr
			}
			q.wake(unblocked)
			q.flushDecoder() // Insert Count Increment (RFC 9204, Section 4.4.3).
		}
		if err != nil {
			return err
		}
	}
}

func (q *qpackCodec) wake(ids []uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, id := range ids {
		if ch, ok := q.waiters[id]; ok {
			delete(q.waiters, id)
			close(ch)
		} else {
			q.ready[id] = true
		}
	}
}

func (q *qpackCodec) fail(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.failErr == nil {
		q.failErr = err
		close(q.failed)
	}
}

func (q *qpackCodec) readDecoderStream(r io.Reader) error {
	buf := make([]byte, 1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if eerr := q.enc.WriteDecoderStream(buf[:n]); eerr != nil {
				return mapQPACKError(eerr)
			}
		}
		if err != nil {
			return err
		}
	}
}

// mapQPACKError turns a qpack error into an h3 one: an *Error of qpack is a
// connection error with its code (RFC 9204, Section 6), a section over the
// size limit concerns the stream only.
func mapQPACKError(err error) error {
	var qe *qpack.Error
	switch {
	case errors.As(err, &qe):
		return connError(ErrCode(qe.Code), "%s", qe.Reason)
	case errors.Is(err, qpack.ErrFieldSectionTooLarge):
		return errFieldSectionTooLarge
	}
	return err
}
