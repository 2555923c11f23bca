package protection

// AppKeys holds the 1-RTT keys of both directions and their key phases, and
// performs key updates (RFC 9001, Section 6). The connection decides when to
// initiate an update and when to drop old keys; AppKeys switches keys, picks
// the right read keys for each packet, answers a peer's update, and counts
// what the AEAD limits of Section 6.6 need.
//
// The zero value has no keys; the connection adds them with SetReadSecret and
// SetWriteSecret as crypto/tls delivers the 1-RTT secrets. An AppKeys is not
// safe for concurrent use; the connection's goroutine owns it.
type AppKeys struct {
	write      *Keys
	writePhase bool

	// readCur decrypts packets whose Key Phase bit equals readPhase;
	// readNext, of the next generation, those with the other bit that are
	// newer than every packet of the current phase; readPrev, if still
	// kept, those with the other bit that are older.
	readCur, readNext, readPrev *Keys
	readPhase                   bool
	// curFirst is the lowest packet number opened in the current read
	// phase, or -1 if none yet.
	curFirst int64

	sealed uint64 // packets sealed with the current write keys
	failed uint64 // packets that failed authentication, all phases
}

// SetWriteSecret installs the 1-RTT write secret of the given suite. It is
// called once, for the QUICSetWriteSecret event at the application level.
func (a *AppKeys) SetWriteSecret(version uint32, suite uint16, secret []byte) error {
	k, err := NewKeys(version, suite, secret)
	if err != nil {
		return err
	}
	a.write, a.writePhase, a.sealed = k, false, 0
	return nil
}

// SetReadSecret installs the 1-RTT read secret of the given suite and
// prepares the next generation of read keys, so that the packet starting a
// peer's key update costs no key derivation while the attacker watches the
// timing (RFC 9001, Section 6.3). It is called once, for the
// QUICSetReadSecret event at the application level.
func (a *AppKeys) SetReadSecret(version uint32, suite uint16, secret []byte) error {
	k, err := NewKeys(version, suite, secret)
	if err != nil {
		return err
	}
	next, err := k.Next()
	if err != nil {
		return err
	}
	a.readCur, a.readNext, a.readPrev = k, next, nil
	a.readPhase, a.curFirst = false, -1
	return nil
}

// CanSeal reports whether write keys are installed.
func (a *AppKeys) CanSeal() bool { return a.write != nil }

// CanOpen reports whether read keys are installed.
func (a *AppKeys) CanOpen() bool { return a.readCur != nil }

// WritePhase returns the Key Phase bit Seal puts in packets.
func (a *AppKeys) WritePhase() bool { return a.writePhase }

// ReadPhase returns the Key Phase bit of the peer's current read keys.
func (a *AppKeys) ReadPhase() bool { return a.readPhase }

// UpdatePending reports whether a key update this endpoint initiated has not
// yet been answered: no packet of the new phase has been opened yet.
func (a *AppKeys) UpdatePending() bool { return a.writePhase != a.readPhase }

// Sealed returns the number of packets sealed with the current write keys,
// to compare with ConfidentialityLimit(suite); an update resets it.
func (a *AppKeys) Sealed() uint64 { return a.sealed }

// FailedOpens returns the number of packets that failed authentication with
// any 1-RTT keys of the connection, to compare with IntegrityLimit(suite).
func (a *AppKeys) FailedOpens() uint64 { return a.failed }

// Suite returns the cipher suite of the write keys, or 0 if there are none.
func (a *AppKeys) Suite() uint16 {
	if a.write == nil {
		return 0
	}
	return a.write.suite
}

