package quic

import (
	"crypto/rand"
)

const (
	// connIDLen is the length of every connection ID this endpoint issues.
	connIDLen = 8
	// localConnIDLimit is the active_connection_id_limit we advertise: how many
	// of the peer's connection IDs we store at once.
	localConnIDLimit = 4
	// maxIssuedConnIDs bounds how many IDs we issue however large the peer's
	// active_connection_id_limit is.
	maxIssuedConnIDs = 4
	// maxPendingRetire bounds the RETIRE_CONNECTION_ID frames waiting to be sent.
	// The peer can only make us retire IDs it issued, and it may issue at most
	// localConnIDLimit live ones, so this is reached only by a misbehaving peer.
	maxPendingRetire = 32
)

// localConnID is a connection ID we issued to the peer.
type localConnID struct {
	seq     uint64
	id      [connIDLen]byte
	token   [16]byte
	sent    bool // NEW_CONNECTION_ID sent (or not needed: sequence 0)
	acked   bool
	retired bool
}

// remoteConnID is a connection ID the peer issued to us.
type remoteConnID struct {
	seq   uint64
	id    []byte
	token [16]byte
	hasTk bool
}

// connIDState tracks both sides' connection IDs. It is owned by the
// connection's goroutine.
type connIDState struct {
	local       []localConnID
	nextSeq     uint64
	peerLimit   uint64 // peer's active_connection_id_limit
	remote      []remoteConnID
	retireBelow uint64   // peer's largest Retire Prior To
	toRetire    []uint64 // sequence numbers to send RETIRE_CONNECTION_ID for
	// Handshake connection IDs, for transport parameter validation.
	origDCID    []byte // client's first destination ID
	initialSCID []byte // the source ID we put in our first packet
	// peerInitialSCID is the source ID of the peer's first packet.
	peerInitialSCID []byte
}

// newLocalConnID makes a fresh random connection ID and its reset token.
func (s *connIDState) newLocalConnID(tokenFor func(id []byte) [16]byte) localConnID {
	l := localConnID{seq: s.nextSeq}
	s.nextSeq++
	rand.Read(l.id[:])
	l.token = tokenFor(l.id[:])
	s.local = append(s.local, l)
	return l
}

// activeLocal returns the number of issued IDs not retired.
func (s *connIDState) activeLocal() int {
	n := 0
	for _, l := range s.local {
		if !l.retired {
			n++
		}
	}
	return n
}

// wantIssue reports whether we should issue another connection ID: fewer
// active IDs than both the peer's limit and our own cap.
func (s *connIDState) wantIssue() bool {
	limit := min(s.peerLimit, maxIssuedConnIDs)
	return uint64(s.activeLocal()) < limit
}

// dcid returns the peer-issued connection ID we currently send to.
func (s *connIDState) dcid() []byte {
	if len(s.remote) == 0 {
		return nil
	}
	return s.remote[0].id
}

// setPeerHandshakeID records or replaces the peer's sequence-0 connection ID,
// learned from the Source Connection ID of its first long-header packet.
func (s *connIDState) setPeerHandshakeID(id []byte) {
	cp := append([]byte(nil), id...)
	if len(s.remote) == 0 {
		s.remote = append(s.remote, remoteConnID{seq: 0, id: cp})
		return
	}
	s.remote[0].id = cp
}

// handleNewConnectionID processes a NEW_CONNECTION_ID frame
// (RFC 9000, Section 19.15). It returns a transport error for violations.
func (s *connIDState) handleNewConnectionID(seq, retirePriorTo uint64, id []byte,
	token [16]byte) error {
	if len(s.remote) > 0 && len(s.remote[0].id) == 0 {
		// RFC 9000, Section 19.15: an endpoint that uses zero-length IDs must
		// not receive NEW_CONNECTION_ID.
		return &TransportError{Code: errCodeProtocolViolation,
			Reason: "NEW_CONNECTION_ID with zero-length connection ID"}
	}
	if retirePriorTo > seq {
		return &TransportError{Code: errCodeFrameEncoding, Reason: "retire_prior_to > sequence"}
	}
	for _, r := range s.remote {
		if r.seq == seq {
			if string(r.id) != string(id) || (r.hasTk && r.token != token) {
				return &TransportError{Code: errCodeProtocolViolation,
					Reason: "NEW_CONNECTION_ID reuses a sequence number"}
			}
			return nil
		}
	}
	if seq < s.retireBelow {
		// RFC 9000, Section 19.15: an ID already retired by Retire Prior To is
		// retired at once.
		return s.queueRetire(seq)
	}
	if retirePriorTo > s.retireBelow {
		s.retireBelow = retirePriorTo
		kept := s.remote[:0]
		for _, r := range s.remote {
			if r.seq < retirePriorTo {
				if err := s.queueRetire(r.seq); err != nil {
					return err
				}
				continue
			}
			kept = append(kept, r)
		}
		s.remote = kept
	}
	s.remote = append(s.remote, remoteConnID{seq: seq, id: append([]byte(nil), id...),
		token: token, hasTk: true})
	// RFC 9000, Section 5.1.1: more active IDs than our limit is an error.
	if uint64(len(s.remote)) > localConnIDLimit {
		return &TransportError{Code: errCodeConnectionIDLimit,
			Reason: "too many connection IDs"}
	}
	// Use the lowest sequence number as the active one.
	for i := 1; i < len(s.remote); i++ {
		if s.remote[i].seq < s.remote[0].seq {
			s.remote[0], s.remote[i] = s.remote[i], s.remote[0]
		}
	}
	return nil
}

