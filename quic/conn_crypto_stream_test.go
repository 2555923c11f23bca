package quic

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func TestCryptoStreamReassembly(t *testing.T) {
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for round := 0; round < 50; round++ {
		var cs cryptoStream
		var got []byte
		// Random overlapping chunks in random order, each sent twice.
		type chunk struct{ off, end int }
		var chunks []chunk
		for off := 0; off < len(data); {
			n := 1 + rng.IntN(700)
			end := min(off+n, len(data))
			chunks = append(chunks, chunk{max(0, off-rng.IntN(50)), end})
			off = end
		}
		chunks = append(chunks, chunks...)
		rng.Shuffle(len(chunks), func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
		for _, c := range chunks {
			ready, err := cs.receive(uint64(c.off), data[c.off:c.end])
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ready...)
			cs.consume(len(ready))
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("round %d: reassembled %d bytes, want %d identical", round, len(got),
				len(data))
		}
	}
}

func TestCryptoStreamBufferCap(t *testing.T) {
	var cs cryptoStream
	if _, err := cs.receive(maxCryptoBuffer-1, []byte{1}); err != nil {
		t.Fatalf("data within the cap: %v", err)
	}
	_, err := cs.receive(maxCryptoBuffer, []byte{1})
	var te *TransportError
	if !errors.As(err, &te) || te.Code != errCodeCryptoBufferExceeded {
		t.Fatalf("data past the cap: %v, want CRYPTO_BUFFER_EXCEEDED", err)
	}
}

func TestCryptoStreamRetransmit(t *testing.T) {
	var cs cryptoStream
	cs.write(make([]byte, 3000))
	off1, d1, _ := cs.next(1000)
	off2, d2, _ := cs.next(1000)
	off3, d3, _ := cs.next(1000)
	if cs.hasPending() {
		t.Fatal("pending after sending everything")
	}
	cs.onAcked(off1, uint64(len(d1)))
	cs.onLost(off2, uint64(len(d2)))
	cs.onAcked(off3, uint64(len(d3)))
	off, d, ok := cs.next(5000)
	if !ok || off != 1000 || len(d) != 1000 {
		t.Fatalf("retransmission = %d+%d, want 1000+1000", off, len(d))
	}
	if cs.hasPending() {
		t.Fatal("acknowledged data queued again")
	}
	// A PTO requeues only the unacknowledged part.
	cs.requeueUnacked()
	off, d, _ = cs.next(5000)
	if off != 1000 || len(d) != 1000 {
		t.Fatalf("probe data = %d+%d, want 1000+1000", off, len(d))
	}
}

func TestRangeSet(t *testing.T) {
	var s rangeSet
	s.add(10, 20)
	s.add(30, 40)
	s.add(20, 30) // bridges both
	if len(s) != 1 || s[0] != (byteRange{10, 40}) {
		t.Fatalf("after merge: %v", s)
	}
	s.sub(15, 25)
	if len(s) != 2 || s[0] != (byteRange{10, 15}) || s[1] != (byteRange{25, 40}) {
		t.Fatalf("after sub: %v", s)
	}
	if s.prefixEnd(10) != 15 || s.prefixEnd(15) != 15 || s.prefixEnd(30) != 40 {
		t.Fatalf("prefixEnd wrong on %v", s)
	}
}

func TestKeyUpdateTwiceWithoutAck(t *testing.T) {
	c := &Conn{}
	c.state.keys.phaseFirstPN = -1
	// The peer started an update at packet 10 that we have not acknowledged.
	k := &c.state.keys
	k.peerUpdated, k.peerUpdatePN, k.ackedPeerUpdate = true, 10, false
	// RFC 9001, Section 6.2: a second update before we acknowledged packet
	// 10 is a KEY_UPDATE_ERROR.
	if err := c.onPeerKeyUpdate(20, false); err != errKeyUpdate {
		t.Fatalf("second update without ACK: %v, want KEY_UPDATE_ERROR", err)
	}
	c.keyUpdateOnAckSent(10)
	if !k.ackedPeerUpdate {
		t.Fatal("ACK covering the update's first packet not noted")
	}
}

func TestStatelessRateLimit(t *testing.T) {
	b := tokenBucket{rate: resetRate, burst: resetBurst, tokens: resetBurst}
	now := time.Unix(1000, 0)
	n := 0
	for i := 0; i < 1000; i++ {
		if b.allow(now) {
			n++
		}
	}
	if n != resetBurst {
		t.Fatalf("%d allowed at one instant, want the burst of %d", n, resetBurst)
	}
	n = 0
	for i := 0; i < 1000; i++ {
		if b.allow(now.Add(time.Second)) {
			n++
		}
	}
	if n != resetBurst {
		t.Fatalf("%d allowed after a second, want the burst of %d (refill capped)", n, resetBurst)
	}
	// Spread over a second at 1 ms steps, about resetRate pass.
	n = 0
	for i := 1; i <= 1000; i++ {
		if b.allow(now.Add(time.Second + time.Duration(i)*time.Millisecond)) {
			n++
		}
	}
	if n < resetRate-5 || n > resetRate+resetBurst {
		t.Fatalf("%d allowed in a second, want about %d", n, resetRate)
	}
}
