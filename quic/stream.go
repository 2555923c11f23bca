package quic

import (
	"context"
	"io"
	"os"
	"sync"
	"time"
)

// A Stream is a QUIC stream (RFC 9000, Section 2): bidirectional, or
// unidirectional, in which case Write on a receive-only stream and Read on a
// send-only stream return an error.
//
// Read and Write may be called concurrently with each other and with every other
// method; concurrent calls of Read (or of Write) are safe but their data
// interleaves in no defined order.
type Stream struct {
	id     int64
	ss     *streamsState
	ctx    context.Context
	cancel context.CancelFunc

	// readGate and writeGate hold a token when a blocked Read or Write should
	// look at the state again.
	readGate  chan struct{}
	writeGate chan struct{}

	mu            sync.Mutex
	send          sendState
	recv          recvState
	readDeadline  time.Time
	writeDeadline time.Time
	connErr       error // set by closeAll

	// The flags come last, together, so that they share one word.
	canSend bool
	canRecv bool
	removed bool // dropped from the stream set

	inCtrl      bool // in ss.ctrlQ; guarded by ss.qmu
	inData      bool // in ss.dataQ; guarded by ss.qmu
	connBlocked bool // in ss.connBlocked; owned by the connection goroutine
}

// ID returns the stream ID (RFC 9000, Section 2.1). Its two low bits tell who
// opened the stream (0x1 set: the server) and its direction (0x2 set:
// unidirectional).
func (s *Stream) ID() int64 { return s.id }

// Context returns a context that is done when both directions of the stream have
// ended (all data read or acknowledged, or reset) or the connection ends.
func (s *Stream) Context() context.Context { return s.ctx }

// signal leaves a token in gate without blocking.
func signal(gate chan struct{}) {
	select {
	case gate <- struct{}{}:
	default:
	}
}

// wait blocks until gate has a token or deadline passes; it returns
// os.ErrDeadlineExceeded in the latter case.
func wait(gate chan struct{}, deadline time.Time) error {
	if deadline.IsZero() {
		<-gate
		return nil
	}
	d := time.Until(deadline)
	if d <= 0 {
		return os.ErrDeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-gate:
		return nil
	case <-t.C:
		return os.ErrDeadlineExceeded
	}
}