// queueRetire schedules a RETIRE_CONNECTION_ID frame, bounded by
// maxPendingRetire.
func (s *connIDState) queueRetire(seq uint64) error {
	for _, q := range s.toRetire {
		if q == seq {
			return nil
		}
	}
	if len(s.toRetire) >= maxPendingRetire {
		return &TransportError{Code: errCodeConnectionIDLimit,
			Reason: "too many connection IDs to retire"}
	}
	s.toRetire = append(s.toRetire, seq)
	return nil
}

// handleRetireConnectionID processes RETIRE_CONNECTION_ID (RFC 9000,
// Section 19.16) received in a packet sent to dcid. It returns the retired ID
// (for removal from the endpoint's table) or an error.
func (s *connIDState) handleRetireConnectionID(seq uint64, dcid []byte) ([]byte, error) {
	if seq >= s.nextSeq {
		return nil, &TransportError{Code: errCodeProtocolViolation,
			Reason: "retiring an unissued connection ID"}
	}
	for i := range s.local {
		l := &s.local[i]
		if l.seq != seq {
			continue
		}
		if string(l.id[:]) == string(dcid) {
			return nil, &TransportError{Code: errCodeProtocolViolation,
				Reason: "retiring the connection ID in use"}
		}
		if l.retired {
			return nil, nil
		}
		l.retired = true
		id := append([]byte(nil), l.id[:]...)
		// Drop retired entries to keep the list bounded.
		kept := s.local[:0]
		for _, x := range s.local {
			if !x.retired {
				kept = append(kept, x)
			}
		}
		s.local = kept
		return id, nil
	}
	return nil, nil
}

// statelessResetTokens returns the reset tokens of the peer's IDs, for
// detecting a stateless reset (RFC 9000, Section 10.3.1).
func (s *connIDState) isStatelessReset(tail []byte) bool {
	if len(tail) != 16 {
		return false
	}
	for _, r := range s.remote {
		if r.hasTk && string(r.token[:]) == string(tail) {
			return true
		}
	}
	return false
}

// onNewConnIDAcked records that the peer has the ID with sequence seq.
func (s *connIDState) onNewConnIDAcked(seq uint64) {
	for i := range s.local {
		if s.local[i].seq == seq {
			s.local[i].acked = true
		}
	}
}

// onNewConnIDLost schedules the NEW_CONNECTION_ID for seq again unless it was
// acknowledged or retired meanwhile.
func (s *connIDState) onNewConnIDLost(seq uint64) {
	for i := range s.local {
		l := &s.local[i]
		if l.seq == seq && !l.acked && !l.retired {
			l.sent = false
		}
	}
}

// registerResetToken lets the endpoint route a stateless reset with tok to
// this connection. Only the newest localConnIDLimit+1 tokens stay registered,
// so a peer that keeps replacing its IDs cannot grow the endpoint's table.
func (c *Conn) registerResetToken(tok [16]byte) {
	s := &c.state
	for _, t := range s.resetTokens {
		if t == tok {
			return
		}
	}
	c.ep.addResetToken(tok, c)
	s.resetTokens = append(s.resetTokens, tok)
	if len(s.resetTokens) > localConnIDLimit+1 {
		c.ep.removeResetToken(s.resetTokens[0], c)
		s.resetTokens = append(s.resetTokens[:0], s.resetTokens[1:]...)
	}
}
