package protection

import (
	"bytes"
	"crypto/tls"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestDecodePacketNumber(t *testing.T) {
	tests := []struct {
		largest   int64
		truncated uint64
		pnLen     int
		want      int64
	}{
		// RFC 9000, Appendix A.3.
		{0xa82f30ea, 0x9b32, 2, 0xa82f9b32},
		{-1, 0, 1, 0},
		{-1, 0xff, 1, 0xff},
		{0xff, 0x00, 1, 0x100},
		{0x17f, 0x00, 1, 0x200},
		{0x180, 0x7f, 1, 0x17f},
		{0x180, 0x80, 1, 0x180},
		// The candidate would pass the end of the space: stay below.
		{MaxPacketNumber - 1, 0xff, 1, MaxPacketNumber},
		{MaxPacketNumber, 0x00, 1, MaxPacketNumber + 1},
		{1 << 40, 0xffffffff, 4, 1<<40 - 1},
	}
	for _, tt := range tests {
		if got := decodePacketNumber(tt.largest, tt.truncated, tt.pnLen); got != tt.want {
			t.Errorf("decodePacketNumber(%#x, %#x, %d) = %#x, want %#x",
				tt.largest, tt.truncated, tt.pnLen, got, tt.want)
		}
	}
}

// TestDecodePacketNumberRoundTrip truncates packet numbers near the largest
// one received and checks that decoding recovers them, as RFC 9000,
// Section 17.1, promises within half the window.
func TestDecodePacketNumberRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		pnLen := 1 + i%4
		hwin := int64(1) << (8*pnLen - 1)
		largest := r.Int64N(1<<40) - 1
		pn := largest + 1 - hwin + 1 + r.Int64N(2*hwin-1)
		if pn < 0 {
			continue
		}
		truncated := uint64(pn) & (1<<(8*pnLen) - 1)
		if got := decodePacketNumber(largest, truncated, pnLen); got != pn {
			t.Fatalf("largest %d pn %d len %d: decoded %d", largest, pn, pnLen, got)
		}
	}
}

func TestNewKeysErrors(t *testing.T) {
	secret := make([]byte, 32)
	if _, err := NewKeys(0xff00001d, tls.TLS_AES_128_GCM_SHA256, secret); !errors.Is(err,
		ErrUnknownVersion) {
		t.Errorf("unknown version: %v", err)
	}
	if _, err := NewKeys(Version1, 0x1304, secret); !errors.Is(err, ErrUnknownSuite) {
		t.Errorf("unknown suite: %v", err)
	}
	if _, err := NewKeys(Version1, tls.TLS_AES_256_GCM_SHA384, secret); !errors.Is(err,
		ErrBadSecret) {
		t.Errorf("SHA-256 sized secret for a SHA-384 suite: %v", err)
	}
	if _, _, err := NewInitialKeys(0, []byte{1}); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("Initial keys for version 0: %v", err)
	}
	if _, err := RetryIntegrityTag(0, nil, nil); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("Retry tag for version 0: %v", err)
	}
	if _, err := RetryIntegrityTag(Version1, make([]byte, 21), nil); !errors.Is(err,
		ErrBadArgument) {
		t.Errorf("Retry tag with a 21-byte ODCID: %v", err)
	}
}

func TestSealArguments(t *testing.T) {
	client, _, err := NewInitialKeys(Version1, odcid)
	if err != nil {
		t.Fatal(err)
	}
	base, _, _ := shortPacket(0x1234, []byte("payload"))
	tests := []struct {
		name            string
		pkt             []byte
		pnOffset, pnLen int
		pn              int64
		want            error
	}{
		{"ok", base, 9, 2, 0x1234, nil},
		{"pn bytes disagree", base, 9, 2, 0x1235, ErrBadArgument},
		{"length bits disagree", base, 9, 3, 0x1234, ErrBadArgument},
		{"pn length 0", base, 9, 0, 0x1234, ErrBadArgument},
		{"pn offset 0", base, 0, 2, 0x1234, ErrBadArgument},
		{"negative pn", base, 9, 2, -1, ErrBadArgument},
		{"pn past the end", base[:10], 9, 2, 0x1234, ErrBadArgument},
		{"no room for sample", base[:12], 9, 2, 0x1234, ErrPacketTooShort},
		{"huge pn offset", base, math.MaxInt - 1, 2, 0x1234, ErrBadArgument},
		{"huge pn offset 2", base, math.MaxInt, 2, 0x1234, ErrBadArgument},
	}
	for _, tt := range tests {
		pkt := make([]byte, len(tt.pkt), len(tt.pkt)+TagLen)
		copy(pkt, tt.pkt)
		orig := append([]byte(nil), pkt...)
		out, err := client.Seal(pkt, tt.pnOffset, tt.pnLen, tt.pn)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
			continue
		}
		if err != nil {
			if !bytes.Equal(pkt, orig) {
				t.Errorf("%s: failed Seal changed the packet", tt.name)
			}
			continue
		}
		if len(out) != len(orig)+TagLen || &out[0] != &pkt[0] {
			t.Errorf("%s: sealed length %d (want %d) or not in place", tt.name, len(out),
				len(orig)+TagLen)
		}
	}

	// Without spare capacity for the tag Seal must refuse, not copy.
	pkt := make([]byte, len(base), len(base)+TagLen-1)
	copy(pkt, base)
	if _, err := client.Seal(pkt, 9, 2, 0x1234); !errors.Is(err, ErrNoTagRoom) {
		t.Errorf("Seal without room for the tag: %v, want ErrNoTagRoom", err)
	}
	if !bytes.Equal(pkt, base) {
		t.Error("refused Seal changed the packet")
	}
}

