package wire

import (
	"encoding/binary"
	"math"
	"net/netip"
	"time"
)

// Side names the endpoint that sent something.
//
// Values of this type are immutable and safe for concurrent use.
type Side uint8

// The two sides of a connection.
const (
	ClientSide Side = iota + 1
	ServerSide
)

// String returns "client" or "server".
func (s Side) String() string {
	switch s {
	case ClientSide:
		return "client"
	case ServerSide:
		return "server"
	}
	return "unknown side"
}

// Transport parameter IDs (RFC 9000, Section 18.2; RFC 9221, Section 3;
// RFC 9368, Section 3; RFC 9287, Section 3; draft-ietf-quic-reliable-stream-reset,
// Section 3).
const (
	tpOriginalDestinationConnectionID = 0x00
	tpMaxIdleTimeout                  = 0x01
	tpStatelessResetToken             = 0x02
	tpMaxUDPPayloadSize               = 0x03
	tpInitialMaxData                  = 0x04
	tpInitialMaxStreamDataBidiLocal   = 0x05
	tpInitialMaxStreamDataBidiRemote  = 0x06
	tpInitialMaxStreamDataUni         = 0x07
	tpInitialMaxStreamsBidi           = 0x08
	tpInitialMaxStreamsUni            = 0x09
	tpAckDelayExponent                = 0x0a
	tpMaxAckDelay                     = 0x0b
	tpDisableActiveMigration          = 0x0c
	tpPreferredAddress                = 0x0d
	tpActiveConnectionIDLimit         = 0x0e
	tpInitialSourceConnectionID       = 0x0f
	tpRetrySourceConnectionID         = 0x10
	tpVersionInformation              = 0x11
	tpMaxDatagramFrameSize            = 0x20
	tpResetStreamAt                   = 0x1d
	tpGreaseQUICBit                   = 0x2ab2
	// tpResetStreamAtLegacy is the reset_stream_at ID of draft-07 and
	// earlier, still sent by some peers; it is accepted, never sent.
	tpResetStreamAtLegacy = 0x17f7586d2cb571
)

// Defaults and limits of transport parameters (RFC 9000, Section 18.2).
const (
	DefaultMaxUDPPayloadSize       = 65527
	MinMaxUDPPayloadSize           = 1200
	DefaultAckDelayExponent        = 3
	MaxAckDelayExponent            = 20
	DefaultMaxAckDelay             = 25 * time.Millisecond
	MaxMaxAckDelay                 = (1<<14 - 1) * time.Millisecond
	DefaultActiveConnectionIDLimit = 2
	MinActiveConnectionIDLimit     = 2
	// MaxStreamCount is the largest initial_max_streams value and
	// MAX_STREAMS count (2^60).
	MaxStreamCount = maxStreamCount
)

