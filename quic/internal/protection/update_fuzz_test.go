package protection

import (
	"bytes"
	"crypto/tls"
	"testing"
)

// FuzzAppKeysUpdate drives the key update state machine of two AppKeys, a
// peer and us, through a sequence of operations chosen by the input: the
// peer sends, packets are delivered in order, dropped or replayed out of
// order, and either side starts a key update whenever RFC 9001, Section 6.1
// allows it (an acknowledged packet of the current phase and no update
// pending). Every packet we open must be exactly what the peer sealed, and
// a packet newer than every packet opened so far must always open: a
// compliant peer can never get two key phases ahead of us. A side that
// opens a packet of a newer key generation must answer by sending with it
// (RFC 9001, Section 6.2).
func FuzzAppKeysUpdate(f *testing.F) {
	f.Add([]byte{0, 1, 4, 0, 1, 6, 0, 1, 4, 0, 0, 3, 1, 1})
	f.Add([]byte{5, 6, 0, 0, 1, 2, 4, 0, 3, 1, 6, 4, 0, 3, 0, 1})
	f.Add([]byte{0, 0, 1, 4, 0, 0, 0x23, 6, 4, 0, 0x33, 2, 2, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 512 {
			ops = ops[:512] // keeps each run, and so minimization, short
		}
		peer, us := appPair(t, Version1, tls.TLS_AES_128_GCM_SHA256)
		m := &updateModel{peer: peer, us: us, largest: -1,
			peerGenSeen: true, usGenSeen: true}
		for _, op := range ops {
			m.step(t, op)
		}
	})
}

// updateModel is the state of FuzzAppKeysUpdate.
type updateModel struct {
	peer, us    *AppKeys
	sent        []sentByPeer
	next        int   // index in sent of the next packet delivered in order
	peerPN      int64 // next packet number of each side
	usPN        int64
	largest     int64 // largest packet number we opened; -1 if none
	peerPhase   bool  // write phases as last seen, to notice answers
	usPhase     bool
	peerGen     int  // write key generation of the peer
	usGen       int  // and ours
	peerGenSeen bool // we opened a packet of the peer's current generation
	usGenSeen   bool // the peer opened a packet of our current generation
}

// sentByPeer is a protected packet the peer sent and what it holds.
type sentByPeer struct {
	sealed []byte
	pn     int64
	phase  bool
	gen    int
}

func (m *updateModel) step(t *testing.T, op byte) {
	switch op % 7 {
	case 0:
		m.peerSend(t)
	case 1, 2:
		if m.next < len(m.sent) {
			if op%7 == 1 {
				m.deliver(t, m.next, true)
			}
			m.next++
		}
	case 3:
		if len(m.sent) > 0 {
			m.deliver(t, int(op/7)%len(m.sent), false)
		}
	case 4:
		if m.peerGenSeen && !m.peer.UpdatePending() {
			if err := m.peer.InitiateUpdate(); err != nil {
				t.Fatalf("peer InitiateUpdate: %v", err)
			}
			m.peerGen, m.peerGenSeen, m.peerPhase = m.peerGen+1, false, m.peer.WritePhase()
		}
	case 5:
		if m.usGenSeen && !m.us.UpdatePending() {
			if err := m.us.InitiateUpdate(); err != nil {
				t.Fatalf("our InitiateUpdate: %v", err)
			}
			m.usGen, m.usGenSeen, m.usPhase = m.usGen+1, false, m.us.WritePhase()
		}
	case 6:
		m.usSendInOrder(t)
	}
}

// peerSend seals the peer's next packet; its payload is its packet number.
func (m *updateModel) peerSend(t *testing.T) {
	pn := m.peerPN
	m.peerPN++
	pkt, off, n := shortPacket(pn, []byte{byte(pn >> 8), byte(pn)})
	sealed, err := m.peer.Seal(pkt, off, n, pn)
	if err != nil {
		t.Fatalf("peer Seal pn %d: %v", pn, err)
	}
	m.sent = append(m.sent, sentByPeer{sealed: sealed, pn: pn, phase: m.peer.WritePhase(),
		gen: m.peerGen})
}

// deliver opens a copy of packet i at our side. mustOpen asks for the
// in-order guarantee, which holds only for a packet newer than all opened.
func (m *updateModel) deliver(t *testing.T, i int, mustOpen bool) {
	p := m.sent[i]
	in := append(make([]byte, 0, len(p.sealed)), p.sealed...)
	payload, pn, phase, err := m.us.Open(in, 9, m.largest)
	if err != nil {
		if mustOpen && p.pn > m.largest {
			t.Fatalf("in-order pn %d (generation %d) failed: %v", p.pn, p.gen, err)
		}
		return
	}
	want, _, _ := shortPacket(p.pn, []byte{byte(p.pn >> 8), byte(p.pn)})
	if pn != p.pn || phase != p.phase || !bytes.Equal(payload, want[11:]) {
		t.Fatalf("opened pn %d phase %v payload %x; sent pn %d phase %v", pn, phase,
			payload, p.pn, p.phase)
	}
	m.largest = max(m.largest, pn)
	if p.gen == m.peerGen {
		m.peerGenSeen = true // our ACK of it will reach the peer
	}
	if m.us.WritePhase() != m.usPhase {
		// We answered the peer's update (RFC 9001, Section 6.2).
		m.usGen, m.usGenSeen, m.usPhase = m.usGen+1, false, m.us.WritePhase()
	}
	if m.usGen < p.gen {
		t.Fatalf("opened generation %d but still send with generation %d", p.gen, m.usGen)
	}
}

// usSendInOrder seals our next packet and opens it at the peer at once.
func (m *updateModel) usSendInOrder(t *testing.T) {
	pn := m.usPN
	m.usPN++
	pkt, off, n := shortPacket(pn, []byte{7})
	sealed, err := m.us.Seal(pkt, off, n, pn)
	if err != nil {
		t.Fatalf("our Seal pn %d: %v", pn, err)
	}
	if _, got, _, err := m.peer.Open(sealed, off, pn-1); err != nil || got != pn {
		t.Fatalf("peer failed to open our in-order pn %d (generation %d): %v", pn, m.usGen,
			err)
	}
	m.usGenSeen = true
	if m.peer.WritePhase() != m.peerPhase {
		m.peerGen, m.peerGenSeen, m.peerPhase = m.peerGen+1, false, m.peer.WritePhase()
	}
	if m.peerGen < m.usGen {
		t.Fatalf("peer opened generation %d but sends with %d", m.usGen, m.peerGen)
	}
}
