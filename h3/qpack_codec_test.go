package h3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) take() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := append([]byte(nil), l.b.Bytes()...)
	l.b.Reset()
	return b
}

// codecPair returns an encoding side a and a decoding side b, with a's
// encoder stream and b's decoder stream captured.
func codecPair() (a, b *qpackCodec, aEnc, bDec *lockedBuffer) {
	a, b = newQPACKCodec(1<<16), newQPACKCodec(1<<16)
	aEnc, bDec = &lockedBuffer{}, &lockedBuffer{}
	a.setStreams(aEnc, io.Discard)
	b.setStreams(io.Discard, bDec)
	capacity, blocked := b.localSettings()
	a.setPeerSettings(capacity, blocked)
	return a, b, aEnc, bDec
}

func TestQPACKBlockedStream(t *testing.T) {
	a, b, aEnc, bDec := codecPair()
	fields := []hfield{{":status", "200"}, {"x-custom", "value-one"}, {"x-other", "two"}}
	section, err := a.encode(0, fields)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		f   []hfield
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := b.decode(context.Background(), 0, section, 1<<16)
		done <- result{f, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("decode did not block on missing inserts: %v %v", r.f, r.err)
	case <-time.After(20 * time.Millisecond):
	}
	if err := b.readEncoderStream(bytes.NewReader(aEnc.take())); err != io.EOF {
		t.Fatalf("encoder stream: %v", err)
	}
	r := <-done
	if r.err != nil || len(r.f) != len(fields) {
		t.Fatalf("decode after inserts: %v %v", r.f, r.err)
	}
	for i := range fields {
		if r.f[i] != fields[i] {
			t.Fatalf("field %d = %v, want %v", i, r.f[i], fields[i])
		}
	}
	// The decoder acknowledged; the encoder accepts the instructions.
	ack := bDec.take()
	if len(ack) == 0 {
		t.Fatal("no decoder stream instructions after decoding")
	}
	if err := a.readDecoderStream(bytes.NewReader(ack)); err != io.EOF {
		t.Fatalf("decoder stream: %v", err)
	}
}

func TestQPACKBlockedCancelled(t *testing.T) {
	a, b, _, bDec := codecPair()
	section, _ := a.encode(4, []hfield{{"x-never", "arrives"}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := b.decode(ctx, 4, section, 1<<16)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("decode = %v, want the context's error", err)
	}
	// Stream Cancellation (RFC 9204, Section 4.4.2) was queued: 01xxxxxx.
	if ins := bDec.take(); len(ins) == 0 || ins[0]&0xc0 != 0x40 {
		t.Fatalf("decoder stream after cancel: %x", ins)
	}
}

func TestQPACKErrors(t *testing.T) {
	_, b, _, _ := codecPair()
	// An insert referring to a static entry that does not exist.
	err := b.readEncoderStream(bytes.NewReader([]byte{0x3f, 0xe1, 0x1f, 0xff, 0x7f}))
	var e *Error
	if !errors.As(err, &e) || e.Code != ErrCodeQPACKEncoderStreamError {
		t.Fatalf("bad encoder stream: %v", err)
	}
	a, _, _, _ := codecPair()
	err = a.readDecoderStream(bytes.NewReader([]byte{0x80})) // ack of an unknown section
	if !errors.As(err, &e) || e.Code != ErrCodeQPACKDecoderStreamError {
		t.Fatalf("bad decoder stream: %v", err)
	}
}

func TestQPACKSectionTooLarge(t *testing.T) {
	a, b, aEnc, _ := codecPair()
	big := string(bytes.Repeat([]byte("v"), 500))
	section, _ := a.encode(0, []hfield{{"x-big", big}})
	b.readEncoderStream(bytes.NewReader(aEnc.take()))
	if _, err := b.decode(context.Background(), 0, section, 100); err !=
		errFieldSectionTooLarge {
		t.Fatalf("oversized section: %v", err)
	}
}
