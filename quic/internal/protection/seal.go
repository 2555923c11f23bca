package protection

import "encoding/binary"

// Seal protects the packet in pkt in place and returns it with the
// authentication tag appended (RFC 9001, Sections 5.3 and 5.4).
//
// pkt holds the complete unprotected header followed by the plaintext
// payload. The header ends with the truncated packet number of pnLen bytes
// (1 to 4) at pnOffset, which must agree with pn and with the first byte's
// Packet Number Length bits, and its Length field, if any, already counts the
// TagLen bytes of the tag. pn is the full packet number. The tag is written
// in the capacity of pkt after len(pkt), so the result always aliases pkt and
// nothing is allocated; without TagLen bytes of spare capacity Seal fails with
// ErrNoTagRoom.
//
// The packet must be long enough for the header protection sample: the
// packet number and payload together at least 4 bytes (RFC 9001,
// Section 5.4.2); the caller pads with PADDING frames. On error pkt is left
// unchanged.
func (k *Keys) Seal(pkt []byte, pnOffset, pnLen int, pn int64) ([]byte, error) {
	// Written so that no sum can overflow, whatever the arguments.
	if pnLen < 1 || pnLen > 4 || pnOffset < 1 || pnOffset > len(pkt)-pnLen ||
		pn < 0 || pn > MaxPacketNumber || !headerMatches(pkt, pnOffset, pnLen, pn) {
		return nil, ErrBadArgument
	}
	hdrLen := pnOffset + pnLen
	// RFC 9001, Section 5.4.2: the sample starts 4 bytes after the packet
	// number offset and must lie within the protected packet.
	if len(pkt)+TagLen < pnOffset+4+SampleLen {
		return nil, ErrPacketTooShort
	}
	// Sealing into a new buffer would leave plaintext in the caller's one,
	// which a caller ignoring the result could then send.
	if cap(pkt)-len(pkt) < TagLen {
		return nil, ErrNoTagRoom
	}

	k.setNonce(pn)
	ct := k.aead.Seal(pkt[hdrLen:hdrLen], k.nonce[:], pkt[hdrLen:], pkt[:hdrLen])
	pkt = pkt[:hdrLen+len(ct)]

	m := k.hp.mask(pkt[pnOffset+4:])
	pkt[0] ^= m[0] & firstByteMask(pkt[0])
	for i := range pnLen {
		pkt[pnOffset+i] ^= m[1+i]
	}
	return pkt, nil
}

// headerMatches reports whether the first byte's Packet Number Length bits
// and the truncated packet number at pnOffset agree with pnLen and pn, so
// that a header built wrongly fails here rather than at the peer.
func headerMatches(pkt []byte, pnOffset, pnLen int, pn int64) bool {
	if int(pkt[0]&0x03)+1 != pnLen {
		return false
	}
	var truncated uint64
	for _, c := range pkt[pnOffset : pnOffset+pnLen] {
		truncated = truncated<<8 | uint64(c)
	}
	return truncated == uint64(pn)&(1<<(8*pnLen)-1)
}

// Open removes protection from the packet in pkt in place (RFC 9001,
// Sections 5.3 and 5.4) and returns the plaintext payload, which aliases pkt,
// with the full packet number and, for a short header, the Key Phase bit.
//
// pkt holds exactly one packet and pnOffset is the offset of its packet
// number field; largest is the largest packet number successfully processed
// in the same packet number space, or -1 if none. Afterwards pkt[:pnOffset+n]
// is the unprotected header, n being the packet number length given by the
// first byte.
//
// The error is ErrPacketTooShort if pkt cannot hold a header protection
// sample and ErrDecryptionFailed otherwise; on error the contents of pkt are
// unspecified and the packet must be dropped.
func (k *Keys) Open(pkt []byte, pnOffset int, largest int64) (
	payload []byte, pn int64, keyPhase bool, err error) {
	hdrLen, pn, err := k.unprotectHeader(pkt, pnOffset, largest)
	if err != nil {
		return nil, 0, false, err
	}
	payload, err = k.openPayload(pkt, hdrLen, pn)
	if err != nil {
		return nil, 0, false, err
	}
	return payload, pn, isKeyPhase(pkt[0]), nil
}

// unprotectHeader removes header protection in place and returns the header
// length and the decoded packet number.
func (k *Keys) unprotectHeader(pkt []byte, pnOffset int, largest int64) (int, int64, error) {
	// RFC 9001, Section 5.4.2: a packet too short to sample is dropped.
	// The comparison is written so that a huge pnOffset cannot overflow.
	if pnOffset < 1 || pnOffset > len(pkt)-4-SampleLen {
		return 0, 0, ErrPacketTooShort
	}
	m := k.hp.mask(pkt[pnOffset+4:])
	pkt[0] ^= m[0] & firstByteMask(pkt[0])
	pnLen := int(pkt[0]&0x03) + 1
	var truncated uint64
	for i := range pnLen {
		pkt[pnOffset+i] ^= m[1+i]
		truncated = truncated<<8 | uint64(pkt[pnOffset+i])
	}
	pn := decodePacketNumber(largest, truncated, pnLen)
	if pn > MaxPacketNumber {
		return 0, 0, ErrDecryptionFailed
	}
	return pnOffset + pnLen, pn, nil
}

// openPayload authenticates and decrypts the payload after a header of
// hdrLen bytes in place. The sample check guarantees room for the tag.
func (k *Keys) openPayload(pkt []byte, hdrLen int, pn int64) ([]byte, error) {
	k.setNonce(pn)
	ct := pkt[hdrLen:]
	payload, err := k.aead.Open(ct[:0], k.nonce[:], ct, pkt[:hdrLen])
	if err != nil {
		return nil, ErrDecryptionFailed
	}
	return payload, nil
}

// setNonce forms the AEAD nonce: the IV with the packet number, left-padded
// to the IV length, XORed into it (RFC 9001, Section 5.3).
func (k *Keys) setNonce(pn int64) {
	k.nonce = k.iv
	x := binary.BigEndian.Uint64(k.nonce[ivLen-8:]) ^ uint64(pn)
	binary.BigEndian.PutUint64(k.nonce[ivLen-8:], x)
}

// isKeyPhase reports the Key Phase bit of an unprotected short header first
// byte; it is false for long headers.
func isKeyPhase(first byte) bool {
	return first&0x80 == 0 && first&0x04 != 0
}
