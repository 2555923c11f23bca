package quic

import (
	"crypto/rand"
	"encoding/binary"
	"sync"

	"github.com/peregrine-h3/peregrine/quic/internal/protection"
	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// initialScratch holds copies of first Initials while their protection is
// checked, so that the datagram itself stays intact for the connection.
var initialScratch = sync.Pool{New: func() any {
	b := make([]byte, 0, 1500)
	return &b
}}

// initialOpens reports whether the first packet of b is a QUIC v1 Initial that
// opens with the client Initial keys of its Destination Connection ID. Those
// keys depend on nothing but the packet (RFC 9001, Section 5.2), so an
// endpoint can check a would-be first Initial before it spends any state on a
// connection: a flood of datagrams that merely look like Initials then costs
// one key derivation and one AEAD open each, not a connection and its
// handshake slot until the handshake timeout.
func initialOpens(b []byte) bool {
	h, err := wire.ParseHeader(b, 0, false)
	if err != nil || h.Type != wire.PacketTypeInitial || h.PacketLen > len(b) {
		return false
	}
	client, _, err := protection.NewInitialKeys(protection.Version1, h.DCID)
	if err != nil {
		return false
	}
	p := initialScratch.Get().(*[]byte)
	defer initialScratch.Put(p)
	pkt := append((*p)[:0], b[:h.PacketLen]...)
	*p = pkt
	_, _, _, err = client.Open(pkt, h.PNOffset, -1)
	return err == nil
}

// reservedVersion returns a random version of the reserved form 0x?a?a?a?a
// (RFC 9000, Section 15) for Version Negotiation, so that a client that tried
// one reserved version does not find it listed (RFC 9000, Section 6.2).
func reservedVersion() uint32 {
	var r [4]byte
	rand.Read(r[:])
	return binary.BigEndian.Uint32(r[:])&0xf0f0f0f0 | 0x0a0a0a0a
}
