package qpack

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// netSim is one connection whose three QPACK flows (encoder stream, field
// sections, decoder stream) are delivered in a random order, as QUIC may
// deliver separate streams.
type netSim struct {
	t        *testing.T
	rng      *rand.Rand
	enc      *Encoder
	dec      *Decoder
	encChunk [][]byte                 // encoder-stream data in flight, in order
	sections map[uint64][]byte        // sections in flight
	want     map[uint64][]HeaderField // what each stream carries
	blocked  map[uint64]bool          // held by the decoder
	decoded  int
	held     int // sections that were blocked on arrival
	nextID   uint64
}

var simNames = []string{"x-a", "x-b", "user-agent", "cookie", "accept", "x-long-name-here"}

// randomFields returns a field list drawn from a small vocabulary, so that
// entries repeat and the table fills, evicts and duplicates.
func (n *netSim) randomFields() []HeaderField {
	fields := make([]HeaderField, 1+n.rng.IntN(6))
	for i := range fields {
		name := simNames[n.rng.IntN(len(simNames))]
		value := fmt.Sprintf("v%d", n.rng.IntN(12))
		if n.rng.IntN(8) == 0 {
			value += string(make([]byte, n.rng.IntN(90))) // long and binary
		}
		fields[i] = HeaderField{Name: name, Value: value, Sensitive: n.rng.IntN(10) == 0}
	}
	return fields
}

func (n *netSim) encodeOne() {
	id := n.nextID
	n.nextID += 4
	fields := n.randomFields()
	sec, err := n.enc.EncodeSection(id, fields, nil)
	if err != nil {
		n.t.Fatal(err)
	}
	if es := n.enc.AppendEncoderStream(nil); len(es) > 0 {
		n.encChunk = append(n.encChunk, es)
	}
	n.sections[id] = sec
	n.want[id] = fields
}

func (n *netSim) check(id uint64, got []HeaderField) {
	want := n.want[id]
	for i := range got {
		// The decoder reports never-indexed literals; the encoder sets the
		// bit for more fields than were marked.
		if want[i].Sensitive && !got[i].Sensitive {
			n.t.Fatalf("stream %d field %d lost the never-indexed bit", id, i)
		}
		got[i].Sensitive = want[i].Sensitive
	}
	if diff := cmp.Diff(want, got); diff != "" {
		n.t.Fatalf("stream %d (-want +got):\n%s", id, diff)
	}
	n.decoded++
	delete(n.want, id)
}

func (n *netSim) deliverEncoderStream() {
	if len(n.encChunk) == 0 {
		return
	}
	ids, err := n.dec.WriteEncoderStream(n.encChunk[0])
	if err != nil {
		n.t.Fatalf("encoder stream: %v", err)
	}
	n.encChunk = n.encChunk[1:]
	for _, id := range ids {
		fields, err := n.dec.TakeSection(id)
		if err != nil {
			n.t.Fatalf("stream %d: %v", id, err)
		}
		delete(n.blocked, id)
		n.check(id, fields)
	}
}

// pick returns a random stream with a section in flight.
func (n *netSim) pick() (uint64, bool) {
	for id := range n.sections { // map order is random enough here
		return id, true
	}
	return 0, false
}

func (n *netSim) deliverSection() {
	id, ok := n.pick()
	if !ok {
		return
	}
	sec := n.sections[id]
	delete(n.sections, id)
	fields, err := n.dec.DecodeSection(id, sec)
	switch {
	case errors.Is(err, ErrBlocked):
		n.blocked[id] = true
		n.held++
	case err != nil:
		n.t.Fatalf("stream %d: %v", id, err)
	default:
		n.check(id, fields)
	}
}

func (n *netSim) cancelSection() {
	id, ok := n.pick()
	if !ok {
		return
	}
	delete(n.sections, id)
	delete(n.want, id)
	n.dec.CancelStream(id)
}

func (n *netSim) deliverDecoderStream() {
	if err := n.enc.WriteDecoderStream(n.dec.AppendDecoderStream(nil)); err != nil {
		n.t.Fatalf("decoder stream: %v", err)
	}
}

// TestRandomDelivery runs connections with random settings, fields and
// delivery order. The decoder enforces the same limits it advertised, so an
// encoder that let too many streams block, or evicted an entry a section in
// flight still needs, makes a decode fail.
func TestRandomDelivery(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		capacity := []uint64{0, 64, 256, 1024}[rng.IntN(4)]
		blocked := []uint64{0, 1, 3, 100}[rng.IntN(4)]
		n := &netSim{
			t:   t,
			rng: rng,
			enc: NewEncoder(EncoderConfig{}),
			dec: NewDecoder(DecoderConfig{
				MaxTableCapacity: capacity, MaxBlockedStreams: blocked}),
			sections: make(map[uint64][]byte),
			want:     make(map[uint64][]HeaderField),
			blocked:  make(map[uint64]bool),
		}
		n.enc.SetPeerSettings(capacity, blocked)
		for step := 0; step < 2000; step++ {
			switch r := rng.IntN(20); {
			case r < 6:
				n.encodeOne()
			case r < 11:
				n.deliverEncoderStream()
			case r < 17:
				n.deliverSection()
			case r < 18:
				n.cancelSection()
			default:
				n.deliverDecoderStream()
			}
		}
		// Drain everything.
		for len(n.encChunk) > 0 || len(n.sections) > 0 {
			n.deliverSection()
			n.deliverEncoderStream()
		}
		if len(n.blocked) != 0 || len(n.want) != 0 {
			t.Fatalf("seed %d: %d sections still blocked, %d undelivered",
				seed, len(n.blocked), len(n.want))
		}
		if n.decoded < 100 {
			t.Fatalf("seed %d: only %d sections decoded", seed, n.decoded)
		}
		t.Logf("seed %d: table %d, blocked %d: %d sections, %d held, %d inserts, "+
			"%d evicted", seed, capacity, blocked, n.decoded, n.held,
			n.dec.table.insertCount(), n.dec.table.dropped)
	}
}
