package h3

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// The additional settings go out after ours, in identifier order, without
// replacing ours, and the peer's side records every pair.
func TestSettingsWithExtra(t *testing.T) {
	local := settings{qpackMaxTableCapacity: 10, enableConnectProtocol: true, h3Datagram: true}
	extra := map[uint64]uint64{0x2c7cf000: 1, 0x2b603742: 1, settingH3Datagram: 0, 0x02: 5}
	b := appendSettingsWithExtra(nil, local, extra)
	typ, n := parseVarint(b)
	length, m := parseVarint(b[n:])
	if frameType(typ) != frameSettings || int(length) != len(b)-n-m {
		t.Fatalf("frame type 0x%x length %d of %d bytes", typ, length, len(b))
	}
	p := b[n+m:]
	s, err := parseSettings(p)
	if err != nil {
		t.Fatal(err)
	}
	if !s.h3Datagram || !s.enableConnectProtocol || s.qpackMaxTableCapacity != 10 {
		t.Errorf("our settings changed: %+v", s)
	}
	all := allSettings(p)
	if all[0x2c7cf000] != 1 || all[0x2b603742] != 1 || all[settingH3Datagram] != 1 {
		t.Errorf("peer view %v", all)
	}
	if _, ok := all[0x02]; ok {
		t.Error("HTTP/2 setting sent")
	}
}

// readStreamVarint consumes only the varint, and prefixStream puts it back.
func TestPeekAndReplay(t *testing.T) {
	r := strings.NewReader("\x40\x41rest")
	v, raw, err := readStreamVarint(r)
	if err != nil || v != 0x41 || string(raw) != "\x40\x41" {
		t.Fatalf("varint 0x%x %q %v", v, raw, err)
	}
	if r.Len() != 4 {
		t.Fatalf("%d bytes left, want 4", r.Len())
	}
	ps := &prefixStream{quicStream: readerStream{r}, prefix: raw}
	b, err := io.ReadAll(ps)
	if err != nil || string(b) != "\x40\x41rest" {
		t.Fatalf("replayed %q, %v", b, err)
	}
	if _, _, err := readStreamVarint(strings.NewReader("\x80\x01")); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated varint: %v", err)
	}
}

// readerStream is a quicStream that only reads.
type readerStream struct{ io.Reader }

func (readerStream) ID() int64                        { return 0 }
func (readerStream) Write(p []byte) (int, error)      { return 0, io.ErrClosedPipe }
func (readerStream) Close() error                     { return nil }
func (readerStream) CancelRead(uint64)                {}
func (readerStream) CancelWrite(uint64)               {}
func (readerStream) SetReadDeadline(time.Time) error  { return nil }
func (readerStream) SetWriteDeadline(time.Time) error { return nil }
func (readerStream) Context() context.Context         { return context.Background() }
