package protection

import (
	"crypto/tls"
	"encoding/binary"
	"testing"
)

// benchPacketLen is the size of the protected 1-RTT packet in benchmarks.
const benchPacketLen = 1350

// benchHeader is a short header: first byte, an 8-byte Destination
// Connection ID and a 4-byte packet number, which starts at offset 9.
const (
	benchPNOffset = 9
	benchPNLen    = 4
	benchHdrLen   = benchPNOffset + benchPNLen
)

func benchKeys(b *testing.B, suite uint16) *Keys {
	b.Helper()
	secret := make([]byte, 32)
	if suite == tls.TLS_AES_256_GCM_SHA384 {
		secret = make([]byte, 48)
	}
	for i := range secret {
		secret[i] = byte(i)
	}
	k, err := NewKeys(Version1, suite, secret)
	if err != nil {
		b.Fatal(err)
	}
	return k
}

// newBenchPacket returns an unprotected 1-RTT packet of benchPacketLen bytes
// minus the tag, with room for the tag in its capacity.
func newBenchPacket(pn int64) []byte {
	pkt := make([]byte, benchPacketLen-TagLen, benchPacketLen)
	for i := range pkt {
		pkt[i] = byte(i)
	}
	setBenchHeader(pkt, pn)
	return pkt
}

// setBenchHeader writes the first byte and the packet number of pkt.
func setBenchHeader(pkt []byte, pn int64) {
	pkt[0] = 0x43 // short header, fixed bit, 4-byte packet number
	binary.BigEndian.PutUint32(pkt[benchPNOffset:], uint32(pn))
}

var benchSuites = []struct {
	name  string
	suite uint16
}{
	{"AES128GCM", tls.TLS_AES_128_GCM_SHA256},
	{"AES256GCM", tls.TLS_AES_256_GCM_SHA384},
	{"ChaCha20Poly1305", tls.TLS_CHACHA20_POLY1305_SHA256},
}

// BenchmarkSeal measures AEAD sealing plus header protection of one
// 1350-byte packet, in place.
func BenchmarkSeal(b *testing.B) {
	for _, s := range benchSuites {
		b.Run(s.name, func(b *testing.B) {
			k := benchKeys(b, s.suite)
			pkt := newBenchPacket(0)
			b.ReportAllocs()
			b.SetBytes(benchPacketLen)
			pn := int64(0)
			for b.Loop() {
				// Sealing the previous output again costs the same as
				// sealing fresh plaintext; only the header is rewritten.
				setBenchHeader(pkt, pn)
				if _, err := k.Seal(pkt[:benchPacketLen-TagLen], benchPNOffset, benchPNLen,
					pn); err != nil {
					b.Fatal(err)
				}
				pn++
			}
		})
	}
}

// BenchmarkOpen measures header protection removal plus AEAD opening of one
// 1350-byte packet, in place. Each iteration first copies the protected
// packet back into the buffer (about 30 ns), as opening destroys it.
func BenchmarkOpen(b *testing.B) {
	for _, s := range benchSuites {
		b.Run(s.name, func(b *testing.B) {
			k := benchKeys(b, s.suite)
			sealed, err := k.Seal(newBenchPacket(1000), benchPNOffset, benchPNLen, 1000)
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, len(sealed))
			b.ReportAllocs()
			b.SetBytes(benchPacketLen)
			for b.Loop() {
				copy(buf, sealed)
				if _, _, _, err := k.Open(buf, benchPNOffset, 999); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppKeysSealOpen measures a seal and an open through AppKeys, the
// path 1-RTT packets take, with the key phase logic included.
func BenchmarkAppKeysSealOpen(b *testing.B) {
	for _, s := range benchSuites {
		b.Run(s.name, func(b *testing.B) {
			secret := benchKeys(b, s.suite).secret
			var a AppKeys
			if err := a.SetWriteSecret(Version1, s.suite, secret); err != nil {
				b.Fatal(err)
			}
			if err := a.SetReadSecret(Version1, s.suite, secret); err != nil {
				b.Fatal(err)
			}
			pkt := newBenchPacket(0)
			b.ReportAllocs()
			b.SetBytes(benchPacketLen)
			pn := int64(0)
			for b.Loop() {
				setBenchHeader(pkt, pn)
				out, err := a.Seal(pkt[:benchPacketLen-TagLen], benchPNOffset, benchPNLen, pn)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, _, err := a.Open(out, benchPNOffset, pn-1); err != nil {
					b.Fatal(err)
				}
				pn++
			}
		})
	}
}

// BenchmarkHeaderProtection measures the mask computation alone.
func BenchmarkHeaderProtection(b *testing.B) {
	for _, s := range benchSuites {
		b.Run(s.name, func(b *testing.B) {
			k := benchKeys(b, s.suite)
			sample := make([]byte, SampleLen)
			b.ReportAllocs()
			for b.Loop() {
				m := k.hp.mask(sample)
				sample[0] ^= m[0]
			}
		})
	}
}

// BenchmarkAEADOnly seals the same payload with the bare AEAD, no header
// protection and no checks: the floor that BenchmarkSeal is compared with in
// the same run, since this shared machine's timings drift between runs.
func BenchmarkAEADOnly(b *testing.B) {
	for _, s := range benchSuites {
		b.Run(s.name, func(b *testing.B) {
			k := benchKeys(b, s.suite)
			pkt := newBenchPacket(0)
			b.ReportAllocs()
			b.SetBytes(benchPacketLen)
			for b.Loop() {
				k.aead.Seal(pkt[benchHdrLen:benchHdrLen], k.iv[:], pkt[benchHdrLen:],
					pkt[:benchHdrLen])
			}
		})
	}
}
