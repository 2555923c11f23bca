package qpack_test

import (
	"errors"
	"fmt"

	"github.com/peregrine-h3/peregrine/qpack"
)

// Example shows the calls an HTTP/3 connection makes: the encoder's
// instructions travel on the encoder stream, the section on a request
// stream, and the decoder's acknowledgments back on the decoder stream.
// Here the section arrives before the inserts it needs.
func Example() {
	enc := qpack.NewEncoder(qpack.EncoderConfig{})
	dec := qpack.NewDecoder(qpack.DecoderConfig{
		MaxTableCapacity:  4096,
		MaxBlockedStreams: 16,
	})
	// Each side learns the other's limits from SETTINGS.
	enc.SetPeerSettings(4096, 16)

	fields := []qpack.HeaderField{
		{Name: ":method", Value: "GET"},
		{Name: ":authority", Value: "example.org"},
		{Name: "x-request-kind", Value: "demo"},
	}
	section, err := enc.EncodeSection(0, fields, nil)
	if err != nil {
		panic(err)
	}
	encoderStream := enc.AppendEncoderStream(nil)

	// The request stream wins the race.
	_, err = dec.DecodeSection(0, section)
	fmt.Println("blocked:", errors.Is(err, qpack.ErrBlocked))

	unblocked, err := dec.WriteEncoderStream(encoderStream)
	if err != nil {
		panic(err)
	}
	for _, id := range unblocked {
		got, err := dec.TakeSection(id)
		if err != nil {
			panic(err)
		}
		for _, f := range got {
			fmt.Printf("stream %d: %s: %s\n", id, f.Name, f.Value)
		}
	}

	// The acknowledgment tells the encoder the entries arrived, so the
	// next request refers to them without risking a blocked stream.
	if err := enc.WriteDecoderStream(dec.AppendDecoderStream(nil)); err != nil {
		panic(err)
	}
	again, _ := enc.EncodeSection(4, fields, nil)
	fmt.Printf("sections of %d and %d bytes, %d bytes of inserts, then %d\n",
		len(section), len(again), len(encoderStream), len(enc.AppendEncoderStream(nil)))
	// Output:
	// blocked: true
	// stream 0: :method: GET
	// stream 0: :authority: example.org
	// stream 0: x-request-kind: demo
	// sections of 5 and 5 bytes, 29 bytes of inserts, then 0
}
