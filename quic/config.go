package quic

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"time"
)

// CongestionAlgorithm selects the congestion controller of a connection.
type CongestionAlgorithm int

const (
	// CUBIC is the CUBIC controller of RFC 9438. It is the default.
	CUBIC CongestionAlgorithm = iota
	// NewReno is the NewReno controller of RFC 9002, Section 7.
	NewReno
)

// String returns the name of the algorithm.
func (a CongestionAlgorithm) String() string {
	switch a {
	case CUBIC:
		return "cubic"
	case NewReno:
		return "newreno"
	}
	return "unknown"
}

// Config configures an Endpoint and the connections it dials or accepts.
//
// The zero value works except for TLSConfig, which is required and must list the
// application protocols in NextProtos (ALPN is mandatory in QUIC). A Config must not
// be modified after it has been passed to Listen, NewEndpoint or Dial.
type Config struct {
	// TLSConfig is the TLS configuration. It is required. Servers need certificates;
	// both sides need NextProtos. MinVersion is raised to TLS 1.3.
	TLSConfig *tls.Config

	// HandshakeTimeout bounds the time from the first packet to handshake
	// completion. Default 10s.
	HandshakeTimeout time.Duration

	// MaxIdleTimeout is the idle timeout we advertise (max_idle_timeout). The
	// effective timeout is the minimum of both sides' values, and at least three
	// probe timeouts. Default 30s.
	MaxIdleTimeout time.Duration

	// KeepAlivePeriod, when positive, makes the connection send a PING when it has
	// been idle that long (capped at half the idle timeout). Default 0: none.
	KeepAlivePeriod time.Duration

	// MaxBidiRemoteStreams is the number of bidirectional streams the peer may
	// have open at once (initial_max_streams_bidi, renewed as streams end).
	// Default 100.
	MaxBidiRemoteStreams int64

	// MaxUniRemoteStreams is the number of unidirectional streams the peer may
	// have open at once. Default 100.
	MaxUniRemoteStreams int64

	// MaxStreamReceiveWindow is the ceiling of a stream's receive window. The
	// window starts at 512 KiB and grows with the measured bandwidth-delay
	// product. Default 6 MiB.
	MaxStreamReceiveWindow int64

	// MaxConnReceiveWindow is the ceiling of the connection's receive window.
	// Default 15 MiB.
	MaxConnReceiveWindow int64

	// EnableDatagrams advertises max_datagram_frame_size so that the peer may send
	// DATAGRAM frames (RFC 9221). Default false.
	EnableDatagrams bool

	// EnableResetStreamAt advertises the reset_stream_at transport parameter
	// (draft-ietf-quic-reliable-stream-reset), so that the peer may reset a
	// stream with RESET_STREAM_AT and still have its first bytes delivered:
	// Read returns them before the reset. WebTransport needs it (webtransport-go
	// refuses to connect without it). This endpoint never sends RESET_STREAM_AT.
	// Default false.
	EnableResetStreamAt bool

	// DatagramQueueLen is the number of received datagrams kept until
	// ReceiveDatagram takes them; later ones are dropped and counted in
	// ConnStats.DatagramsDropped. Default 128.
	DatagramQueueLen int

	// CongestionControl selects the congestion controller. Default CUBIC.
	CongestionControl CongestionAlgorithm

	// KeyUpdateInterval is how many 1-RTT packets this endpoint seals with one
	// key before it initiates a key update (RFC 9001, Section 6). Default 2^20,
	// well below the AES-GCM confidentiality limit, or the packet count in the
	// environment variable PEREGRINE_QUIC_KEY_UPDATE_INTERVAL when it is set.
	// Tests of peers set it low to see key updates during short transfers.
	KeyUpdateInterval uint64

	// Logger receives connection events at Debug level and failures at Warn
	// level. Default nil: discard.
	Logger *slog.Logger
}

// Defaults applied to zero Config fields.
const (
	defaultHandshakeTimeout       = 10 * time.Second
	defaultMaxIdleTimeout         = 30 * time.Second
	defaultMaxRemoteStreams       = 100
	defaultInitialStreamWindow    = 512 << 10
	defaultMaxStreamReceiveWindow = 6 << 20
	defaultInitialConnWindow      = 768 << 10
	defaultMaxConnReceiveWindow   = 15 << 20
	defaultDatagramQueueLen       = 128
)

// errNoTLSConfig is returned when Config.TLSConfig is missing.
var errNoTLSConfig = errors.New("quic: Config.TLSConfig is required")

// errNoALPN is returned when the TLS configuration lists no application protocol.
var errNoALPN = errors.New("quic: Config.TLSConfig.NextProtos must list at least one protocol")

// withDefaults validates c and returns a copy with every zero field set to its
// default. The TLS configuration is cloned with MinVersion TLS 1.3.
func (c *Config) withDefaults() (*Config, error) {
	if c == nil || c.TLSConfig == nil {
		return nil, errNoTLSConfig
	}
	if len(c.TLSConfig.NextProtos) == 0 {
		return nil, errNoALPN
	}
	n := *c
	n.TLSConfig = c.TLSConfig.Clone()
	n.TLSConfig.MinVersion = tls.VersionTLS13
	if n.HandshakeTimeout <= 0 {
		n.HandshakeTimeout = defaultHandshakeTimeout
	}
	if n.MaxIdleTimeout <= 0 {
		n.MaxIdleTimeout = defaultMaxIdleTimeout
	}
	if n.MaxBidiRemoteStreams <= 0 {
		n.MaxBidiRemoteStreams = defaultMaxRemoteStreams
	}
	if n.MaxUniRemoteStreams <= 0 {
		n.MaxUniRemoteStreams = defaultMaxRemoteStreams
	}
	if n.MaxStreamReceiveWindow <= 0 {
		n.MaxStreamReceiveWindow = defaultMaxStreamReceiveWindow
	}
	if n.MaxConnReceiveWindow <= 0 {
		n.MaxConnReceiveWindow = defaultMaxConnReceiveWindow
	}
	if n.DatagramQueueLen <= 0 {
		n.DatagramQueueLen = defaultDatagramQueueLen
	}
	if n.Logger == nil {
		n.Logger = slog.New(slog.DiscardHandler)
	}
	return &n, nil
}