// TransportParameters holds the transport parameters of one endpoint. Fields
// absent from an encoding hold their default, which DefaultTransportParameters
// returns and each field documents; start from it when building parameters to
// send.
//
// A TransportParameters is a plain value: safe for concurrent reads, not for
// concurrent writes.
type TransportParameters struct {
	// OriginalDestinationConnectionID is sent by servers only; nil when
	// absent, non-nil (maybe empty) when present.
	OriginalDestinationConnectionID []byte
	// MaxIdleTimeout is 0 (no timeout) by default. It travels in
	// milliseconds; sub-millisecond parts are dropped.
	MaxIdleTimeout time.Duration
	// StatelessResetToken is sent by servers only; nil when absent.
	StatelessResetToken *[16]byte
	// MaxUDPPayloadSize defaults to 65527; at least 1200. Zero is encoded
	// as absent.
	MaxUDPPayloadSize uint64
	// Flow control limits; all default to 0.
	InitialMaxData                 uint64
	InitialMaxStreamDataBidiLocal  uint64
	InitialMaxStreamDataBidiRemote uint64
	InitialMaxStreamDataUni        uint64
	// Stream limits; both default to 0, at most 2^60.
	InitialMaxStreamsBidi uint64
	InitialMaxStreamsUni  uint64
	// AckDelayExponent defaults to 3; at most 20.
	AckDelayExponent uint8
	// MaxAckDelay defaults to 25ms; below 2^14 ms. It travels in
	// milliseconds.
	MaxAckDelay            time.Duration
	DisableActiveMigration bool
	// PreferredAddress is sent by servers only; nil when absent.
	PreferredAddress *PreferredAddress
	// ActiveConnectionIDLimit defaults to 2; at least 2. Zero is encoded as
	// absent.
	ActiveConnectionIDLimit uint64
	// InitialSourceConnectionID must be sent by both sides; nil when absent.
	InitialSourceConnectionID []byte
	// RetrySourceConnectionID is sent by servers only, after a Retry; nil
	// when absent.
	RetrySourceConnectionID []byte
	// MaxDatagramFrameSize defaults to 0, meaning DATAGRAM frames are not
	// supported (RFC 9221, Section 3).
	MaxDatagramFrameSize uint64
	// GreaseQUICBit announces that the peer may clear the fixed bit
	// (RFC 9287).
	GreaseQUICBit bool
	// ResetStreamAt announces that the endpoint accepts RESET_STREAM_AT
	// frames (draft-ietf-quic-reliable-stream-reset, Section 3). It is sent
	// with ID 0x1d; parsing also accepts the legacy ID 0x17f7586d2cb571.
	ResetStreamAt bool
	// VersionInformation is the version_information parameter of RFC 9368;
	// nil when absent.
	VersionInformation *VersionInformation
	// Extra parameters are appended as they are, for example reserved IDs
	// of the form 31*N+27 that exercise the peer's handling of unknown
	// parameters (RFC 9000, Section 18.1). Parsing ignores unknown
	// parameters and leaves Extra nil.
	Extra []TransportParameter
}

// PreferredAddress is the preferred_address transport parameter (RFC 9000,
// Section 18.2). An address family the server does not offer is the zero
// netip.AddrPort, sent as all zeros.
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type PreferredAddress struct {
	IPv4                netip.AddrPort
	IPv6                netip.AddrPort
	ConnectionID        []byte
	StatelessResetToken [16]byte
}

// VersionInformation is the version_information transport parameter
// (RFC 9368, Section 3).
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type VersionInformation struct {
	Chosen    Version
	Available []Version
}

// TransportParameter is a transport parameter as an ID and a raw value.
//
// It is a plain value: safe for concurrent reads, not for concurrent writes.
type TransportParameter struct {
	ID    uint64
	Value []byte
}

// ReservedTransportParameterID returns the n-th reserved transport parameter
// ID, 31*n+27 (RFC 9000, Section 18.1), for greasing the peer's handling of
// unknown parameters through TransportParameters.Extra. n must be below
// (2^62-27)/31.
func ReservedTransportParameterID(n uint64) uint64 { return 31*n + 27 }

// DefaultTransportParameters returns the values that apply to parameters
// absent from an encoding.
func DefaultTransportParameters() TransportParameters {
	return TransportParameters{
		MaxUDPPayloadSize:       DefaultMaxUDPPayloadSize,
		AckDelayExponent:        DefaultAckDelayExponent,
		MaxAckDelay:             DefaultMaxAckDelay,
		ActiveConnectionIDLimit: DefaultActiveConnectionIDLimit,
	}
}

