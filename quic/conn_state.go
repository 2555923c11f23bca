package quic

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/protection"
	"github.com/peregrine-h3/peregrine/quic/internal/recovery"
	"github.com/peregrine-h3/peregrine/quic/internal/udpio"
	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// spaceID names a packet number space (RFC 9000, Section 12.3).
type spaceID uint8

const (
	initialSpace spaceID = iota
	handshakeSpace
	appDataSpace
	numSpaces
)

func (s spaceID) String() string {
	return [...]string{"initial", "handshake", "appdata"}[s]
}

// tlsLevel maps a space to the TLS encryption level of its CRYPTO frames.
func (s spaceID) tlsLevel() tls.QUICEncryptionLevel {
	return [...]tls.QUICEncryptionLevel{tls.QUICEncryptionLevelInitial,
		tls.QUICEncryptionLevelHandshake, tls.QUICEncryptionLevelApplication}[s]
}

// packetType is the long or short header type of packets in the space.
func (s spaceID) packetType() wire.PacketType {
	return [...]wire.PacketType{wire.PacketTypeInitial, wire.PacketTypeHandshake,
		wire.PacketType1RTT}[s]
}

// connPhase is the life cycle of a connection (RFC 9000, Section 10).
type connPhase uint8

const (
	phaseActive   connPhase = iota
	phaseClosing            // we sent CONNECTION_CLOSE; resend it when packets arrive
	phaseDraining           // the peer closed; send nothing
	phaseDone               // the loop exits
)

// pnSpace is the state of one packet number space.
type pnSpace struct {
	id        spaceID
	seal      *protection.Keys // Initial and Handshake only; 1-RTT keys are in appKeys
	open      *protection.Keys
	discarded bool
	crypto    cryptoStream

	nextPN       wire.PacketNumber
	largestAcked wire.PacketNumber
	sent         sentList

	// Received packets, for duplicate detection and ACK frames.
	recv recovery.AckTracker
}

// connLoopState is everything the connection's goroutine owns.
type connLoopState struct {
	tls     *tls.QUICConn
	streams *streamsState
	ids     connIDState
	spaces  [numSpaces]pnSpace
	app     *protection.AppKeys // 1-RTT keys of both directions
	keys    keyUpdateState
	loss    lossState

	tlsStarted         bool
	handshakeComplete  bool
	handshakeConfirmed bool
	handshakeDoneSent  bool // server: HANDSHAKE_DONE acknowledged or pending
	sendHandshakeDone  bool
	peerParamsSeen     bool
	peer               peerParams

	// Anti-amplification (RFC 9000, Section 8.1): until the address is
	// validated a server sends at most three times what it received.
	addrValidated bool
	recvBytes     uint64
	sentBytes     uint64

	// Timers and idle state.
	created           time.Time
	idleTimeout       time.Duration
	lastRecvActivity  time.Time
	lastAckElicitSent time.Time // first ack-eliciting send after a receive
	lastSend          time.Time
	keepAlive         time.Duration
	pingPending       bool

	// Close.
	phase            connPhase
	closeErr         error // error reported to the user
	closeApp         bool  // application (0x1d) rather than transport close
	closeCode        uint64
	closeReason      string
	closeSendPending bool
	closeDeadline    time.Time // end of closing or draining
	closeRecvs       int       // packets received while closing, for the resend rate
	now              time.Time // the loop's time for the current event

	// Path validation: only the newest PATH_CHALLENGE is answered.
	pathResponse    [8]byte
	pathResponsePen bool

	// Undecryptable packets kept until keys arrive (RFC 9001, Section 5.7).
	pending []pendingPacket

	// Datagrams.
	dgramOut      [][]byte
	dgramMaxLocal uint64 // our max_datagram_frame_size, 0 when disabled

	// Scratch buffers reused by the loop.
	txMsgs  []txMessage
	udpMsgs []udpio.Message
	ackBuf  []wire.AckRange
	timer   *time.Timer
	timerAt time.Time

	// resetTokens are the peer's tokens registered with the endpoint.
	resetTokens [][16]byte

	// curDCID is the destination ID of the packet being processed.
	curDCID []byte

	// Counters.
	integrityFailures uint64
}

// pendingPacket is a packet that could not be decrypted yet because its keys
// are not available. It holds a copy of the packet bytes.
type pendingPacket struct {
	space spaceID
	data  []byte
	addr  wireAddr
}

// maxPendingPackets caps undecryptable packets buffered per connection
// (RFC 9001, Section 5.7 allows buffering a few).
const maxPendingPackets = 10

// initState sets up the handshake: Initial keys from the client's first
// destination ID, the TLS connection, connection IDs and transport parameters.
func (c *Conn) initState(now time.Time, odcid, peerSCID []byte) error {
	s := &c.state
	s.created = now
	s.lastRecvActivity = now
	for i := range s.spaces {
		sp := &s.spaces[i]
		sp.id = spaceID(i)
		sp.largestAcked = wire.InvalidPacketNumber
	}
	first := s.ids.newLocalConnID(c.ep.resetToken)
	first.sent = true
	s.ids.local[0].sent = true
	s.ids.initialSCID = append([]byte(nil), first.id[:]...)
	if c.isClient {
		// RFC 9000, Section 7.2: a client picks an unpredictable destination
		// ID of at least 8 bytes for its first Initial.
		odcid = make([]byte, connIDLen)
		rand.Read(odcid)
		s.ids.setPeerHandshakeID(odcid)
	} else {
		s.ids.setPeerHandshakeID(peerSCID)
		// The client's source ID is validated against its transport parameters.
		s.ids.peerInitialSCID = append([]byte(nil), peerSCID...)
	}
	s.ids.origDCID = append([]byte(nil), odcid...)
	if err := c.setInitialKeys(odcid); err != nil {
		return err
	}
	c.setupStreams()
	s.idleTimeout = c.cfg.MaxIdleTimeout
	s.keepAlive = c.cfg.KeepAlivePeriod
	c.initLoss()
	s.addrValidated = c.isClient
	if c.cfg.EnableDatagrams {
		s.dgramMaxLocal = maxDatagramFrameSize
	}
	return c.startTLS()
}

// setupStreams creates the stream set with our limits from the config.
func (c *Conn) setupStreams() {
	c.state.streams = newStreamsState(c.isClient, c.localStreamLimits(), c.wake)
}

// startTLS creates the TLS connection and sets our transport parameters.
func (c *Conn) startTLS() error {
	s := &c.state
	qc := &tls.QUICConfig{TLSConfig: c.cfg.TLSConfig}
	if c.isClient {
		s.tls = tls.QUICClient(qc)
	} else {
		s.tls = tls.QUICServer(qc)
	}
	s.tls.SetTransportParameters(c.localTransportParams())
	if err := s.tls.Start(context.Background()); err != nil {
		return err
	}
	s.tlsStarted = true
	return nil
}
