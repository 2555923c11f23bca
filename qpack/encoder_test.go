package qpack

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pipe is an encoder and a decoder on the two ends of one connection.
type pipe struct {
	t   *testing.T
	enc *Encoder
	dec *Decoder
}

func newPipe(t *testing.T, capacity, blocked uint64) *pipe {
	enc := NewEncoder(EncoderConfig{})
	enc.SetPeerSettings(capacity, blocked)
	dec := NewDecoder(DecoderConfig{MaxTableCapacity: capacity, MaxBlockedStreams: blocked})
	return &pipe{t, enc, dec}
}

// roundTrip encodes fields, delivers the encoder stream then the section,
// checks the decoded fields and, with ack, returns the decoder stream to the
// encoder. It returns the section and encoder-stream bytes.
func (p *pipe) roundTrip(id uint64, fields []HeaderField, ack bool) (sec, es []byte) {
	p.t.Helper()
	sec, err := p.enc.EncodeSection(id, fields, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	es = p.enc.AppendEncoderStream(nil)
	if _, err := p.dec.WriteEncoderStream(es); err != nil {
		p.t.Fatal(err)
	}
	got, err := p.dec.DecodeSection(id, sec)
	if err != nil {
		p.t.Fatalf("stream %d: %v", id, err)
	}
	want := make([]HeaderField, len(fields))
	for i, f := range fields {
		want[i] = HeaderField{Name: f.Name, Value: f.Value}
	}
	for i := range got {
		got[i].Sensitive = false
	}
	if diff := cmp.Diff(want, got); diff != "" {
		p.t.Fatalf("stream %d (-want +got):\n%s", id, diff)
	}
	if ack {
		if err := p.enc.WriteDecoderStream(p.dec.AppendDecoderStream(nil)); err != nil {
			p.t.Fatal(err)
		}
	}
	return sec, es
}

func TestEncoderUsesDynamicTable(t *testing.T) {
	p := newPipe(t, 4096, 0)
	fields := []HeaderField{
		{Name: ":method", Value: "GET"},
		{Name: ":authority", Value: "example.org"},
		{Name: "x-custom", Value: "some value"},
	}
	first, es := p.roundTrip(0, fields, true)
	if len(es) == 0 {
		t.Fatal("no inserts")
	}
	// With no blocking allowed the first section cannot use the new
	// entries; once acknowledged, the second one does.
	if first[0] != 0 {
		t.Errorf("first section references the table: %x", first)
	}
	second, es := p.roundTrip(4, fields, true)
	if len(es) != 0 {
		t.Errorf("second section inserted again: %x", es)
	}
	if len(second) >= len(first) || second[0] == 0 {
		t.Errorf("second section %x is no better than first %x", second, first)
	}
}

func TestEncoderSensitiveNeverIndexed(t *testing.T) {
	p := newPipe(t, 4096, 100)
	fields := []HeaderField{
		{Name: "cookie", Value: "secret=1"},
		{Name: "authorization", Value: "Bearer x"},
		{Name: "x-token", Value: "t", Sensitive: true},
		{Name: "x-token", Value: "t"},
	}
	sec, err := p.enc.EncodeSection(0, fields, nil)
	if err != nil {
		t.Fatal(err)
	}
	es := p.enc.AppendEncoderStream(nil)
	if _, err := p.dec.WriteEncoderStream(es); err != nil {
		t.Fatal(err)
	}
	got, err := p.dec.DecodeSection(0, sec)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range got[:3] {
		if !f.Sensitive {
			t.Errorf("field %d %q lost the never-indexed bit", i, f.Name)
		}
	}
	if got[3].Sensitive {
		t.Error("plain x-token marked sensitive")
	}
	// Only the plain x-token may be in the table.
	for _, e := range p.dec.table.entries {
		if e.value != "t" || e.name != "x-token" {
			t.Errorf("sensitive field inserted: %s=%s", e.name, e.value)
		}
	}
}

// TestEncoderBlockedStreamLimit checks that without acknowledgments no
// more streams than allowed reference unacknowledged entries.
func TestEncoderBlockedStreamLimit(t *testing.T) {
	for _, limit := range []uint64{0, 1, 3} {
		e := NewEncoder(EncoderConfig{})
		e.SetPeerSettings(4096, limit)
		var blocking []uint64
		for id := uint64(0); id < 40; id += 4 {
			for rep := 0; rep < 2; rep++ { // two sections on some streams
				fields := []HeaderField{{Name: "x-a", Value: fmt.Sprint(id % 8)}}
				sec, err := e.EncodeSection(id, fields, nil)
				if err != nil {
					t.Fatal(err)
				}
				if sec[0] != 0 && (len(blocking) == 0 || blocking[len(blocking)-1] != id) {
					blocking = append(blocking, id)
				}
			}
		}
		if uint64(len(blocking)) > limit {
			t.Errorf("limit %d: streams %v risk blocking", limit, blocking)
		}
		if limit > 0 && len(blocking) == 0 {
			t.Errorf("limit %d: the table was never used", limit)
		}
	}
}

// TestEncoderNeverEvictsReferenced fills a small table with a decoder that
// receives everything but acknowledges late, and checks every section
// still decodes: an entry still referenced would have been evicted.
func TestEncoderNeverEvictsReferenced(t *testing.T) {
	p := newPipe(t, 256, 100)
	type pending struct {
		id  uint64
		sec []byte
	}
	var queue []pending
	for i := 0; i < 200; i++ {
		id := uint64(i) * 4
		fields := []HeaderField{
			{Name: "x-counter", Value: fmt.Sprint(i % 7)},
			{Name: "x-long-header-name", Value: fmt.Sprintf("value number %d", i%11)},
		}
		sec, err := p.enc.EncodeSection(id, fields, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.dec.WriteEncoderStream(p.enc.AppendEncoderStream(nil)); err != nil {
			t.Fatal(err)
		}
		queue = append(queue, pending{id, sec})
		// Decode (and so acknowledge) only every third round, oldest
		// first, so entries stay referenced for a while.
		if i%3 != 2 {
			continue
		}
		for _, q := range queue {
			if _, err := p.dec.DecodeSection(q.id, q.sec); err != nil {
				t.Fatalf("section %d: %v", q.id, err)
			}
		}
		queue = queue[:0]
		if err := p.enc.WriteDecoderStream(p.dec.AppendDecoderStream(nil)); err != nil {
			t.Fatal(err)
		}
	}
	if p.dec.table.dropped == 0 {
		t.Error("nothing was ever evicted; the test did not exercise eviction")
	}
}

func TestDecoderStreamErrors(t *testing.T) {
	for _, c := range []struct {
		name, stream string
	}{
		{"ack for unknown stream", "84"},
		{"zero increment", "00"},
		{"increment beyond inserts", "02"},
		{"integer overflow", "3f ffffffffffffffffffff01"},
	} {
		p := newPipe(t, 4096, 100)
		// One insert, referenced by stream 0.
		p.roundTrip(0, []HeaderField{{Name: "x-a", Value: "1"}}, false)
		err := p.enc.WriteDecoderStream(unhex(t, c.stream))
		if !errors.Is(err, ErrDecoderStream) {
			t.Errorf("%s: err = %v, want QPACK_DECODER_STREAM_ERROR", c.name, err)
		}
		if _, err2 := p.enc.EncodeSection(4, nil, nil); err2 != err {
			t.Errorf("%s: the error did not stick: %v", c.name, err2)
		}
	}
	// Valid instructions split across calls.
	p := newPipe(t, 4096, 100)
	p.roundTrip(200, []HeaderField{{Name: "x-a", Value: "1"}}, false)
	for _, b := range appendSectionAck(nil, 200) {
		if err := p.enc.WriteDecoderStream([]byte{b}); err != nil {
			t.Fatal(err)
		}
	}
	if p.enc.knownReceived != 1 || len(p.enc.unacked) != 0 {
		t.Errorf("after ack: known %d, unacked %v", p.enc.knownReceived, p.enc.unacked)
	}
}

func TestEncoderStreamCancellationUnpins(t *testing.T) {
	p := newPipe(t, 160, 100) // four 36-byte entries fill it
	p.roundTrip(0, []HeaderField{
		{Name: "x-a", Value: "1"}, {Name: "x-b", Value: "2"},
		{Name: "x-c", Value: "3"}, {Name: "x-d", Value: "4"},
	}, false)
	// Acknowledge the inserts but keep stream 0's references.
	if err := p.enc.WriteDecoderStream([]byte{0x04}); err != nil {
		t.Fatal(err)
	}
	_, es := p.roundTrip(4, []HeaderField{{Name: "x-e", Value: "5"}}, false)
	if len(es) != 0 {
		t.Fatalf("evicted an entry still referenced: %x", es)
	}
	if err := p.enc.WriteDecoderStream([]byte{0x40}); err != nil { // cancel stream 0
		t.Fatal(err)
	}
	_, es = p.roundTrip(8, []HeaderField{{Name: "x-e", Value: "5"}}, false)
	if len(es) == 0 {
		t.Fatal("did not insert after the references were cancelled")
	}
}

// TestEncoderConcurrent encodes from several goroutines; run with -race.
func TestEncoderConcurrent(t *testing.T) {
	e := NewEncoder(EncoderConfig{})
	e.SetPeerSettings(4096, 100)
	const workers, each = 4, 50
	secs := make([][]byte, workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				n := w*each + i
				fields := []HeaderField{{Name: "x-n", Value: fmt.Sprint(n % 13)}}
				secs[n], _ = e.EncodeSection(uint64(n)*4, fields, nil)
			}
		}()
	}
	wg.Wait()
	d := NewDecoder(DecoderConfig{MaxTableCapacity: 4096, MaxBlockedStreams: 100})
	if _, err := d.WriteEncoderStream(e.AppendEncoderStream(nil)); err != nil {
		t.Fatal(err)
	}
	for n, sec := range secs {
		got, err := d.DecodeSection(uint64(n)*4, sec)
		if err != nil || len(got) != 1 || got[0].Value != fmt.Sprint(n%13) {
			t.Fatalf("section %d: %v, %v", n, got, err)
		}
	}
}

