package h3

import "math/rand/v2"

// Setting identifiers (RFC 9114, Section 7.2.4.1; RFC 9204, Section 5;
// RFC 9220, Section 3; RFC 9297, Section 2.1.1).
const (
	settingQPACKMaxTableCapacity = 0x01
	settingMaxFieldSectionSize   = 0x06
	settingQPACKBlockedStreams   = 0x07
	settingEnableConnectProtocol = 0x08
	settingH3Datagram            = 0x33
)

// maxSettingsPayload bounds the SETTINGS frames we buffer. Real peers send a
// few dozen bytes; the bound leaves room for many GREASE settings.
const maxSettingsPayload = 16 << 10

// settings holds the values of one SETTINGS frame. The zero value holds the
// defaults of RFC 9114, Section 7.2.4.2, where MAX_FIELD_SECTION_SIZE is
// unlimited.
type settings struct {
	qpackMaxTableCapacity uint64
	qpackBlockedStreams   uint64
	maxFieldSectionSize   uint64 // 0: not sent, unlimited
	enableConnectProtocol bool
	h3Datagram            bool
}

// isHTTP2Setting reports setting identifiers reserved because HTTP/2 used
// them; receiving one is H3_SETTINGS_ERROR (RFC 9114, Section 7.2.4.1).
func isHTTP2Setting(id uint64) bool {
	return id == 0x00 || (id >= 0x02 && id <= 0x05)
}

// appendSettingsFrame appends s as a SETTINGS frame, with one GREASE setting
// (RFC 9114, Section 7.2.4.1) so that peers keep ignoring unknown ones.
func appendSettingsFrame(b []byte, s settings) []byte {
	var p []byte
	add := func(id, v uint64) { p = appendVarint(appendVarint(p, id), v) }
	add(settingQPACKMaxTableCapacity, s.qpackMaxTableCapacity)
	add(settingQPACKBlockedStreams, s.qpackBlockedStreams)
	if s.maxFieldSectionSize > 0 {
		add(settingMaxFieldSectionSize, s.maxFieldSectionSize)
	}
	if s.enableConnectProtocol {
		add(settingEnableConnectProtocol, 1)
	}
	if s.h3Datagram {
		add(settingH3Datagram, 1)
	}
	add(greaseValue(rand.Uint64N(1<<20)), rand.Uint64N(1<<30))
	b = appendFrameHeader(b, frameSettings, uint64(len(p)))
	return append(b, p...)
}

// parseSettings parses a SETTINGS payload. A duplicate identifier, an HTTP/2
// identifier or a malformed boolean is H3_SETTINGS_ERROR; a truncated pair
// is H3_FRAME_ERROR (RFC 9114, Sections 7.1 and 7.2.4).
func parseSettings(p []byte) (settings, error) {
	var s settings
	seen := make(map[uint64]struct{}, 8)
	for len(p) > 0 {
		id, n := parseVarint(p)
		if n == 0 {
			return s, connError(ErrCodeFrameError, "truncated SETTINGS frame")
		}
		v, m := parseVarint(p[n:])
		if m == 0 {
			return s, connError(ErrCodeFrameError, "truncated SETTINGS frame")
		}
		p = p[n+m:]
		if _, dup := seen[id]; dup {
			return s, connError(ErrCodeSettingsError, "duplicate setting 0x%x", id)
		}
		seen[id] = struct{}{}
		if err := s.set(id, v); err != nil {
			return s, err
		}
	}
	return s, nil
}

// set records one setting; unknown identifiers are ignored
// (RFC 9114, Section 7.2.4).
func (s *settings) set(id, v uint64) error {
	switch {
	case isHTTP2Setting(id):
		return connError(ErrCodeSettingsError, "HTTP/2 setting 0x%x", id)
	case id == settingQPACKMaxTableCapacity:
		s.qpackMaxTableCapacity = v
	case id == settingQPACKBlockedStreams:
		s.qpackBlockedStreams = v
	case id == settingMaxFieldSectionSize:
		s.maxFieldSectionSize = v
	case id == settingEnableConnectProtocol, id == settingH3Datagram:
		// RFC 9220, Section 3 and RFC 9297, Section 2.1.1: only 0 and 1.
		if v > 1 {
			return connError(ErrCodeSettingsError, "setting 0x%x has value %d", id, v)
		}
		if id == settingH3Datagram {
			s.h3Datagram = v == 1
		} else {
			s.enableConnectProtocol = v == 1
		}
	}
	return nil
}
