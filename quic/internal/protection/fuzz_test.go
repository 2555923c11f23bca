package protection

import (
	"bytes"
	"crypto/tls"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to Keys.Open and AppKeys.Open with keys of
// every suite: they must never panic, and anything they accept must be a
// payload within the packet.
func FuzzOpen(f *testing.F) {
	initial := readVector(f, "rfc9001_client_initial_protected_packet.hex")
	f.Add(initial, 18, int64(-1), uint8(0))
	f.Add(unhex("4cfe4189655e5cd55c41f69080575d7999c25a5bfb"), 1, int64(chachaPN), uint8(2))
	f.Add([]byte{0x40}, 1, int64(0), uint8(1))
	f.Add([]byte{}, 0, int64(-1), uint8(3))

	client, _, err := NewInitialKeys(Version1, odcid)
	if err != nil {
		f.Fatal(err)
	}
	var keys []*Keys
	keys = append(keys, client)
	for _, s := range benchSuites {
		n := 32
		if s.suite == tls.TLS_AES_256_GCM_SHA384 {
			n = 48
		}
		secret := chachaSecret
		if n == 48 {
			secret = bytes.Repeat([]byte{3}, 48)
		}
		k, err := NewKeys(Version1, s.suite, secret)
		if err != nil {
			f.Fatal(err)
		}
		keys = append(keys, k)
	}

	f.Fuzz(func(t *testing.T, pkt []byte, pnOffset int, largest int64, which uint8) {
		// largest comes from our own state: -1 or a valid packet number.
		largest = max(-1, min(largest, MaxPacketNumber))
		in := append([]byte(nil), pkt...)
		k := keys[int(which)%len(keys)]
		payload, pn, _, err := k.Open(in, pnOffset, largest)
		checkOpened(t, in, payload, pn, err)

		var a AppKeys
		if err := a.SetReadSecret(Version1, k.suite, k.secret); err != nil {
			t.Fatal(err)
		}
		in = append(in[:0], pkt...)
		payload, pn, _, err = a.Open(in, pnOffset, largest)
		checkOpened(t, in, payload, pn, err)
	})
}

func checkOpened(t *testing.T, pkt, payload []byte, pn int64, err error) {
	t.Helper()
	if err != nil {
		return
	}
	if pn < 0 || pn > MaxPacketNumber {
		t.Fatalf("accepted packet number %d", pn)
	}
	if len(payload) > len(pkt) {
		t.Fatalf("payload of %d bytes from a %d-byte packet", len(payload), len(pkt))
	}
}

// FuzzSealOpen seals arbitrary payloads with arbitrary packet numbers and
// checks that opening returns them unchanged.
func FuzzSealOpen(f *testing.F) {
	f.Add([]byte("x"), int64(0), int64(-1), uint8(0))
	f.Add(make([]byte, 1200), int64(654360564), int64(654360000), uint8(2))
	keys := make([]*Keys, 0, len(benchSuites))
	for _, s := range benchSuites {
		secret := chachaSecret
		if s.suite == tls.TLS_AES_256_GCM_SHA384 {
			secret = bytes.Repeat([]byte{3}, 48)
		}
		k, err := NewKeys(Version2, s.suite, secret)
		if err != nil {
			f.Fatal(err)
		}
		keys = append(keys, k)
	}
	f.Fuzz(func(t *testing.T, payload []byte, pn, largest int64, which uint8) {
		if pn < 0 || pn > MaxPacketNumber {
			return
		}
		// The receiver's largest must be within half a 4-byte window.
		largest = max(-1, min(largest, pn+1<<31-1), pn-1<<31+1)
		pkt := []byte{0x43, 0xaa, byte(pn >> 24), byte(pn >> 16), byte(pn >> 8), byte(pn)}
		pkt = append(pkt, payload...)
		for len(pkt) < 5+4 {
			pkt = append(pkt, 0)
		}
		pkt = withTagRoom(pkt)
		want := append([]byte(nil), pkt...)
		k := keys[int(which)%len(keys)]
		sealed, err := k.Seal(pkt, 2, 4, pn)
		if err != nil {
			t.Fatal(err)
		}
		got, gotPN, _, err := k.Open(sealed, 2, largest)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if gotPN != pn || !bytes.Equal(sealed[:6], want[:6]) || !bytes.Equal(got, want[6:]) {
			t.Fatalf("round trip: pn %d got %d, header %x, payload %x", pn, gotPN,
				sealed[:6], got)
		}
	})
}
