package wire_test

import (
	"fmt"

	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// A long header is built with a reserved Length slot that is filled in once
// the payload size is known.
func ExampleAppendLongHeader() {
	h := wire.LongHeader{
		Type:            wire.PacketTypeHandshake,
		Version:         wire.Version1,
		DCID:            []byte{1, 2, 3, 4},
		SCID:            []byte{5, 6, 7, 8},
		PacketNumber:    300,
		PacketNumberLen: wire.PacketNumberLen(300, 250),
	}
	pkt, lengthOffset := wire.AppendLongHeader(nil, &h)
	pnOffset := len(pkt) - h.PacketNumberLen
	pkt = wire.PingFrame{}.Append(pkt)
	pkt = wire.AppendPadding(pkt, 20)
	const aeadTagLen = 16
	length := len(pkt) - pnOffset + aeadTagLen
	wire.PutVarintN(pkt[lengthOffset:], uint64(length), 2)
	pkt = append(pkt, make([]byte, aeadTagLen)...) // sealing would write the tag

	parsed, err := wire.ParseHeader(pkt, 0, false)
	fmt.Println(parsed.Type, parsed.Length, parsed.PNOffset == pnOffset,
		parsed.PacketLen == len(pkt), err)
	// Output: Handshake 38 true true <nil>
}

// A receive loop reads each frame's type, checks that the packet type allows
// it, and calls the typed parser. ACK ranges go into a reused slice.
func ExampleParseAck() {
	payload := wire.AckFrame{
		Ranges:   []wire.AckRange{{Smallest: 10, Largest: 12}, {Smallest: 2, Largest: 5}},
		AckDelay: wire.EncodeAckDelay(4000000, 3), // 4ms
	}.Append(nil)
	payload = wire.StreamFrame{StreamID: 4, Data: []byte("hi"), Fin: true}.Append(payload)

	ranges := make([]wire.AckRange, 0, 32)
	for len(payload) > 0 {
		t, _, err := wire.ConsumeFrameType(payload)
		if err == nil && !wire.FrameAllowed(t, wire.PacketType1RTT) {
			err = &wire.TransportError{Code: wire.ProtocolViolation, FrameType: t}
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		var n int
		switch {
		case t == wire.FrameTypeAck:
			var f wire.AckFrame
			f, n, err = wire.ParseAck(payload, ranges)
			fmt.Println("ACK", f.Ranges, wire.AckDelayDuration(f.AckDelay, 3))
		case t.IsStream():
			var f wire.StreamFrame
			f, n, err = wire.ParseStream(payload)
			fmt.Printf("STREAM %d %q fin=%v\n", f.StreamID, f.Data, f.Fin)
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		payload = payload[n:]
	}
	// Output:
	// ACK [{10 12} {2 5}] 4ms
	// STREAM 4 "hi" fin=true
}