// Append appends the encoding of p (RFC 9000, Section 18) to b. Parameters
// equal to their default are left out, and so are Extra parameters whose ID
// is above 2^62-1. Append does not validate p; call Validate for that.
func (p *TransportParameters) Append(b []byte) []byte {
	b = appendTPBytes(b, tpOriginalDestinationConnectionID, p.OriginalDestinationConnectionID)
	b = appendTPVarint(b, tpMaxIdleTimeout, toMillis(p.MaxIdleTimeout), 0)
	if p.StatelessResetToken != nil {
		b = appendTPBytes(b, tpStatelessResetToken, p.StatelessResetToken[:])
	}
	if p.MaxUDPPayloadSize != 0 {
		b = appendTPVarint(b, tpMaxUDPPayloadSize, p.MaxUDPPayloadSize, DefaultMaxUDPPayloadSize)
	}
	b = appendTPVarint(b, tpInitialMaxData, p.InitialMaxData, 0)
	b = appendTPVarint(b, tpInitialMaxStreamDataBidiLocal, p.InitialMaxStreamDataBidiLocal, 0)
	b = appendTPVarint(b, tpInitialMaxStreamDataBidiRemote, p.InitialMaxStreamDataBidiRemote, 0)
	b = appendTPVarint(b, tpInitialMaxStreamDataUni, p.InitialMaxStreamDataUni, 0)
	b = appendTPVarint(b, tpInitialMaxStreamsBidi, p.InitialMaxStreamsBidi, 0)
	b = appendTPVarint(b, tpInitialMaxStreamsUni, p.InitialMaxStreamsUni, 0)
	b = appendTPVarint(b, tpAckDelayExponent, uint64(p.AckDelayExponent), DefaultAckDelayExponent)
	b = appendTPVarint(b, tpMaxAckDelay, toMillis(p.MaxAckDelay), toMillis(DefaultMaxAckDelay))
	if p.DisableActiveMigration {
		b = appendTPBytes(b, tpDisableActiveMigration, []byte{})
	}
	if p.PreferredAddress != nil {
		b = p.PreferredAddress.append(b)
	}
	if p.ActiveConnectionIDLimit != 0 {
		b = appendTPVarint(b, tpActiveConnectionIDLimit, p.ActiveConnectionIDLimit,
			DefaultActiveConnectionIDLimit)
	}
	b = appendTPBytes(b, tpInitialSourceConnectionID, p.InitialSourceConnectionID)
	b = appendTPBytes(b, tpRetrySourceConnectionID, p.RetrySourceConnectionID)
	if p.VersionInformation != nil {
		b = p.VersionInformation.append(b)
	}
	b = appendTPVarint(b, tpMaxDatagramFrameSize, p.MaxDatagramFrameSize, 0)
	if p.GreaseQUICBit {
		b = appendTPBytes(b, tpGreaseQUICBit, []byte{})
	}
	if p.ResetStreamAt {
		b = appendTPBytes(b, tpResetStreamAt, []byte{})
	}
	for _, x := range p.Extra {
		if x.ID <= MaxVarint {
			b = appendTPRaw(b, x.ID, x.Value)
		}
	}
	return b
}

// toMillis converts a duration to whole milliseconds; negative durations
// become 0.
func toMillis(d time.Duration) uint64 {
	return uint64(max(d, 0) / time.Millisecond)
}

// appendTPVarint appends a parameter whose value is a varint, unless it
// equals def. Values above 2^62-1, which Validate rejects, are sent as
// 2^62-1 rather than panicking.
func appendTPVarint(b []byte, id, v, def uint64) []byte {
	v = min(v, MaxVarint)
	if v == def {
		return b
	}
	b = AppendVarint(b, id)
	b = AppendVarint(b, uint64(VarintLen(v)))
	return AppendVarint(b, v)
}

// appendTPBytes appends a parameter with a raw value; a nil value means the
// parameter is absent and nothing is written.
func appendTPBytes(b []byte, id uint64, v []byte) []byte {
	if v == nil {
		return b
	}
	return appendTPRaw(b, id, v)
}

// appendTPRaw appends a parameter with a raw value, which may be nil.
func appendTPRaw(b []byte, id uint64, v []byte) []byte {
	b = AppendVarint(b, id)
	b = AppendVarint(b, uint64(len(v)))
	return append(b, v...)
}

func (a *PreferredAddress) append(b []byte) []byte {
	b = AppendVarint(b, tpPreferredAddress)
	b = AppendVarint(b, uint64(4+2+16+2+1+len(a.ConnectionID)+16))
	var v4 [4]byte
	if ip := a.IPv4.Addr(); ip.Is4() || ip.Is4In6() {
		v4 = ip.As4()
	}
	b = append(b, v4[:]...)
	b = binary.BigEndian.AppendUint16(b, a.IPv4.Port())
	var v6 [16]byte
	if ip := a.IPv6.Addr(); ip.Is6() {
		v6 = ip.As16()
	}
	b = append(b, v6[:]...)
	b = binary.BigEndian.AppendUint16(b, a.IPv6.Port())
	b = appendConnID(b, a.ConnectionID)
	return append(b, a.StatelessResetToken[:]...)
}

