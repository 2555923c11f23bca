package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/peregrine-h3/peregrine/bench"
)

// pair is a client stack and a server stack.
type pair struct{ client, server bench.Stack }

// result is one measurement of one pairing.
type result struct {
	Test    string             `json:"test"` // "quic" or "h3"
	Client  bench.Stack        `json:"client"`
	Server  bench.Stack        `json:"server"`
	Metrics map[string]float64 `json:"metrics"`
}

// runner holds what every measurement needs.
type runner struct {
	o       options
	cert    *bench.Cert
	certDir string
	pairs   []pair
	log     io.Writer // progress: one line per measurement
}

// repeat runs one comparison o.runs times over every pairing, interleaved so
// that a noisy moment of the machine hurts every stack alike.
func (r *runner) repeat(f func(p pair, run int) (result, error)) ([]result, error) {
	var out []result
	for i := range r.o.runs {
		for _, p := range r.pairs {
			res, err := f(p, i+1)
			if err != nil {
				return nil, fmt.Errorf("%s client, %s server: %w", p.client, p.server, err)
			}
			fmt.Fprintf(r.log, "run %d: %s %s->%s %v\n", i+1, res.Test, p.client,
				p.server, res.Metrics)
			out = append(out, res)
		}
	}
	return out, nil
}

// profilePath names the server's CPU profile file of one measurement, or
// returns "" when profiles were not asked for.
func (r *runner) profilePath(test string, p pair, run int) string {
	if r.o.profile == "" {
		return ""
	}
	return filepath.Join(r.o.profile,
		fmt.Sprintf("%s-server-%s-client-%s-run%d.pprof", test, p.server, p.client, run))
}

// measure runs f and returns the client's (this process's) and the server
// child's resource use during it.
func measure(ch *child, f func() error) (cli, srv bench.Usage, err error) {
	s0, err := ch.usage()
	if err != nil {
		return cli, srv, err
	}
	c0 := bench.ReadUsage()
	if err := f(); err != nil {
		return cli, srv, err
	}
	cli = bench.ReadUsage().Sub(c0)
	s1, err := ch.usage()
	return cli, s1.Sub(s0), err
}

// quicRun measures bulk throughput and handshakes for one pairing.
func (r *runner) quicRun(p pair, run int) (result, error) {
	res := result{Test: "quic", Client: p.client, Server: p.server,
		Metrics: map[string]float64{}}
	ch, err := startChild("quic", p.server, r.certDir, r.profilePath("quic", p, run), 0)
	if err != nil {
		return res, err
	}
	defer ch.stop()
	cl, err := bench.NewQUICClient(p.client, r.cert)
	if err != nil {
		return res, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*r.o.duration+time.Minute)
	defer cancel()

	conns := make([]*bench.Conn, r.o.conns)
	for i := range conns {
		if conns[i], err = cl.Dial(ctx, ch.addr); err != nil {
			return res, err
		}
		defer conns[i].Close()
	}
	streams := max(r.o.streams, 1)
	if _, _, err := bench.RunBulk(ctx, conns, streams, 4<<20, 0); err != nil { // warm-up
		return res, err
	}
	var bytes int64
	var elapsed time.Duration
	cli, srv, err := measure(ch, func() (err error) {
		bytes, elapsed, err = bench.RunBulk(ctx, conns, streams, r.o.size, r.o.duration)
		return err
	})
	if err != nil {
		return res, err
	}
	gb := float64(bytes) / 1e9
	res.Metrics["gbit_per_s"] = gb * 8 / elapsed.Seconds()
	res.Metrics["cpu_s_per_gb"] = (cli.CPU + srv.CPU).Seconds() / gb
	res.Metrics["client_cpu_s_per_gb"] = cli.CPU.Seconds() / gb
	res.Metrics["server_cpu_s_per_gb"] = srv.CPU.Seconds() / gb

	var hs int
	cli, srv, err = measure(ch, func() (err error) {
		hs, elapsed, err = bench.RunHandshakes(ctx, cl, ch.addr, r.o.duration)
		return err
	})
	if err != nil {
		return res, err
	}
	res.Metrics["handshakes_per_s"] = float64(hs) / elapsed.Seconds()
	res.Metrics["server_cpu_ms_per_handshake"] = msPer(srv.CPU, hs)
	res.Metrics["client_cpu_ms_per_handshake"] = msPer(cli.CPU, hs)
	return res, nil
}

func msPer(d time.Duration, n int) float64 {
	return float64(d.Microseconds()) / 1e3 / float64(max(n, 1))
}

// h3Run measures small GETs for one pairing.
func (r *runner) h3Run(p pair, run int) (result, error) {
	res := result{Test: "h3", Client: p.client, Server: p.server,
		Metrics: map[string]float64{}}
	ch, err := startChild("h3", p.server, r.certDir, r.profilePath("h3", p, run), r.o.body)
	if err != nil {
		return res, err
	}
	defer ch.stop()
	clients := make([]*bench.H3Client, r.o.conns)
	for i := range clients {
		if clients[i], err = bench.NewH3Client(p.client, r.cert); err != nil {
			return res, err
		}
		defer clients[i].Close()
	}
	streams := r.o.streams
	if streams == 0 {
		streams = 16
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*r.o.duration+time.Minute)
	defer cancel()
	warm := min(r.o.duration/4, 500*time.Millisecond)
	if _, _, err := bench.RunGets(ctx, clients, ch.addr, streams, warm); err != nil {
		return res, err
	}
	var n int64
	var elapsed time.Duration
	cli, srv, err := measure(ch, func() (err error) {
		n, elapsed, err = bench.RunGets(ctx, clients, ch.addr, streams, r.o.duration)
		return err
	})
	if err != nil {
		return res, err
	}
	reqs := float64(max(n, 1))
	res.Metrics["req_per_s"] = float64(n) / elapsed.Seconds()
	res.Metrics["server_cpu_us_per_req"] = float64(srv.CPU.Nanoseconds()) / 1e3 / reqs
	res.Metrics["server_allocs_per_req"] = float64(srv.Allocs) / reqs
	res.Metrics["client_cpu_us_per_req"] = float64(cli.CPU.Nanoseconds()) / 1e3 / reqs
	res.Metrics["client_allocs_per_req"] = float64(cli.Allocs) / reqs
	return res, nil
}
