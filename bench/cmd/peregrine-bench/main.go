package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/peregrine-h3/peregrine/bench"
)

// byteSize is a flag value with an optional KiB, MiB or GiB suffix.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("bad size %q", s)
	}
	*b = byteSize(n * mult)
	return nil
}

// options are the parsed flags.
type options struct {
	what     string
	duration time.Duration
	runs     int
	size     int64
	streams  int
	conns    int
	body     int
	pairs    string
	json     bool
	profile  string // directory for the servers' CPU profiles; empty for none
}

func main() {
	var o options
	size := byteSize(64 << 20)
	flag.StringVar(&o.what, "what", "all", "comparisons to run: quic, h3 or all")
	flag.DurationVar(&o.duration, "duration", 3*time.Second, "measured time per comparison")
	flag.IntVar(&o.runs, "runs", 3, "times each comparison runs; the table shows medians")
	flag.Var(&size, "size", "QUIC bulk bytes per stream per round (suffix KiB, MiB, GiB)")
	flag.IntVar(&o.streams, "streams", 0,
		"concurrent streams per connection (0: 1 for quic, 16 for h3)")
	flag.IntVar(&o.conns, "conns", 1, "connections")
	flag.IntVar(&o.body, "body", 1024, "HTTP/3 response body bytes")
	flag.StringVar(&o.pairs, "pairs", "all",
		"all: every client with every server; same: each stack with itself")
	flag.BoolVar(&o.json, "json", false, "print every run and the medians as JSON")
	flag.StringVar(&o.profile, "profile", "",
		"write each server child's CPU profile into this directory")
	serveWhat := flag.String("serve", "", "internal: run a server for the parent process")
	certDir := flag.String("certdir", "", "internal: directory of the server's certificate")
	cpuProfile := flag.String("cpuprofile", "", "internal: the server's CPU profile file")
	flag.Parse()
	o.size = int64(size)

	if *serveWhat != "" {
		if err := serve(*serveWhat, *certDir, *cpuProfile, o.body); err != nil {
			fmt.Fprintln(os.Stderr, "peregrine-bench server:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "peregrine-bench:", err)
		os.Exit(1)
	}
}

// run runs the comparisons o asks for, prints the report to out and progress
// to logw.
func run(o options, out, logw io.Writer) error {
	if o.what != "quic" && o.what != "h3" && o.what != "all" {
		return fmt.Errorf("-what must be quic, h3 or all, not %q", o.what)
	}
	if o.runs < 1 || o.conns < 1 || o.streams < 0 || o.body < 0 {
		return fmt.Errorf("-runs and -conns must be positive, -streams and -body not negative")
	}
	pairs, err := pairsFor(o.pairs)
	if err != nil {
		return err
	}
	cert, err := bench.NewCert(time.Now())
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "peregrine-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeCert(dir, cert); err != nil {
		return err
	}
	r := &runner{o: o, cert: cert, certDir: dir, pairs: pairs, log: logw}
	var results []result
	if o.what != "h3" {
		res, err := r.repeat(r.quicRun)
		if err != nil {
			return err
		}
		results = append(results, res...)
	}
	if o.what != "quic" {
		res, err := r.repeat(r.h3Run)
		if err != nil {
			return err
		}
		results = append(results, res...)
	}
	if o.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(report{Options: o.describe(), Runs: results,
			Medians: medians(results)})
	}
	printTables(out, o, medians(results))
	return nil
}

// describe returns the options as they appear in the JSON report.
func (o options) describe() map[string]any {
	return map[string]any{"what": o.what, "duration": o.duration.String(), "runs": o.runs,
		"size": o.size, "streams": o.streams, "conns": o.conns, "body": o.body,
		"pairs": o.pairs}
}

// pairsFor returns the client and server pairings named by s.
func pairsFor(s string) ([]pair, error) {
	same := []pair{{bench.Peregrine, bench.Peregrine}, {bench.QuicGo, bench.QuicGo}}
	switch s {
	case "same":
		return same, nil
	case "all":
		return append(same, pair{bench.QuicGo, bench.Peregrine},
			pair{bench.Peregrine, bench.QuicGo}), nil
	}
	return nil, fmt.Errorf("-pairs must be all or same, not %q", s)
}