// Seal sets the Key Phase bit of the short header in pkt to the current
// write phase, then protects the packet like Keys.Seal. A long header packet
// is refused with ErrBadArgument.
func (a *AppKeys) Seal(pkt []byte, pnOffset, pnLen int, pn int64) ([]byte, error) {
	if a.write == nil {
		return nil, ErrNoKeys
	}
	if len(pkt) == 0 || pkt[0]&0x80 != 0 {
		return nil, ErrBadArgument // 1-RTT packets have short headers
	}
	// RFC 9001, Section 6: the Key Phase bit names the keys in use.
	pkt[0] &^= 0x04
	if a.writePhase {
		pkt[0] |= 0x04
	}
	out, err := a.write.Seal(pkt, pnOffset, pnLen, pn)
	if err == nil {
		a.sealed++
	}
	return out, err
}

// Open removes protection from a 1-RTT packet like Keys.Open, choosing the
// keys by the Key Phase bit (RFC 9001, Section 6.3). A packet of the other
// phase that is newer than the current phase's packets and authenticates
// with the next keys completes a key update: the read keys advance and, if
// this endpoint had not initiated the update, so do the write keys
// (Section 6.2). The returned keyPhase tells the connection which phase the
// packet used.
func (a *AppKeys) Open(pkt []byte, pnOffset int, largest int64) (
	payload []byte, pn int64, keyPhase bool, err error) {
	if a.readCur == nil {
		return nil, 0, false, ErrNoKeys
	}
	// The header protection key does not change with key updates, so any
	// generation can remove it.
	hdrLen, pn, err := a.readCur.unprotectHeader(pkt, pnOffset, largest)
	if err != nil {
		return nil, 0, false, err
	}
	keyPhase = isKeyPhase(pkt[0])

	k, advance := a.readCur, false
	if keyPhase != a.readPhase {
		if a.curFirst >= 0 && pn < a.curFirst {
			// RFC 9001, Section 6.5: an older packet of the previous phase.
			k = a.readPrev
		} else {
			k, advance = a.readNext, true
		}
	}
	if k == nil {
		// The previous keys are gone; the packet is too old to open.
		return nil, 0, false, ErrDecryptionFailed
	}
	payload, err = k.openPayload(pkt, hdrLen, pn)
	if err != nil {
		a.failed++
		return nil, 0, false, err
	}
	if advance {
		if err := a.advanceRead(); err != nil {
			return nil, 0, false, err
		}
		a.curFirst = pn
	} else if k == a.readCur && (a.curFirst < 0 || pn < a.curFirst) {
		a.curFirst = pn
	}
	return payload, pn, keyPhase, nil
}

// advanceRead moves the read keys one generation on after the peer's first
// packet of a new phase, and answers the update with the write keys if this
// endpoint did not initiate it.
func (a *AppKeys) advanceRead() error {
	next, err := a.readNext.Next()
	if err != nil {
		return err
	}
	a.readPrev, a.readCur, a.readNext = a.readCur, a.readNext, next
	a.readPhase = !a.readPhase
	if a.write != nil && a.writePhase != a.readPhase {
		// RFC 9001, Section 6.2: respond to the peer's update.
		return a.advanceWrite()
	}
	return nil
}

func (a *AppKeys) advanceWrite() error {
	next, err := a.write.Next()
	if err != nil {
		return err
	}
	a.write, a.writePhase, a.sealed = next, !a.writePhase, 0
	return nil
}

// InitiateUpdate starts a key update: packets sealed from now on use the next
// write keys and the other Key Phase bit (RFC 9001, Section 6.1). The read
// keys advance when the peer's first packet of the new phase arrives. It
// fails with ErrUpdatePending while an earlier update is unanswered. The
// connection must also have confirmed the handshake and received an
// acknowledgement of a packet of the current phase; it checks both.
func (a *AppKeys) InitiateUpdate() error {
	if a.write == nil || a.readCur == nil {
		return ErrNoKeys
	}
	if a.UpdatePending() {
		return ErrUpdatePending
	}
	return a.advanceWrite()
}

// DiscardPrevious drops the read keys of the previous phase. The connection
// calls it some time after a key update, about three PTOs (RFC 9001,
// Section 6.5); older packets of that phase are then dropped.
func (a *AppKeys) DiscardPrevious() { a.readPrev = nil }
