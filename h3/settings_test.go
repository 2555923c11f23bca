package h3

import (
	"errors"
	"testing"
)

func TestSettingsRoundTrip(t *testing.T) {
	want := settings{
		qpackMaxTableCapacity: 4096,
		qpackBlockedStreams:   16,
		maxFieldSectionSize:   65536,
		enableConnectProtocol: true,
		h3Datagram:            true,
	}
	fr := newFrameReader(bytesReader(appendSettingsFrame(nil, want)))
	typ, _, err := fr.next()
	if err != nil || typ != frameSettings {
		t.Fatalf("frame %v, %v", typ, err)
	}
	p, err := fr.readPayload(maxSettingsPayload)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseSettings(p)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSettings(got, want) {
		t.Errorf("settings %+v, want %+v", got, want)
	}
}

// sameSettings compares the settings this package interprets.
func sameSettings(a, b settings) bool {
	return a.qpackMaxTableCapacity == b.qpackMaxTableCapacity &&
		a.qpackBlockedStreams == b.qpackBlockedStreams &&
		a.maxFieldSectionSize == b.maxFieldSectionSize &&
		a.enableConnectProtocol == b.enableConnectProtocol &&
		a.h3Datagram == b.h3Datagram
}

func TestSettingsEachID(t *testing.T) {
	pair := func(id, v uint64) []byte { return appendVarint(appendVarint(nil, id), v) }
	cases := []struct {
		name string
		p    []byte
		want settings
		code ErrCode // 0: no error
	}{
		{"table capacity", pair(0x01, 100), settings{qpackMaxTableCapacity: 100}, 0},
		{"field section", pair(0x06, 7), settings{maxFieldSectionSize: 7}, 0},
		{"blocked", pair(0x07, 3), settings{qpackBlockedStreams: 3}, 0},
		{"connect on", pair(0x08, 1), settings{enableConnectProtocol: true}, 0},
		{"connect off", pair(0x08, 0), settings{}, 0},
		{"connect 2", pair(0x08, 2), settings{}, ErrCodeSettingsError},
		{"datagram on", pair(0x33, 1), settings{h3Datagram: true}, 0},
		{"datagram 5", pair(0x33, 5), settings{}, ErrCodeSettingsError},
		{"grease", pair(greaseValue(9), 1), settings{}, 0},
		{"unknown", pair(0x4242, 1), settings{}, 0},
		{"http2 0x00", pair(0x00, 1), settings{}, ErrCodeSettingsError},
		{"http2 0x02", pair(0x02, 1), settings{}, ErrCodeSettingsError},
		{"http2 0x03", pair(0x03, 1), settings{}, ErrCodeSettingsError},
		{"http2 0x04", pair(0x04, 1), settings{}, ErrCodeSettingsError},
		{"http2 0x05", pair(0x05, 1), settings{}, ErrCodeSettingsError},
		{"duplicate", append(pair(0x01, 1), pair(0x01, 2)...), settings{}, ErrCodeSettingsError},
		{"dup unknown", append(pair(0x21, 1), pair(0x21, 2)...), settings{}, ErrCodeSettingsError},
		{"truncated", pair(0x01, 1000)[:2], settings{}, ErrCodeFrameError},
		{"no value", []byte{0x01}, settings{}, ErrCodeFrameError},
	}
	for _, tc := range cases {
		got, err := parseSettings(tc.p)
		if tc.code != 0 {
			var e *Error
			if !errors.As(err, &e) || e.Code != tc.code {
				t.Errorf("%s: error %v, want %v", tc.name, err, tc.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !sameSettings(got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func FuzzSettings(f *testing.F) {
	f.Add(appendSettingsFrame(nil, settings{maxFieldSectionSize: 10, h3Datagram: true})[2:])
	f.Add([]byte{0x01, 0x40})
	f.Fuzz(func(t *testing.T, p []byte) {
		s, err := parseSettings(p)
		if err != nil {
			return
		}
		// Whatever parses must survive a round trip.
		fr := newFrameReader(bytesReader(appendSettingsFrame(nil, s)))
		fr.next()
		q, err := fr.readPayload(maxSettingsPayload)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := parseSettings(q)
		if err != nil || !sameSettings(s2, s) {
			t.Fatalf("round trip: %+v -> %+v, %v", s, s2, err)
		}
	})
}