// TestEncoderDuplicatesDrainingEntries keeps referencing one field while
// new ones arrive and the peer acknowledges two sections late: the encoder
// must refer to fresh copies of the old entry rather than pin it, so that
// inserts keep succeeding, and every section must still decode.
func TestEncoderDuplicatesDrainingEntries(t *testing.T) {
	p := newPipe(t, 256, 100)
	type pending struct {
		id  uint64
		sec []byte
	}
	var queue []pending
	literals := 0
	for i := 0; i < 60; i++ {
		id := uint64(i) * 4
		fields := []HeaderField{
			{Name: "x-hot", Value: "always the same"},
			{Name: "x-new", Value: fmt.Sprint("fresh ", i)},
		}
		sec, err := p.enc.EncodeSection(id, fields, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.dec.WriteEncoderStream(p.enc.AppendEncoderStream(nil)); err != nil {
			t.Fatal(err)
		}
		if len(sec) > 8 {
			literals++
		}
		queue = append(queue, pending{id, sec})
		if len(queue) > 2 {
			q := queue[0]
			queue = queue[1:]
			if _, err := p.dec.DecodeSection(q.id, q.sec); err != nil {
				t.Fatalf("section %d: %v", q.id, err)
			}
			if err := p.enc.WriteDecoderStream(p.dec.AppendDecoderStream(nil)); err != nil {
				t.Fatal(err)
			}
		}
	}
	copies := 0
	for abs := uint64(0); abs < p.dec.table.insertCount(); abs++ {
		if e := p.dec.table.entry(abs); e != nil && e.name == "x-hot" {
			copies++
		}
	}
	// Entries are 52 and about 45 bytes: five fit in 256. Without
	// duplicates the first x-hot entry stays pinned, and all but the first
	// four x-new fields go as literals. With them, a literal is needed only
	// while the old copy's last references await acknowledgment.
	if p.dec.table.insertCount() < 45 {
		t.Errorf("only %d inserts for 60 new fields", p.dec.table.insertCount())
	}
	if p.dec.table.entry(0) != nil {
		t.Error("the first x-hot entry was never evicted")
	}
	if copies == 0 {
		t.Error("no copy of x-hot in the table at the end")
	}
	if literals > 30 {
		t.Errorf("%d of 60 sections fell back to literals", literals)
	}
}

// TestEncoderBoundsUnacknowledged checks that a peer that never
// acknowledges sections cannot make the encoder's records grow without
// bound: past maxUnackedStreams, sections stop using the dynamic table.
func TestEncoderBoundsUnacknowledged(t *testing.T) {
	p := newPipe(t, 4096, 100)
	fields := []HeaderField{{Name: "x-a", Value: "1"}}
	p.roundTrip(0, fields, false)
	// The insert is acknowledged, so every section may reference it.
	if err := p.enc.WriteDecoderStream([]byte{0x01}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < maxUnackedStreams+10; i++ {
		sec, _ := p.roundTrip(uint64(i)*4, fields, false)
		usesTable := sec[0] != 0
		if want := i < maxUnackedStreams; usesTable != want {
			t.Fatalf("section %d: uses the table = %v, want %v", i, usesTable, want)
		}
	}
	if n := len(p.enc.unacked); n != maxUnackedStreams {
		t.Errorf("%d streams recorded, want %d", n, maxUnackedStreams)
	}
}