// Read reads data received on the stream. It blocks until data is available,
// the read deadline passes (os.ErrDeadlineExceeded), the peer resets the stream
// (*StreamError with Remote set; after RESET_STREAM_AT, once the bytes below its
// reliable size were read) or the connection ends. It returns io.EOF once the
// peer's FIN was reached.
func (s *Stream) Read(p []byte) (int, error) {
	if !s.canRecv {
		return 0, errWriteOnly
	}
	s.mu.Lock()
	for {
		n, err := s.readLocked(p)
		if n > 0 || err != nil || len(p) == 0 {
			again := err != nil || s.recv.readable() > 0
			credit := s.recv.takeCredit()
			update := s.recv.wantLimitUpdate()
			done := s.recv.done()
			s.mu.Unlock()
			if again {
				signal(s.readGate) // for another blocked reader
			}
			s.ss.afterRead(s, credit, update || done)
			return n, err
		}
		if !s.readDeadline.IsZero() && !time.Now().Before(s.readDeadline) {
			s.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
		dl := s.readDeadline
		s.mu.Unlock()
		if err := wait(s.readGate, dl); err != nil {
			return 0, err
		}
		s.mu.Lock()
	}
}

// readLocked copies available data to p or returns the error that ends reading.
func (s *Stream) readLocked(p []byte) (int, error) {
	r := &s.recv
	switch {
	case r.stopped:
		return 0, &StreamError{StreamID: s.id, Code: r.stopCode}
	case r.resetRecvd && r.readOff >= r.reliable:
		return 0, &StreamError{StreamID: s.id, Code: r.resetCode, Remote: true}
	}
	// After the connection ends, a stream whose data all arrived can still be
	// read to its end.
	if s.connErr != nil && !r.allReceived() {
		return 0, s.connErr
	}
	n := r.read(p)
	if r.eof() {
		return n, io.EOF
	}
	return n, nil
}

// Write writes p to the stream. It blocks while the send buffer is full, until
// the write deadline passes (os.ErrDeadlineExceeded), the stream is reset (a
// *StreamError; Remote set when the peer asked with STOP_SENDING) or the
// connection ends. It returns the number of bytes buffered.
func (s *Stream) Write(p []byte) (int, error) {
	if !s.canSend {
		return 0, errReadOnly
	}
	total := 0
	s.mu.Lock()
	for {
		if err := s.writeErrLocked(); err != nil {
			s.mu.Unlock()
			return total, err
		}
		n := s.send.write(p[total:])
		total += n
		if total == len(p) {
			s.mu.Unlock()
			if n > 0 {
				s.ss.queueData(s)
			}
			return total, nil
		}
		if !s.writeDeadline.IsZero() && !time.Now().Before(s.writeDeadline) {
			s.mu.Unlock()
			return total, os.ErrDeadlineExceeded
		}
		dl := s.writeDeadline
		s.mu.Unlock()
		if n > 0 {
			s.ss.queueData(s)
		}
		if err := wait(s.writeGate, dl); err != nil {
			return total, err
		}
		s.mu.Lock()
	}
}

// writeErrLocked returns the error that ends writing, if any.
func (s *Stream) writeErrLocked() error {
	switch {
	case s.send.err != nil:
		return s.send.err
	case s.connErr != nil:
		return s.connErr
	case s.send.closed:
		return errWriteAfterClose
	}
	return nil
}

// Close closes the send side of the stream: the peer reads io.EOF after the data
// written so far. It does not wait for the data to be acknowledged and does not
// affect the receive side; to abandon that, call CancelRead. Closing a
// receive-only stream does nothing.
func (s *Stream) Close() error {
	if !s.canSend {
		return nil
	}
	s.mu.Lock()
	if s.send.closed || s.send.reset != resetNone {
		s.mu.Unlock()
		return nil
	}
	if s.connErr != nil {
		s.mu.Unlock()
		return s.connErr
	}
	s.send.closed = true
	s.mu.Unlock()
	s.ss.queueData(s)
	return nil
}

// CancelWrite abandons the send side: data not yet acknowledged is discarded and
// RESET_STREAM with code is sent. Blocked and later Writes return a *StreamError.
// It does nothing once the send side has ended. Codes above 2^62-1, which QUIC
// cannot carry, are sent as 2^62-1.
func (s *Stream) CancelWrite(code uint64) {
	if !s.canSend {
		return
	}
	code = min(code, maxVarint)
	s.mu.Lock()
	ok := s.connErr == nil && s.send.startReset(code, &StreamError{StreamID: s.id, Code: code})
	s.mu.Unlock()
	if ok {
		signal(s.writeGate)
		s.ss.queueCtrl(s)
	}
}

// CancelRead abandons the receive side: buffered data is discarded, later data
// is dropped and STOP_SENDING with code asks the peer to stop. Blocked and later
// Reads return a *StreamError. It does nothing once the receive side has ended.
// Codes above 2^62-1 are sent as 2^62-1.
func (s *Stream) CancelRead(code uint64) {
	if !s.canRecv {
		return
	}
	code = min(code, maxVarint)
	s.mu.Lock()
	ok := s.connErr == nil && s.recv.stop(code)
	credit := s.recv.takeCredit()
	s.mu.Unlock()
	if ok {
		signal(s.readGate)
		s.ss.afterRead(s, credit, true)
	}
}

// SetDeadline sets both the read and the write deadline.
func (s *Stream) SetDeadline(t time.Time) error {
	s.SetReadDeadline(t)
	return s.SetWriteDeadline(t)
}

// SetReadDeadline sets the time after which blocked and later Reads return
// os.ErrDeadlineExceeded. The zero time means no deadline.
func (s *Stream) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	s.readDeadline = t
	s.mu.Unlock()
	signal(s.readGate)
	return nil
}

// SetWriteDeadline sets the time after which blocked and later Writes return
// os.ErrDeadlineExceeded. The zero time means no deadline.
func (s *Stream) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	s.writeDeadline = t
	s.mu.Unlock()
	signal(s.writeGate)
	return nil
}

// doneLocked reports whether both directions reached a terminal state.
func (s *Stream) doneLocked() bool {
	return (!s.canSend || s.send.done()) && (!s.canRecv || s.recv.done())
}

// ctrlPendingLocked reports whether the stream has control frames or
// retransmissions to send.
func (s *Stream) ctrlPendingLocked() bool {
	if s.canSend && s.send.ctrlPending() {
		return true
	}
	return s.canRecv && (s.recv.stopPending || s.recv.wantLimitUpdate())
}
