package h3

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func TestCapsuleReader(t *testing.T) {
	var b []byte
	b = AppendCapsule(b, 0x29, bytes.Repeat([]byte("x"), 5000)) // unknown, skipped
	b = AppendCapsule(b, CapsuleDatagram, []byte("one"))
	b = AppendCapsule(b, CapsuleDatagram, nil)
	b = AppendCapsule(b, 0x4041, []byte("ignored"))
	b = AppendCapsule(b, CapsuleDatagram, []byte("two"))
	c := NewCapsuleReader(bytes.NewReader(b))
	for _, want := range []string{"one", "", "two"} {
		got, err := c.ReadDatagram(100)
		if err != nil || string(got) != want {
			t.Fatalf("ReadDatagram = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := c.ReadDatagram(100); err != io.EOF {
		t.Fatalf("at end: %v", err)
	}
}

func TestCapsuleReaderNext(t *testing.T) {
	b := AppendCapsule(nil, 0x17, []byte("abcdef"))
	b = AppendCapsule(b, 0x18, []byte("gh"))
	c := NewCapsuleReader(bytes.NewReader(b))
	typ, n, r, err := c.Next()
	if err != nil || typ != 0x17 || n != 6 {
		t.Fatalf("Next = %v %d %v", typ, n, err)
	}
	part := make([]byte, 2)
	io.ReadFull(r, part)
	if string(part) != "ab" {
		t.Fatalf("value starts %q", part)
	}
	typ, _, r, err = c.Next()
	if err != nil || typ != 0x18 {
		t.Fatalf("second Next = %v %v", typ, err)
	}
	if v, _ := io.ReadAll(r); string(v) != "gh" {
		t.Fatalf("second value %q", v)
	}
}

func TestCapsuleReaderErrors(t *testing.T) {
	big := AppendCapsule(nil, CapsuleDatagram, make([]byte, 200))
	if _, err := NewCapsuleReader(bytes.NewReader(big)).ReadDatagram(100); !errors.Is(err,
		ErrCapsuleTooLarge) {
		t.Errorf("oversized datagram: %v", err)
	}
	for cut := 1; cut < len(big); cut += 50 {
		_, err := NewCapsuleReader(bytes.NewReader(big[:cut])).ReadDatagram(1000)
		if err != errCapsuleTruncated {
			t.Errorf("cut at %d: %v", cut, err)
		}
	}
	// A huge unknown capsule is skipped as it arrives, and its end is noticed.
	huge := appendVarint(appendVarint(nil, 0x55), 1<<40)
	if _, err := NewCapsuleReader(bytes.NewReader(huge)).ReadDatagram(10); err !=
		errCapsuleTruncated {
		t.Errorf("huge unknown capsule: %v", err)
	}
}

func FuzzCapsuleReader(f *testing.F) {
	f.Add(AppendCapsule(AppendCapsule(nil, 3, []byte("abc")), 0, []byte("d")))
	f.Add([]byte{0x00, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		c := NewCapsuleReader(bytes.NewReader(b))
		for i := 0; i < 1000; i++ {
			d, err := c.ReadDatagram(64)
			if err != nil {
				return
			}
			if len(d) > 64 {
				t.Fatalf("datagram of %d bytes over the limit", len(d))
			}
		}
	})
}
