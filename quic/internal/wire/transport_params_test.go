package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var tpCmp = cmp.Options{cmpopts.EquateComparable(netip.AddrPort{})}

func fullServerParams() TransportParameters {
	p := DefaultTransportParameters()
	p.OriginalDestinationConnectionID = []byte{1, 2, 3, 4, 5, 6, 7, 8}
	p.MaxIdleTimeout = 30 * time.Second
	p.StatelessResetToken = &[16]byte{0: 0xaa, 15: 0xbb}
	p.MaxUDPPayloadSize = 1452
	p.InitialMaxData = 1 << 24
	p.InitialMaxStreamDataBidiLocal = 1 << 20
	p.InitialMaxStreamDataBidiRemote = 1 << 21
	p.InitialMaxStreamDataUni = 1 << 19
	p.InitialMaxStreamsBidi = 100
	p.InitialMaxStreamsUni = MaxStreamCount
	p.AckDelayExponent = 10
	p.MaxAckDelay = MaxMaxAckDelay
	p.DisableActiveMigration = true
	p.PreferredAddress = &PreferredAddress{
		IPv4:                netip.MustParseAddrPort("192.0.2.1:4433"),
		IPv6:                netip.MustParseAddrPort("[2001:db8::1]:4434"),
		ConnectionID:        []byte{9, 9, 9, 9},
		StatelessResetToken: [16]byte{1, 2, 3},
	}
	p.ActiveConnectionIDLimit = 8
	p.InitialSourceConnectionID = []byte{0xf0, 0x67}
	p.RetrySourceConnectionID = []byte{}
	p.MaxDatagramFrameSize = 65535
	p.GreaseQUICBit = true
	p.ResetStreamAt = true
	p.VersionInformation = &VersionInformation{Chosen: Version1,
		Available: []Version{Version2, Version1}}
	return p
}

