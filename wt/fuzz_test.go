package wt

import (
	"testing"

	"github.com/peregrine-h3/peregrine/h3"
)

// FuzzCapsules feeds arbitrary CONNECT-stream bytes to the capsule parsing a
// session does: no panic, CLOSE capsules accepted only when well formed, and
// an accepted one re-encodes to the same bytes.
func FuzzCapsules(f *testing.F) {
	f.Add(appendCloseCapsule(nil, 42, "bye"))
	f.Add(h3.AppendCapsule(nil, capsuleDrainSession, nil))
	f.Add(h3.AppendCapsule(nil, capsuleCloseSession, []byte{0, 1}))
	f.Add(h3.AppendCapsule(nil, 0x29*3+0x17, []byte("grease")))
	f.Fuzz(func(t *testing.T, b []byte) {
		cr := h3.NewCapsuleReader(bytesReader(b))
		for range 64 {
			typ, n, r, err := cr.Next()
			if err != nil {
				return
			}
			if typ != capsuleCloseSession {
				continue
			}
			e, ok := readClose(n, r)
			if !ok {
				return
			}
			again := appendCloseCapsule(nil, e.Code, e.Reason)
			cr2 := h3.NewCapsuleReader(bytesReader(again))
			_, n2, r2, err := cr2.Next()
			if err != nil {
				t.Fatal(err)
			}
			if e2, ok := readClose(n2, r2); !ok || *e2 != *e {
				t.Fatalf("re-encoded CLOSE %+v, want %+v", e2, e)
			}
		}
	})
}

// FuzzAppCode checks that every HTTP/3 code maps back and forth consistently.
func FuzzAppCode(f *testing.F) {
	f.Add(uint64(firstAppErrorCode))
	f.Add(uint64(lastAppErrorCode))
	f.Add(uint64(0x100))
	f.Fuzz(func(t *testing.T, h uint64) {
		n, ok := appCode(h)
		if ok && httpCode(n) != h {
			t.Fatalf("0x%x -> %d -> 0x%x", h, n, httpCode(n))
		}
	})
}