func (v *VersionInformation) append(b []byte) []byte {
	b = AppendVarint(b, tpVersionInformation)
	b = AppendVarint(b, uint64(4+4*len(v.Available)))
	b = binary.BigEndian.AppendUint32(b, uint32(v.Chosen))
	for _, a := range v.Available {
		b = binary.BigEndian.AppendUint32(b, uint32(a))
	}
	return b
}

// Validate checks the values of p as sent by sender, with the rules that
// parsing enforces: value ranges and parameters only a server may send
// (RFC 9000, Section 18.2). It returns a TRANSPORT_PARAMETER_ERROR.
func (p *TransportParameters) Validate(sender Side) error {
	switch {
	case p.MaxUDPPayloadSize < MinMaxUDPPayloadSize:
		return tpError("max_udp_payload_size below 1200")
	case p.AckDelayExponent > MaxAckDelayExponent:
		return tpError("ack_delay_exponent above 20")
	case p.MaxAckDelay < 0 || p.MaxAckDelay > MaxMaxAckDelay:
		return tpError("max_ack_delay not below 2^14 ms")
	case p.MaxIdleTimeout < 0:
		return tpError("negative max_idle_timeout")
	case max(p.MaxUDPPayloadSize, p.InitialMaxData, p.InitialMaxStreamDataBidiLocal,
		p.InitialMaxStreamDataBidiRemote, p.InitialMaxStreamDataUni,
		p.ActiveConnectionIDLimit, p.MaxDatagramFrameSize) > MaxVarint:
		return tpError("transport parameter above 2^62-1")
	case p.ActiveConnectionIDLimit < MinActiveConnectionIDLimit:
		return tpError("active_connection_id_limit below 2")
	case p.InitialMaxStreamsBidi > MaxStreamCount || p.InitialMaxStreamsUni > MaxStreamCount:
		return tpError("initial_max_streams above 2^60")
	case len(p.OriginalDestinationConnectionID) > MaxConnIDLen ||
		len(p.InitialSourceConnectionID) > MaxConnIDLen ||
		len(p.RetrySourceConnectionID) > MaxConnIDLen:
		return tpError("connection ID longer than 20 bytes")
	}
	if a := p.PreferredAddress; a != nil {
		if err := a.validate(); err != nil {
			return err
		}
	}
	if v := p.VersionInformation; v != nil {
		if err := v.validate(); err != nil {
			return err
		}
	}
	for _, x := range p.Extra {
		if x.ID > MaxVarint {
			return tpError("transport parameter ID above 2^62-1")
		}
	}
	if sender == ClientSide {
		return checkClientParams(p)
	}
	return nil
}

// checkClientParams enforces RFC 9000, Section 18.2: a client MUST NOT send
// the parameters that only a server may send.
func checkClientParams(p *TransportParameters) error {
	switch {
	case p.OriginalDestinationConnectionID != nil:
		return tpError("original_destination_connection_id sent by a client")
	case p.StatelessResetToken != nil:
		return tpError("stateless_reset_token sent by a client")
	case p.PreferredAddress != nil:
		return tpError("preferred_address sent by a client")
	case p.RetrySourceConnectionID != nil:
		return tpError("retry_source_connection_id sent by a client")
	}
	return nil
}

// validate enforces RFC 9000, Section 18.2: a preferred address carries a
// connection ID of 1 to 20 bytes. Addresses of the wrong family are also
// rejected, since they cannot be encoded.
func (a *PreferredAddress) validate() error {
	if len(a.ConnectionID) < 1 || len(a.ConnectionID) > MaxConnIDLen {
		return tpError("preferred_address connection ID length not 1 to 20")
	}
	if (a.IPv4.IsValid() && !a.IPv4.Addr().Is4()) || (a.IPv6.IsValid() && !a.IPv6.Addr().Is6()) {
		return tpError("preferred_address with an address of the wrong family")
	}
	return nil
}

