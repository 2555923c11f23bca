package quic

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/peregrine-h3/peregrine/quic/internal/protection"
)

// setInitialKeys derives the Initial keys of both directions from the client's
// first destination connection ID (RFC 9001, Section 5.2).
func (c *Conn) setInitialKeys(odcid []byte) error {
	client, server, err := protection.NewInitialKeys(protection.Version1, odcid)
	if err != nil {
		return err
	}
	sp := &c.state.spaces[initialSpace]
	if c.isClient {
		sp.seal, sp.open = client, server
	} else {
		sp.seal, sp.open = server, client
	}
	return nil
}

// handleCryptoData passes in-order CRYPTO data of space to TLS and processes
// the events it produces.
func (c *Conn) handleCryptoFrame(space spaceID, off uint64, data []byte) error {
	cs := &c.state.spaces[space].crypto
	ready, err := cs.receive(off, data)
	if err != nil {
		return err
	}
	if len(ready) == 0 {
		return nil
	}
	herr := c.state.tls.HandleData(space.tlsLevel(), ready)
	cs.consume(len(ready))
	if herr != nil {
		return tlsTransportError(herr)
	}
	return c.processTLSEvents()
}

// processTLSEvents drains crypto/tls's event queue. Event data is copied
// before the next NextEvent call, as the API requires.
func (c *Conn) processTLSEvents() error {
	s := &c.state
	for {
		ev := s.tls.NextEvent()
		switch ev.Kind {
		case tls.QUICNoEvent:
			return nil
		case tls.QUICSetReadSecret:
			if err := c.installKeys(ev.Level, ev.Suite, ev.Data, false); err != nil {
				return err
			}
		case tls.QUICSetWriteSecret:
			if err := c.installKeys(ev.Level, ev.Suite, ev.Data, true); err != nil {
				return err
			}
		case tls.QUICWriteData:
			sp, ok := spaceOfLevel(ev.Level)
			if !ok {
				return &TransportError{Code: errCodeInternal, Reason: "TLS data at 0-RTT level"}
			}
			s.spaces[sp].crypto.write(ev.Data)
		case tls.QUICTransportParameters:
			if err := c.handlePeerTransportParams(ev.Data); err != nil {
				return err
			}
		case tls.QUICTransportParametersRequired:
			s.tls.SetTransportParameters(c.localTransportParams())
		case tls.QUICHandshakeDone:
			if err := c.onHandshakeComplete(); err != nil {
				return err
			}
		case tls.QUICErrorEvent:
			return tlsTransportError(ev.Err)
		default:
			// Unknown and unused events (sessions, 0-RTT) are ignored.
		}
	}
}

// spaceOfLevel maps a TLS encryption level to its packet number space.
func spaceOfLevel(l tls.QUICEncryptionLevel) (spaceID, bool) {
	switch l {
	case tls.QUICEncryptionLevelInitial:
		return initialSpace, true
	case tls.QUICEncryptionLevelHandshake:
		return handshakeSpace, true
	case tls.QUICEncryptionLevelApplication:
		return appDataSpace, true
	}
	return 0, false
}

// installKeys turns a TLS secret into packet protection keys.
func (c *Conn) installKeys(level tls.QUICEncryptionLevel, suite uint16, secret []byte,
	write bool) error {
	s := &c.state
	switch level {
	case tls.QUICEncryptionLevelHandshake:
		k, err := protection.NewKeys(protection.Version1, suite, secret)
		if err != nil {
			return &TransportError{Code: errCodeInternal, Reason: err.Error()}
		}
		if write {
			s.spaces[handshakeSpace].seal = k
			s.loss.det.SetHandshakeKeysAvailable()
		} else {
			s.spaces[handshakeSpace].open = k
		}
	case tls.QUICEncryptionLevelApplication:
		if err := c.installAppKeys(suite, secret, write); err != nil {
			return &TransportError{Code: errCodeInternal, Reason: err.Error()}
		}
	default:
		// 0-RTT is not supported: its keys are not installed.
	}
	return nil
}

// onHandshakeComplete runs when TLS reports the handshake done.
func (c *Conn) onHandshakeComplete() error {
	s := &c.state
	if !s.peerParamsSeen {
		// RFC 9000, Section 7.3: the transport parameters extension is mandatory.
		return &TransportError{Code: errCodeTransportParameter + 0,
			Reason: "missing transport parameters"}
	}
	s.handshakeComplete = true
	st := s.tls.ConnectionState()
	c.tlsState.Store(&st)
	if st.NegotiatedProtocol == "" {
		// RFC 9001, Section 8.1: ALPN is required. crypto/tls has already sent
		// no_application_protocol when the lists do not match.
		return &TransportError{Code: errCodeCryptoBase + 120,
			Reason: "no application protocol"}
	}
	if !c.isClient {
		// RFC 9001, Section 4.1.2: the server's handshake is confirmed when it
		// completes; it tells the client with HANDSHAKE_DONE.
		s.sendHandshakeDone = true
		c.confirmHandshake()
	}
	c.log.Debug("quic: handshake complete", "alpn", st.NegotiatedProtocol,
		"client", c.isClient)
	close(c.handshakeCh)
	c.uncountHandshake()
	if !c.isClient {
		select {
		case c.ep.acceptQ <- c:
		default:
			// The application does not keep up with Accept: refuse.
			return &TransportError{Code: errCodeConnectionRefused, Reason: "accept queue full"}
		}
	}
	return nil
}

// confirmHandshake discards the Handshake keys (RFC 9001, Section 4.9.2) and
// starts issuing connection IDs.
func (c *Conn) confirmHandshake() {
	s := &c.state
	if s.handshakeConfirmed {
		return
	}
	s.handshakeConfirmed = true
	c.discardSpace(handshakeSpace)
	s.loss.det.SetHandshakeConfirmed()
	if !c.isClient {
		// The client's retransmitted Initials are no longer expected.
		c.ep.removeID(s.ids.origDCID, c)
	}
}

// tlsTransportError converts a crypto/tls error to a CRYPTO_ERROR carrying the
// TLS alert (RFC 9001, Section 4.8).
func tlsTransportError(err error) error {
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return &TransportError{Code: errCodeCryptoBase + TransportErrorCode(alert),
			Reason: err.Error()}
	}
	return &TransportError{Code: errCodeInternal, Reason: fmt.Sprintf("tls: %v", err)}
}
