package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"slices"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for peregrine-bench when run() starts
// a server child: it re-executes os.Executable with -serve.
func TestMain(m *testing.M) {
	if slices.Contains(os.Args[1:], "-serve") {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{{"1024", 1024, true}, {"3KiB", 3 << 10, true}, {"64MiB", 64 << 20, true},
		{"2GiB", 2 << 30, true}, {"0", 0, false}, {"MiB", 0, false}, {"-1KiB", 0, false}} {
		var b byteSize
		err := b.Set(tc.in)
		if (err == nil) != tc.ok || (tc.ok && int64(b) != tc.want) {
			t.Errorf("Set(%q) = %d, %v; want %d, ok %v", tc.in, b, err, tc.want, tc.ok)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestRunJSON runs both comparisons briefly, with servers in child processes,
// and checks that every pairing reports plausible figures.
func TestRunJSON(t *testing.T) {
	o := options{what: "all", duration: 150 * time.Millisecond, runs: 1, size: 256 << 10,
		conns: 1, streams: 2, body: 1024, pairs: "same", json: true}
	var out bytes.Buffer
	if err := run(o, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v in %s", err, out.Bytes())
	}
	if len(rep.Medians) != 4 {
		t.Fatalf("got %d medians, want 4 (2 tests x 2 pairings)", len(rep.Medians))
	}
	for _, m := range rep.Medians {
		key := map[string]string{"quic": "gbit_per_s", "h3": "req_per_s"}[m.Test]
		if m.Metrics[key] <= 0 || m.Metrics["cpu_s_per_gb"] < 0 {
			t.Errorf("%s %s->%s: %s = %v", m.Test, m.Client, m.Server, key, m.Metrics[key])
		}
		if m.Test == "h3" && m.Metrics["server_cpu_us_per_req"] <= 0 {
			t.Errorf("%s %s->%s: no server CPU measured", m.Test, m.Client, m.Server)
		}
	}
}
