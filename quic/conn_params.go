package quic

import (
	"time"

	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// maxDatagramFrameSize is the max_datagram_frame_size we advertise when
// datagrams are enabled: any DATAGRAM frame that fits in a packet.
const maxDatagramFrameSize = 65535

// peerParams holds the peer's transport parameters the connection uses.
type peerParams struct {
	maxIdleTimeout    time.Duration
	maxAckDelay       time.Duration
	ackDelayExponent  uint8
	maxUDPPayload     uint64
	activeConnIDLimit uint64
	maxDatagramFrame  uint64
	resetToken        *[16]byte
}

// localTransportParams encodes our transport parameters (RFC 9000, Section 18).
func (c *Conn) localTransportParams() []byte {
	s := &c.state
	cfg := c.cfg
	lim := c.localStreamLimits()
	p := wire.DefaultTransportParameters()
	p.MaxIdleTimeout = cfg.MaxIdleTimeout
	p.MaxUDPPayloadSize = rxBufSize
	p.InitialMaxData = lim.maxData
	p.InitialMaxStreamDataBidiLocal = lim.maxStreamDataBidiLocal
	p.InitialMaxStreamDataBidiRemote = lim.maxStreamDataBidiRemote
	p.InitialMaxStreamDataUni = lim.maxStreamDataUni
	p.InitialMaxStreamsBidi = lim.maxStreamsBidi
	p.InitialMaxStreamsUni = lim.maxStreamsUni
	p.AckDelayExponent = ackDelayExponent
	p.MaxAckDelay = maxAckDelay
	// TODO: migration is not supported, so we tell the peer not to migrate.
	p.DisableActiveMigration = true
	p.ActiveConnectionIDLimit = localConnIDLimit
	p.InitialSourceConnectionID = s.ids.initialSCID
	if cfg.EnableDatagrams {
		p.MaxDatagramFrameSize = maxDatagramFrameSize
	}
	p.ResetStreamAt = cfg.EnableResetStreamAt
	if !c.isClient {
		p.OriginalDestinationConnectionID = s.ids.origDCID
		tok := s.ids.local[0].token
		p.StatelessResetToken = &tok
	}
	return p.Append(nil)
}

// localStreamLimits returns our initial flow control and stream limits.
func (c *Conn) localStreamLimits() streamLimits {
	cfg := c.cfg
	win := uint64(min(int64(defaultInitialStreamWindow), cfg.MaxStreamReceiveWindow))
	cwin := uint64(min(int64(defaultInitialConnWindow), cfg.MaxConnReceiveWindow))
	return streamLimits{
		maxData:                 cwin,
		maxStreamDataBidiLocal:  win,
		maxStreamDataBidiRemote: win,
		maxStreamDataUni:        win,
		maxStreamsBidi:          uint64(cfg.MaxBidiRemoteStreams),
		maxStreamsUni:           uint64(cfg.MaxUniRemoteStreams),
		maxStreamWindow:         uint64(cfg.MaxStreamReceiveWindow),
		maxConnWindow:           uint64(cfg.MaxConnReceiveWindow),
	}
}

// handlePeerTransportParams parses and validates the peer's transport
// parameters, including the connection ID checks of RFC 9000, Section 7.3.
func (c *Conn) handlePeerTransportParams(b []byte) error {
	s := &c.state
	sender := wire.ServerSide
	if !c.isClient {
		sender = wire.ClientSide
	}
	p, err := wire.ParseTransportParameters(b, sender)
	if err != nil {
		return convertWireError(err)
	}
	if err := p.Validate(sender); err != nil {
		return convertWireError(err)
	}
	if err := c.checkParamConnIDs(&p); err != nil {
		return err
	}
	s.peerParamsSeen = true
	s.peer = peerParams{
		maxIdleTimeout:    p.MaxIdleTimeout,
		maxAckDelay:       p.MaxAckDelay,
		ackDelayExponent:  p.AckDelayExponent,
		maxUDPPayload:     p.MaxUDPPayloadSize,
		activeConnIDLimit: p.ActiveConnectionIDLimit,
		maxDatagramFrame:  p.MaxDatagramFrameSize,
		resetToken:        p.StatelessResetToken,
	}
	if p.StatelessResetToken != nil && len(s.ids.remote) > 0 {
		s.ids.remote[0].token = *p.StatelessResetToken
		s.ids.remote[0].hasTk = true
		c.registerResetToken(*p.StatelessResetToken)
	}
	s.ids.peerLimit = p.ActiveConnectionIDLimit
	// RFC 9000, Section 10.1: the effective idle timeout is the minimum of
	// both sides' values, where a value of zero means no limit.
	if p.MaxIdleTimeout > 0 && p.MaxIdleTimeout < s.idleTimeout {
		s.idleTimeout = p.MaxIdleTimeout
	}
	s.streams.setPeerLimits(streamLimits{
		maxData:                 p.InitialMaxData,
		maxStreamDataBidiLocal:  p.InitialMaxStreamDataBidiLocal,
		maxStreamDataBidiRemote: p.InitialMaxStreamDataBidiRemote,
		maxStreamDataUni:        p.InitialMaxStreamDataUni,
		maxStreamsBidi:          p.InitialMaxStreamsBidi,
		maxStreamsUni:           p.InitialMaxStreamsUni,
	})
	c.setLossPeerParams(p.MaxAckDelay, p.AckDelayExponent)
	if p.MaxDatagramFrameSize > 0 {
		c.maxDgram.Store(int64(c.datagramRoom(p.MaxDatagramFrameSize)))
	}
	return nil
}

// checkParamConnIDs enforces RFC 9000, Section 7.3: the connection IDs in the
// transport parameters must match those in the packet headers.
func (c *Conn) checkParamConnIDs(p *wire.TransportParameters) error {
	s := &c.state
	bad := func(what string) error {
		return &TransportError{Code: errCodeTransportParameter, Reason: what + " mismatch"}
	}
	if p.InitialSourceConnectionID == nil ||
		string(p.InitialSourceConnectionID) != string(s.ids.peerInitialSCID) {
		return bad("initial_source_connection_id")
	}
	if c.isClient {
		if p.OriginalDestinationConnectionID == nil ||
			string(p.OriginalDestinationConnectionID) != string(s.ids.origDCID) {
			return bad("original_destination_connection_id")
		}
		// We never accept a Retry, so the server must not send this.
		if p.RetrySourceConnectionID != nil {
			return bad("retry_source_connection_id")
		}
	}
	return nil
}

// datagramRoom returns the largest DATAGRAM payload that fits both the peer's
// max_datagram_frame_size (which counts the whole frame) and one of our 1-RTT
// packets: short header with the longest ID and packet number, AEAD tag and
// frame header.
func (c *Conn) datagramRoom(peerMax uint64) int {
	room := uint64(maxSendSize - (1 + 20 + 4) - 16 - 3)
	hdr := uint64(wire.DatagramHeaderLen(int(min(peerMax, maxSendSize)), true))
	if peerMax <= hdr {
		return 0
	}
	return int(min(room, peerMax-hdr))
}