// validate enforces RFC 9368, Section 3: no version may be 0.
func (v *VersionInformation) validate() error {
	if v.Chosen == 0 {
		return tpError("version_information chosen version 0")
	}
	for _, a := range v.Available {
		if a == 0 {
			return tpError("version_information available version 0")
		}
	}
	return nil
}

// ParseTransportParameters decodes the transport parameters sent by sender,
// applying defaults for absent ones and ignoring unknown ones. It returns a
// TRANSPORT_PARAMETER_ERROR for a malformed encoding, a duplicate parameter,
// a value out of range, a server-only parameter sent by a client, or a
// missing initial_source_connection_id (or original_destination_connection_id
// from a server; RFC 9000, Section 7.3). Byte values are copied, so the result
// does not alias b.
func ParseTransportParameters(b []byte, sender Side) (TransportParameters, error) {
	p := DefaultTransportParameters()
	var seen uint64 // bit i: parameter i (< 64) seen
	legacySeen := false
	r := newReader(b)
	for len(r.b) > 0 {
		id := r.varint()
		val := r.lenBytes()
		if !r.ok {
			return TransportParameters{}, tpError("truncated transport parameter")
		}
		if id < 64 {
			// RFC 9000, Section 7.4: no parameter may appear twice.
			if seen&(1<<id) != 0 {
				return TransportParameters{}, tpError("duplicate transport parameter")
			}
			seen |= 1 << id
		}
		if id == tpGreaseQUICBit && p.GreaseQUICBit ||
			id == tpResetStreamAtLegacy && legacySeen {
			return TransportParameters{}, tpError("duplicate transport parameter")
		}
		legacySeen = legacySeen || id == tpResetStreamAtLegacy
		if err := p.parseOne(id, val); err != nil {
			return TransportParameters{}, err
		}
	}
	if err := p.Validate(sender); err != nil {
		return TransportParameters{}, err
	}
	if p.InitialSourceConnectionID == nil ||
		(sender == ServerSide && p.OriginalDestinationConnectionID == nil) {
		return TransportParameters{}, tpError("missing connection ID parameter")
	}
	return p, nil
}

// parseOne stores the parameter id with value val in p. Unknown IDs are
// ignored (RFC 9000, Section 7.4.2).
func (p *TransportParameters) parseOne(id uint64, val []byte) error {
	switch id {
	case tpOriginalDestinationConnectionID:
		return parseTPConnID(val, &p.OriginalDestinationConnectionID)
	case tpInitialSourceConnectionID:
		return parseTPConnID(val, &p.InitialSourceConnectionID)
	case tpRetrySourceConnectionID:
		return parseTPConnID(val, &p.RetrySourceConnectionID)
	case tpStatelessResetToken:
		if len(val) != 16 {
			return tpError("stateless_reset_token not 16 bytes")
		}
		p.StatelessResetToken = new([16]byte)
		copy(p.StatelessResetToken[:], val)
		return nil
	case tpDisableActiveMigration, tpGreaseQUICBit, tpResetStreamAt, tpResetStreamAtLegacy:
		// draft-ietf-quic-reliable-stream-reset, Section 3: reset_stream_at
		// has an empty value, like the flags of RFC 9000 and RFC 9287.
		if len(val) != 0 {
			return tpError("flag transport parameter with a value")
		}
		p.DisableActiveMigration = p.DisableActiveMigration || id == tpDisableActiveMigration
		p.GreaseQUICBit = p.GreaseQUICBit || id == tpGreaseQUICBit
		p.ResetStreamAt = p.ResetStreamAt || id == tpResetStreamAt ||
			id == tpResetStreamAtLegacy
		return nil
	case tpPreferredAddress:
		return p.parsePreferredAddress(val)
	case tpVersionInformation:
		return p.parseVersionInformation(val)
	}
	return p.parseIntParam(id, val)
}

