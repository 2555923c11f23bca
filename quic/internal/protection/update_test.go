package protection

import (
	"bytes"
	"crypto/tls"
	"errors"
	"testing"
)

// appPair returns the AppKeys of a client and a server that share 1-RTT
// secrets, as after a handshake.
func appPair(t *testing.T, version uint32, suite uint16) (client, server *AppKeys) {
	t.Helper()
	n := 32
	if suite == tls.TLS_AES_256_GCM_SHA384 {
		n = 48
	}
	c2s, s2c := make([]byte, n), make([]byte, n)
	for i := range n {
		c2s[i], s2c[i] = byte(i), byte(0x80+i)
	}
	client, server = new(AppKeys), new(AppKeys)
	for _, err := range []error{
		client.SetWriteSecret(version, suite, c2s),
		client.SetReadSecret(version, suite, s2c),
		server.SetWriteSecret(version, suite, s2c),
		server.SetReadSecret(version, suite, c2s),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return client, server
}

// shortPacket builds an unprotected short header packet: an 8-byte
// Destination Connection ID, a 2-byte packet number and payload, padded so a
// header protection sample is available.
func shortPacket(pn int64, payload []byte) (pkt []byte, pnOffset, pnLen int) {
	pkt = []byte{0x41, 1, 2, 3, 4, 5, 6, 7, 8, byte(pn >> 8), byte(pn)}
	pkt = append(pkt, payload...)
	for len(pkt) < 9+4 {
		pkt = append(pkt, 0)
	}
	return withTagRoom(pkt), 9, 2
}

// transfer seals a packet with pn and payload at from and opens it at to,
// returning what Open reported.
func transfer(t *testing.T, from, to *AppKeys, pn, largest int64, payload []byte) (
	bool, error) {
	t.Helper()
	pkt, off, n := shortPacket(pn, payload)
	sealed, err := from.Seal(pkt, off, n, pn)
	if err != nil {
		t.Fatalf("Seal pn %d: %v", pn, err)
	}
	got, gotPN, phase, err := to.Open(sealed, off, largest)
	if err != nil {
		return phase, err
	}
	if gotPN != pn || !bytes.HasPrefix(got, payload) {
		t.Fatalf("Open pn %d payload %x, want pn %d payload %x", gotPN, got, pn, payload)
	}
	return phase, nil
}

func TestAppKeysUpdate(t *testing.T) {
	for _, v := range []uint32{Version1, Version2} {
		for _, s := range benchSuites {
			t.Run(s.name, func(t *testing.T) { testAppKeysUpdate(t, v, s.suite) })
		}
	}
}

func testAppKeysUpdate(t *testing.T, version uint32, suite uint16) {
	client, server := appPair(t, version, suite)
	msg := []byte("hello, key phase")

	if phase, err := transfer(t, client, server, 1, 0, msg); err != nil || phase {
		t.Fatalf("phase 0 packet: phase %v err %v", phase, err)
	}

	// The client seals pn 2 before updating, and delivers it late.
	late, lateOff, lateN := shortPacket(2, msg)
	late, err := client.Seal(late, lateOff, lateN, 2)
	if err != nil {
		t.Fatal(err)
	}

	if err := client.InitiateUpdate(); err != nil {
		t.Fatal(err)
	}
	if !client.WritePhase() || client.ReadPhase() || !client.UpdatePending() {
		t.Fatal("client phases wrong after InitiateUpdate")
	}
	if err := client.InitiateUpdate(); !errors.Is(err, ErrUpdatePending) {
		t.Fatalf("second InitiateUpdate: %v, want ErrUpdatePending", err)
	}

	// The server opens the first packet of the new phase with its next keys
	// and answers the update.
	if phase, err := transfer(t, client, server, 3, 1, msg); err != nil || !phase {
		t.Fatalf("phase 1 packet: phase %v err %v", phase, err)
	}
	if !server.ReadPhase() || !server.WritePhase() {
		t.Fatal("server did not follow the key update")
	}

	// The reordered packet of the old phase opens with the previous keys.
	if _, pn, phase, err := server.Open(late, lateOff, 3); err != nil || pn != 2 || phase {
		t.Fatalf("late phase 0 packet: pn %d phase %v err %v", pn, phase, err)
	}

	// The server's answer completes the update at the client.
	if phase, err := transfer(t, server, client, 1, 0, msg); err != nil || !phase {
		t.Fatalf("server phase 1 packet: phase %v err %v", phase, err)
	}
	if client.UpdatePending() || !client.ReadPhase() {
		t.Fatal("client update not completed")
	}

	testServerUpdate(t, client, server, msg)
}

// testServerUpdate continues testAppKeysUpdate once both sides are in phase
// 1: the server initiates the next update, and old keys are discarded.
func testServerUpdate(t *testing.T, client, server *AppKeys, msg []byte) {
	t.Helper()
	if err := server.InitiateUpdate(); err != nil {
		t.Fatal(err)
	}
	if phase, err := transfer(t, server, client, 2, 1, msg); err != nil || phase {
		t.Fatalf("server phase 0 packet after second update: phase %v err %v", phase, err)
	}
	if client.WritePhase() || client.ReadPhase() {
		t.Fatal("client did not follow the second update")
	}
	if phase, err := transfer(t, client, server, 4, 3, msg); err != nil || phase {
		t.Fatalf("client answer to second update: phase %v err %v", phase, err)
	}

	// Once the previous keys are gone, a late packet of that phase (bit set,
	// older than the current phase's first packet) is dropped unopened.
	server.DiscardPrevious()
	failed := server.FailedOpens()
	pkt, off, n := shortPacket(3, msg)
	sealed, err := client.write.Seal(pkt, off, n, 3)
	if err != nil {
		t.Fatal(err)
	}
	sealed[0] ^= 0x04 // still protected; flips the unprotected Key Phase bit
	if _, _, _, err := server.Open(sealed, off, 4); !errors.Is(err, ErrDecryptionFailed) {
		t.Fatalf("packet of a discarded phase: err %v, want ErrDecryptionFailed", err)
	}
	if server.FailedOpens() != failed {
		t.Error("a packet of a discarded phase counted as an authentication failure")
	}
}

// TestAppKeysOpensNextKeys seals a packet with keys derived by Keys.Next and
// opens it with AppKeys, which must recognize the key update.
func TestAppKeysOpensNextKeys(t *testing.T) {
	for _, s := range benchSuites {
		t.Run(s.name, func(t *testing.T) {
			client, server := appPair(t, Version1, s.suite)
			next, err := client.write.Next()
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(next.secret, client.write.secret) || next.iv == client.write.iv {
				t.Fatal("Next returned the same secret or IV")
			}
			pkt, off, n := shortPacket(7, []byte{0x01})
			pkt[0] |= 0x04
			sealed, err := next.Seal(pkt, off, n, 7)
			if err != nil {
				t.Fatal(err)
			}
			payload, pn, phase, err := server.Open(sealed, off, 6)
			if err != nil || pn != 7 || !phase || payload[0] != 0x01 {
				t.Fatalf("Open: payload %x pn %d phase %v err %v", payload, pn, phase, err)
			}
			if !server.ReadPhase() || !server.WritePhase() || server.Sealed() != 0 {
				t.Error("server did not move to the next phase")
			}
		})
	}
}

// TestAppKeysForgedPhaseBit checks that a packet whose Key Phase bit was
// flipped in transit fails authentication, is counted, and does not advance
// the keys.
func TestAppKeysForgedPhaseBit(t *testing.T) {
	client, server := appPair(t, Version1, tls.TLS_AES_128_GCM_SHA256)
	pkt, off, n := shortPacket(5, []byte("payload"))
	sealed, err := client.Seal(pkt, off, n, 5)
	if err != nil {
		t.Fatal(err)
	}
	sealed[0] ^= 0x04
	if _, _, _, err := server.Open(sealed, off, 4); !errors.Is(err, ErrDecryptionFailed) {
		t.Fatalf("Open of forged packet: %v, want ErrDecryptionFailed", err)
	}
	if server.ReadPhase() || server.WritePhase() {
		t.Error("a forged packet advanced the key phase")
	}
	if server.FailedOpens() != 1 {
		t.Errorf("FailedOpens %d, want 1", server.FailedOpens())
	}
	if _, err := transfer(t, client, server, 6, 4, []byte("again")); err != nil {
		t.Fatalf("genuine packet after a forged one: %v", err)
	}
	if client.Sealed() != 2 {
		t.Errorf("Sealed %d, want 2", client.Sealed())
	}
}

func TestAppKeysWithoutKeys(t *testing.T) {
	var a AppKeys
	pkt, off, n := shortPacket(1, []byte{1})
	if _, err := a.Seal(pkt, off, n, 1); !errors.Is(err, ErrNoKeys) {
		t.Errorf("Seal without keys: %v", err)
	}
	if _, _, _, err := a.Open(make([]byte, 40), off, -1); !errors.Is(err, ErrNoKeys) {
		t.Errorf("Open without keys: %v", err)
	}
	client, _ := appPair(t, Version1, tls.TLS_AES_128_GCM_SHA256)
	long := withTagRoom([]byte{0xc1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	if _, err := client.Seal(long, 7, 2, 0); !errors.Is(err, ErrBadArgument) {
		t.Errorf("AppKeys.Seal of a long header: %v, want ErrBadArgument", err)
	}
	if err := a.InitiateUpdate(); !errors.Is(err, ErrNoKeys) {
		t.Errorf("InitiateUpdate without keys: %v", err)
	}
	if a.CanSeal() || a.CanOpen() || a.Suite() != 0 {
		t.Error("zero AppKeys claims keys")
	}
}

func TestAEADLimits(t *testing.T) {
	tests := []struct {
		suite                  uint16
		confidentiality, integ uint64
	}{
		{tls.TLS_AES_128_GCM_SHA256, 1 << 23, 1 << 52},
		{tls.TLS_AES_256_GCM_SHA384, 1 << 23, 1 << 52},
		{tls.TLS_CHACHA20_POLY1305_SHA256, 1<<64 - 1, 1 << 36},
		{0x1304, 0, 0}, // TLS_AES_128_CCM_SHA256 is not supported
	}
	for _, tt := range tests {
		if got := ConfidentialityLimit(tt.suite); got != tt.confidentiality {
			t.Errorf("ConfidentialityLimit(%#x) = %d, want %d", tt.suite, got, tt.confidentiality)
		}
		if got := IntegrityLimit(tt.suite); got != tt.integ {
			t.Errorf("IntegrityLimit(%#x) = %d, want %d", tt.suite, got, tt.integ)
		}
	}
}