func TestTransportParametersRoundTrip(t *testing.T) {
	client := DefaultTransportParameters()
	client.InitialSourceConnectionID = []byte{}
	client.InitialMaxData = 1000
	client.PreferredAddress = nil
	client.VersionInformation = &VersionInformation{Chosen: Version2}

	v6only := fullServerParams()
	v6only.PreferredAddress.IPv4 = netip.AddrPort{}

	tests := []struct {
		name   string
		p      TransportParameters
		sender Side
	}{
		{"server, every parameter", fullServerParams(), ServerSide},
		{"server, IPv6-only preferred address", v6only, ServerSide},
		{"client", client, ClientSide},
	}
	for _, tt := range tests {
		if err := tt.p.Validate(tt.sender); err != nil {
			t.Fatalf("%s: Validate: %v", tt.name, err)
		}
		b := tt.p.Append(nil)
		// Reserved parameters 31*N+27 must be skipped by the receiver.
		withGrease := tt.p
		withGrease.Extra = []TransportParameter{
			{ID: ReservedTransportParameterID(5), Value: []byte("grease")},
			{ID: ReservedTransportParameterID(1 << 40)}}
		gb := withGrease.Append(nil)
		if !bytes.HasPrefix(gb, b) || len(gb) != len(b)+2+1+6+8+1 {
			t.Errorf("%s: Extra appended as %x", tt.name, gb[len(b):])
		}
		for _, enc := range [][]byte{b, gb} {
			got, err := ParseTransportParameters(enc, tt.sender)
			if err != nil {
				t.Fatalf("%s: parse: %v", tt.name, err)
			}
			if diff := cmp.Diff(tt.p, got, tpCmp); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
	}
}

// TestTransportParametersDefaults checks that absent parameters take their
// documented defaults and that defaults are not sent.
func TestTransportParametersDefaults(t *testing.T) {
	p := DefaultTransportParameters()
	p.InitialSourceConnectionID = []byte{1}
	b := p.Append(nil)
	if want := []byte{tpInitialSourceConnectionID, 1, 1}; !bytes.Equal(b, want) {
		t.Errorf("defaults encoded as %x, want %x", b, want)
	}
	got, err := ParseTransportParameters(b, ClientSide)
	if err != nil {
		t.Fatal(err)
	}
	if got.MaxUDPPayloadSize != 65527 || got.AckDelayExponent != 3 ||
		got.MaxAckDelay != 25*time.Millisecond || got.ActiveConnectionIDLimit != 2 ||
		got.MaxIdleTimeout != 0 || got.MaxDatagramFrameSize != 0 {
		t.Errorf("defaults: %+v", got)
	}
}

// tp encodes one parameter with a raw value.
func tp(id uint64, val ...byte) []byte {
	return appendTPBytes(nil, id, append([]byte{}, val...))
}

func tpInt(id, v uint64) []byte {
	return appendTPBytes(nil, id, AppendVarint(nil, v))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestParseTransportParametersErrors(t *testing.T) {
	iscid := tp(tpInitialSourceConnectionID, 1)
	odcid := tp(tpOriginalDestinationConnectionID, 2)
	srvOK := cat(iscid, odcid)
	prefAddr := func(cidLen int) []byte {
		a := PreferredAddress{ConnectionID: bytes.Repeat([]byte{1}, cidLen)}
		return a.append(nil)
	}
	tests := []struct {
		name   string
		b      []byte
		sender Side
	}{
		{"truncated id", cat(iscid, []byte{0x40}), ClientSide},
		{"value past end", cat(iscid, []byte{0x04, 0x05, 0x01}), ClientSide},
		{"duplicate", cat(iscid, tpInt(tpInitialMaxData, 1), tpInt(tpInitialMaxData, 2)),
			ClientSide},
		{"duplicate grease_quic_bit", cat(iscid, tp(tpGreaseQUICBit), tp(tpGreaseQUICBit)),
			ClientSide},
		{"max_udp_payload_size 1199", cat(iscid, tpInt(tpMaxUDPPayloadSize, 1199)),
			ClientSide},
		{"ack_delay_exponent 21", cat(iscid, tpInt(tpAckDelayExponent, 21)), ClientSide},
		{"max_ack_delay 2^14", cat(iscid, tpInt(tpMaxAckDelay, 1<<14)), ClientSide},
		{"active_connection_id_limit 1", cat(iscid, tpInt(tpActiveConnectionIDLimit, 1)),
			ClientSide},
		{"initial_max_streams_bidi 2^60+1",
			cat(iscid, tpInt(tpInitialMaxStreamsBidi, 1<<60+1)), ClientSide},
		{"initial_max_streams_uni 2^60+1",
			cat(iscid, tpInt(tpInitialMaxStreamsUni, 1<<60+1)), ClientSide},
		{"stateless_reset_token 15 bytes",
			cat(srvOK, tp(tpStatelessResetToken, make([]byte, 15)...)), ServerSide},
		{"stateless_reset_token from client",
			cat(iscid, tp(tpStatelessResetToken, make([]byte, 16)...)), ClientSide},
		{"original_destination_connection_id from client", srvOK, ClientSide},
		{"retry_source_connection_id from client",
			cat(iscid, tp(tpRetrySourceConnectionID, 1)), ClientSide},
		{"preferred_address from client", cat(iscid, prefAddr(4)), ClientSide},
		{"preferred_address zero-length CID", cat(srvOK, prefAddr(0)), ServerSide},
		{"preferred_address 21-byte CID", cat(srvOK, prefAddr(21)), ServerSide},
		{"preferred_address short", cat(srvOK, tp(tpPreferredAddress, 1, 2, 3)), ServerSide},
		{"connection ID over 20", tp(tpInitialSourceConnectionID, make([]byte, 21)...),
			ClientSide},
		{"missing initial_source_connection_id", tpInt(tpInitialMaxData, 5), ClientSide},
		{"missing original_destination_connection_id", iscid, ServerSide},
		{"varint with trailing byte", cat(iscid, tp(tpInitialMaxData, 1, 2)), ClientSide},
		{"empty varint", cat(iscid, tp(tpMaxIdleTimeout)), ClientSide},
		{"disable_active_migration with value", cat(iscid, tp(tpDisableActiveMigration, 0)),
			ClientSide},
		{"reset_stream_at with value", cat(iscid, tp(tpResetStreamAt, 0)), ClientSide},
		{"legacy reset_stream_at with value", cat(iscid, tp(tpResetStreamAtLegacy, 1)),
			ClientSide},
		{"duplicate reset_stream_at", cat(iscid, tp(tpResetStreamAt), tp(tpResetStreamAt)),
			ClientSide},
		{"duplicate legacy reset_stream_at",
			cat(iscid, tp(tpResetStreamAtLegacy), tp(tpResetStreamAtLegacy)), ClientSide},
		{"version_information chosen 0", cat(iscid, tp(tpVersionInformation, 0, 0, 0, 0)),
			ClientSide},
		{"version_information available 0",
			cat(iscid, tp(tpVersionInformation, 0, 0, 0, 1, 0, 0, 0, 0)), ClientSide},
		{"version_information 5 bytes",
			cat(iscid, tp(tpVersionInformation, 0, 0, 0, 1, 0)), ClientSide},
	}
	for _, tt := range tests {
		_, err := ParseTransportParameters(tt.b, tt.sender)
		var te *TransportError
		if !errors.As(err, &te) || te.Code != TransportParameterError {
			t.Errorf("%s: err = %v, want TRANSPORT_PARAMETER_ERROR", tt.name, err)
		}
	}

	// The same parameters are fine where the rules allow them.
	for _, ok := range [][]byte{
		cat(srvOK, prefAddr(20), tp(tpStatelessResetToken, make([]byte, 16)...)),
		cat(iscid, tpInt(tpMaxUDPPayloadSize, 1200), tpInt(tpAckDelayExponent, 20),
			tpInt(tpMaxAckDelay, 1<<14-1), tpInt(tpInitialMaxStreamsBidi, 1<<60),
			tp(0x1234, 1, 2, 3), tp(0x1234, 4)),
	} {
		sender := ClientSide
		if bytes.HasPrefix(ok, srvOK) {
			sender = ServerSide
		}
		if _, err := ParseTransportParameters(ok, sender); err != nil {
			t.Errorf("valid parameters %x rejected: %v", ok, err)
		}
	}
}

// TestTransportParametersOutOfRangeLocal checks that values no encoding can
// carry are caught by Validate and do not make Append panic.
func TestTransportParametersOutOfRangeLocal(t *testing.T) {
	for name, mod := range map[string]func(*TransportParameters){
		"negative idle timeout": func(p *TransportParameters) { p.MaxIdleTimeout = -time.Second },
		"negative ack delay":    func(p *TransportParameters) { p.MaxAckDelay = -1 },
		"max data above 2^62":   func(p *TransportParameters) { p.InitialMaxData = 1 << 63 },
		"extra ID above 2^62": func(p *TransportParameters) {
			p.Extra = []TransportParameter{{ID: 1 << 63}}
		},
		"IPv6 address as IPv4": func(p *TransportParameters) {
			p.PreferredAddress = &PreferredAddress{ConnectionID: []byte{1},
				IPv4: netip.MustParseAddrPort("[::1]:443")}
		},
		"IPv4 address as IPv6": func(p *TransportParameters) {
			p.PreferredAddress = &PreferredAddress{ConnectionID: []byte{1},
				IPv6: netip.MustParseAddrPort("127.0.0.1:443")}
		},
	} {
		p := DefaultTransportParameters()
		p.InitialSourceConnectionID = []byte{1}
		p.OriginalDestinationConnectionID = []byte{2}
		mod(&p)
		b := p.Append(nil)
		if _, err := ParseTransportParameters(b, ServerSide); err != nil &&
			p.PreferredAddress == nil {
			t.Errorf("%s: encoding does not parse: %v", name, err)
		}
		if err := p.Validate(ServerSide); err == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
	}
}

// TestResetStreamAtParameter checks that reset_stream_at is sent as 0x1d with
// an empty value and accepted under both the current and the legacy ID.
func TestResetStreamAtParameter(t *testing.T) {
	p := DefaultTransportParameters()
	p.InitialSourceConnectionID = []byte{1}
	without := p.Append(nil)
	p.ResetStreamAt = true
	with := p.Append(nil)
	if want := cat(without, []byte{0x1d, 0x00}); !bytes.Equal(with, want) {
		t.Fatalf("encoding = %x, want %x", with, want)
	}
	iscid := tp(tpInitialSourceConnectionID, 1)
	for _, tt := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"absent", iscid, false},
		{"0x1d", cat(iscid, tp(tpResetStreamAt)), true},
		{"legacy", cat(iscid, tp(tpResetStreamAtLegacy)), true},
		{"both", cat(iscid, tp(tpResetStreamAtLegacy), tp(tpResetStreamAt)), true},
	} {
		got, err := ParseTransportParameters(tt.b, ClientSide)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got.ResetStreamAt != tt.want {
			t.Errorf("%s: ResetStreamAt = %v, want %v", tt.name, got.ResetStreamAt, tt.want)
		}
	}
}
