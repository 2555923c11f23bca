package protection

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"

	"golang.org/x/crypto/chacha20"
)

// headerProtector computes header protection masks (RFC 9001, Section 5.4):
// one AES block encryption of the sample, or ChaCha20 keyed with the header
// protection key, counter and nonce taken from the sample.
type headerProtector struct {
	block     cipher.Block // AES; nil when chacha is used
	chachaKey [chacha20.KeySize]byte
	// buf receives the AES output. It lives here, not on the stack, because
	// passing a stack buffer through the cipher.Block interface would move
	// it to the heap on every packet.
	buf [aes.BlockSize]byte
}

func (h *headerProtector) init(key []byte, chacha bool) error {
	if chacha {
		copy(h.chachaKey[:], key)
		return nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	h.block = block
	return nil
}

// clone returns a protector with the same key and its own scratch buffer,
// for the keys of another key phase.
func (h *headerProtector) clone() headerProtector {
	return headerProtector{block: h.block, chachaKey: h.chachaKey}
}

// mask returns the first five mask bytes for sample, which holds at least
// SampleLen bytes.
func (h *headerProtector) mask(sample []byte) [5]byte {
	var m [5]byte
	if h.block != nil {
		// RFC 9001, Section 5.4.3: mask = AES-ECB(hp_key, sample).
		h.block.Encrypt(h.buf[:], sample[:SampleLen])
		copy(m[:], h.buf[:5])
		return m
	}

	// RFC 9001, Section 5.4.4: counter = sample[0..3] little endian,
	// nonce = sample[4..15], mask = ChaCha20(hp_key, counter, nonce, 0^5).
	c, err := chacha20.NewUnauthenticatedCipher(h.chachaKey[:], sample[4:SampleLen])
	if err != nil {
		// The key and nonce lengths are fixed by construction.
		panic("protection: chacha20 setup failed with fixed-size key: " + err.Error())
	}
	c.SetCounter(binary.LittleEndian.Uint32(sample[:4]))
	c.XORKeyStream(m[:], m[:])
	return m
}

// firstByteMask returns the bits of the first byte covered by header
// protection: four for long headers, five for short headers
// (RFC 9001, Section 5.4.1).
func firstByteMask(first byte) byte {
	if first&0x80 != 0 {
		return 0x0f
	}
	return 0x1f
}