// parseIntParam stores a parameter whose value is one varint.
func (p *TransportParameters) parseIntParam(id uint64, val []byte) error {
	var dst *uint64
	switch id {
	case tpMaxUDPPayloadSize:
		dst = &p.MaxUDPPayloadSize
	case tpInitialMaxData:
		dst = &p.InitialMaxData
	case tpInitialMaxStreamDataBidiLocal:
		dst = &p.InitialMaxStreamDataBidiLocal
	case tpInitialMaxStreamDataBidiRemote:
		dst = &p.InitialMaxStreamDataBidiRemote
	case tpInitialMaxStreamDataUni:
		dst = &p.InitialMaxStreamDataUni
	case tpInitialMaxStreamsBidi:
		dst = &p.InitialMaxStreamsBidi
	case tpInitialMaxStreamsUni:
		dst = &p.InitialMaxStreamsUni
	case tpActiveConnectionIDLimit:
		dst = &p.ActiveConnectionIDLimit
	case tpMaxDatagramFrameSize:
		dst = &p.MaxDatagramFrameSize
	case tpMaxIdleTimeout, tpAckDelayExponent, tpMaxAckDelay:
	default:
		return nil // unknown: ignored
	}
	v, n := ConsumeVarint(val)
	if n < 0 || n != len(val) {
		return tpError("transport parameter value is not one varint")
	}
	switch id {
	case tpMaxIdleTimeout:
		p.MaxIdleTimeout = millis(v)
	case tpAckDelayExponent:
		if v > MaxAckDelayExponent {
			return tpError("ack_delay_exponent above 20")
		}
		p.AckDelayExponent = uint8(v)
	case tpMaxAckDelay:
		if v >= 1<<14 {
			return tpError("max_ack_delay not below 2^14 ms")
		}
		p.MaxAckDelay = millis(v)
	default:
		*dst = v
	}
	return nil
}

// millis converts a count of milliseconds to a duration, saturating.
func millis(v uint64) time.Duration {
	if v > math.MaxInt64/uint64(time.Millisecond) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(v) * time.Millisecond
}

func parseTPConnID(val []byte, dst *[]byte) error {
	if len(val) > MaxConnIDLen {
		return tpError("connection ID longer than 20 bytes")
	}
	*dst = append([]byte{}, val...)
	return nil
}

func (p *TransportParameters) parsePreferredAddress(val []byte) error {
	// IPv4 address and port, IPv6 address and port, connection ID length.
	const fixed = 4 + 2 + 16 + 2 + 1
	if len(val) < fixed {
		return tpError("malformed preferred_address")
	}
	cidLen := int(val[fixed-1])
	if len(val) != fixed+cidLen+16 {
		return tpError("malformed preferred_address")
	}
	a := &PreferredAddress{ConnectionID: append([]byte{}, val[fixed:fixed+cidLen]...)}
	copy(a.StatelessResetToken[:], val[fixed+cidLen:])
	v4, port4 := [4]byte(val[0:4]), binary.BigEndian.Uint16(val[4:6])
	v6, port6 := [16]byte(val[6:22]), binary.BigEndian.Uint16(val[22:24])
	if v4 != [4]byte{} || port4 != 0 {
		a.IPv4 = netip.AddrPortFrom(netip.AddrFrom4(v4), port4)
	}
	if v6 != [16]byte{} || port6 != 0 {
		a.IPv6 = netip.AddrPortFrom(netip.AddrFrom16(v6), port6)
	}
	p.PreferredAddress = a
	return nil
}

func (p *TransportParameters) parseVersionInformation(val []byte) error {
	if len(val) < 4 || len(val)%4 != 0 {
		return tpError("malformed version_information")
	}
	v := &VersionInformation{Chosen: Version(binary.BigEndian.Uint32(val))}
	if n := len(val)/4 - 1; n > 0 {
		v.Available = make([]Version, 0, n)
		for rest := val[4:]; len(rest) > 0; rest = rest[4:] {
			v.Available = append(v.Available, Version(binary.BigEndian.Uint32(rest)))
		}
	}
	p.VersionInformation = v
	return nil
}
