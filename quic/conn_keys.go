package quic

import (
	"os"
	"strconv"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/protection"
	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// defaultKeyUpdateInterval is how many packets we seal with one 1-RTT key
// before initiating a key update (RFC 9001, Section 6), well below the
// AES-GCM confidentiality limit of 2^23 packets.
const defaultKeyUpdateInterval = 1 << 20

// envKeyUpdateInterval names an environment variable that overrides the key
// update interval (a packet count), so that interoperability tests can make
// key updates happen during short transfers.
const envKeyUpdateInterval = "PEREGRINE_QUIC_KEY_UPDATE_INTERVAL"

// keyUpdateInterval is the interval in effect, read once at start-up.
var keyUpdateInterval = keyUpdateIntervalFromEnv()

func keyUpdateIntervalFromEnv() uint64 {
	if v, err := strconv.ParseUint(os.Getenv(envKeyUpdateInterval), 10, 64); err == nil && v > 0 {
		return v
	}
	return defaultKeyUpdateInterval
}

// keyUpdateState tracks 1-RTT key phases (RFC 9001, Section 6).
type keyUpdateState struct {
	// phaseFirstPN is the first ack-eliciting packet sent with the current
	// write keys, or -1; ackedInPhase is set once one of them is
	// acknowledged, which allows the next update (Section 6.1).
	phaseFirstPN wire.PacketNumber
	ackedInPhase bool
	// peerUpdatePN is the packet that started the peer's latest update, and
	// ackedPeerUpdate whether we acknowledged it since (Section 6.2).
	peerUpdatePN    wire.PacketNumber
	peerUpdated     bool
	ackedPeerUpdate bool
	discardAt       time.Time // when to drop the previous read keys
	forced          bool      // test hook: update at the next chance
	interval        uint64
	updates         int // key updates completed, for tests
}

// installAppKeys installs a 1-RTT secret from TLS.
func (c *Conn) installAppKeys(suite uint16, secret []byte, write bool) error {
	s := &c.state
	if s.app == nil {
		s.app = &protection.AppKeys{}
		s.keys.phaseFirstPN = wire.InvalidPacketNumber
		s.keys.interval = keyUpdateInterval
		if c.cfg.KeyUpdateInterval > 0 {
			s.keys.interval = c.cfg.KeyUpdateInterval
		}
	}
	if write {
		return s.app.SetWriteSecret(protection.Version1, suite, secret)
	}
	return s.app.SetReadSecret(protection.Version1, suite, secret)
}

// keyUpdateOnSent notes the first ack-eliciting packet of a write phase.
func (c *Conn) keyUpdateOnSent(space spaceID, pn wire.PacketNumber) {
	k := &c.state.keys
	if space == appDataSpace && k.phaseFirstPN < 0 {
		k.phaseFirstPN = pn
	}
}

// keyUpdateOnAck notes acknowledgements of the current write phase.
func (c *Conn) keyUpdateOnAck(space spaceID) {
	k := &c.state.keys
	if space == appDataSpace && k.phaseFirstPN >= 0 &&
		c.largestAcked(appDataSpace) >= int64(k.phaseFirstPN) {
		k.ackedInPhase = true
	}
}

// keyUpdateOnAckSent notes that an ACK covering largest was sent with the
// current keys.
func (c *Conn) keyUpdateOnAckSent(largest wire.PacketNumber) {
	k := &c.state.keys
	if k.peerUpdated && largest >= k.peerUpdatePN {
		k.ackedPeerUpdate = true
	}
}

// maybeInitiateKeyUpdate starts a key update when the packet count or the
// test hook asks for one and RFC 9001, Section 6.1 allows it: the handshake
// is confirmed and a packet of the current phase was acknowledged.
func (c *Conn) maybeInitiateKeyUpdate(now time.Time) {
	s := &c.state
	k := &s.keys
	if s.app == nil || !s.handshakeConfirmed || !k.ackedInPhase || s.app.UpdatePending() {
		return
	}
	if !k.forced && s.app.Sealed() < k.interval {
		return
	}
	if err := s.app.InitiateUpdate(); err != nil {
		return
	}
	k.forced = false
	k.phaseFirstPN = wire.InvalidPacketNumber
	k.ackedInPhase = false
	k.updates++
	c.stats.keyUpdates.Add(1)
	if c.debugEnabled() {
		c.log.Debug("quic: key update initiated", "phase", s.app.WritePhase())
	}
}

// onPeerKeyUpdate runs when a packet of a new read phase was opened: either
// the peer answered our update or it started one (RFC 9001, Section 6.2).
func (c *Conn) onPeerKeyUpdate(pn wire.PacketNumber, weInitiated bool) error {
	s := &c.state
	k := &s.keys
	if !weInitiated {
		// RFC 9001, Section 6.2: a second update before we acknowledged the
		// packet that started the first one is a KEY_UPDATE_ERROR.
		if k.peerUpdated && !k.ackedPeerUpdate {
			return errKeyUpdate
		}
		k.peerUpdated = true
		k.peerUpdatePN = pn
		k.ackedPeerUpdate = false
		k.phaseFirstPN = wire.InvalidPacketNumber
		k.ackedInPhase = false
		k.updates++
		c.stats.keyUpdates.Add(1)
	}
	// RFC 9001, Section 6.5: keep the old read keys for about three PTOs.
	k.discardAt = s.now.Add(3 * c.ptoBase())
	return nil
}

// onKeyTimers drops the previous read keys when their time is up.
func (c *Conn) onKeyTimers(now time.Time) {
	k := &c.state.keys
	if !k.discardAt.IsZero() && !now.Before(k.discardAt) {
		c.state.app.DiscardPrevious()
		k.discardAt = time.Time{}
	}
}

// forceKeyUpdate asks the connection to initiate a key update as soon as RFC
// 9001 allows it. It is a hook for tests.
func (c *Conn) forceKeyUpdate() {
	c.userMu.Lock()
	c.forceKeyUp = true
	c.userMu.Unlock()
	c.wake()
}