func TestOpenRejects(t *testing.T) {
	client, _, err := NewInitialKeys(Version1, odcid)
	if err != nil {
		t.Fatal(err)
	}
	pkt, off, n := shortPacket(9, []byte("some payload"))
	sealed, err := client.Seal(pkt, off, n, 9)
	if err != nil {
		t.Fatal(err)
	}

	// Every flipped bit must fail: the header is authenticated as AAD, the
	// payload by the tag, and a changed packet number changes the nonce.
	for bit := range 8 * len(sealed) {
		in := append([]byte(nil), sealed...)
		in[bit/8] ^= 1 << (bit % 8)
		if _, _, _, err := client.Open(in, off, 8); !errors.Is(err, ErrDecryptionFailed) {
			t.Fatalf("bit %d: err %v, want ErrDecryptionFailed", bit, err)
		}
	}

	// Too short for a sample: every length from 0 up.
	for l := range off + 4 + SampleLen {
		in := append([]byte(nil), sealed[:min(l, len(sealed))]...)
		if _, _, _, err := client.Open(in, off, 8); !errors.Is(err, ErrPacketTooShort) {
			t.Fatalf("length %d: err %v, want ErrPacketTooShort", l, err)
		}
	}
	for _, bad := range []int{-1, 0, len(sealed), math.MaxInt, math.MaxInt - 10, math.MinInt} {
		in := append([]byte(nil), sealed...)
		if _, _, _, err := client.Open(in, bad, 8); !errors.Is(err, ErrPacketTooShort) {
			t.Errorf("pn offset %d: err %v, want ErrPacketTooShort", bad, err)
		}
	}

	// The wrong direction's keys fail.
	_, server, _ := NewInitialKeys(Version1, odcid)
	in := append([]byte(nil), sealed...)
	if _, _, _, err := server.Open(in, off, 8); !errors.Is(err, ErrDecryptionFailed) {
		t.Errorf("Open with the other side's keys: %v", err)
	}
}

func TestResetToken(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	g := NewResetTokenGenerator(key)
	key[0] = 0 // the generator keeps its own copy
	cid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	tok := g.Token(cid)
	if tok != NewResetTokenGenerator(bytes.Repeat([]byte{7}, 32)).Token(cid) {
		t.Error("same key and connection ID gave different tokens")
	}
	if tok == g.Token([]byte{1, 2, 3, 4, 5, 6, 7, 9}) {
		t.Error("different connection IDs gave the same token")
	}
	if tok == NewResetTokenGenerator(key).Token(cid) {
		t.Error("different keys gave the same token")
	}
	if tok == ([ResetTokenLen]byte{}) {
		t.Error("zero token")
	}
	if !EqualResetTokens(tok, g.Token(cid)) {
		t.Error("EqualResetTokens rejected equal tokens")
	}
	other := tok
	other[15] ^= 1
	if EqualResetTokens(tok, other) {
		t.Error("EqualResetTokens accepted different tokens")
	}
}

// TestConcurrentSharedState runs the functions documented as safe for
// concurrent use from several goroutines, for the race detector.
func TestConcurrentSharedState(t *testing.T) {
	retry := readVector(t, "rfc9001_retry_packet.hex")
	g := NewResetTokenGenerator(bytes.Repeat([]byte{1}, 32))
	want := g.Token([]byte{9})
	done := make(chan bool)
	for range 4 {
		go func() {
			ok := true
			for range 50 {
				ok = ok && VerifyRetry(Version1, odcid, retry) && g.Token([]byte{9}) == want
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("concurrent VerifyRetry or Token gave a wrong answer")
		}
	}
}
