package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// report is the JSON output.
type report struct {
	Options map[string]any `json:"options"`
	Runs    []result       `json:"runs"`
	Medians []result       `json:"medians"`
}

// medians returns, for each test and pairing in the order first seen, the
// median of each metric over the runs.
func medians(rs []result) []result {
	var out []result
	for _, r := range rs {
		i := slices.IndexFunc(out, func(o result) bool {
			return o.Test == r.Test && o.Client == r.Client && o.Server == r.Server
		})
		if i >= 0 {
			continue
		}
		m := result{Test: r.Test, Client: r.Client, Server: r.Server,
			Metrics: map[string]float64{}}
		for k := range r.Metrics {
			var vs []float64
			for _, o := range rs {
				if o.Test == r.Test && o.Client == r.Client && o.Server == r.Server {
					vs = append(vs, o.Metrics[k])
				}
			}
			m.Metrics[k] = median(vs)
		}
		out = append(out, m)
	}
	return out
}

// median returns the middle value of vs (the mean of the two middle ones for
// an even count), or 0 for none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	vs = slices.Clone(vs)
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2]
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
}

// column is one metric in a table.
type column struct{ key, title, format string }

var quicColumns = []column{
	{"gbit_per_s", "Gbit/s", "%.2f"},
	{"cpu_s_per_gb", "CPU s/GB", "%.2f"},
	{"client_cpu_s_per_gb", "client s/GB", "%.2f"},
	{"server_cpu_s_per_gb", "server s/GB", "%.2f"},
	{"handshakes_per_s", "handshakes/s", "%.0f"},
	{"client_cpu_ms_per_handshake", "client ms/hs", "%.2f"},
	{"server_cpu_ms_per_handshake", "server ms/hs", "%.2f"},
}

var h3Columns = []column{
	{"req_per_s", "req/s", "%.0f"},
	{"server_cpu_us_per_req", "server CPU us/req", "%.1f"},
	{"server_allocs_per_req", "server allocs/req", "%.1f"},
	{"client_cpu_us_per_req", "client CPU us/req", "%.1f"},
	{"client_allocs_per_req", "client allocs/req", "%.1f"},
}

// printTables writes one table per test of the medians.
func printTables(w io.Writer, o options, ms []result) {
	streams := o.streams
	for _, t := range []struct {
		test, heading string
		cols          []column
		defStreams    int
	}{
		{"quic", "QUIC bulk (server to client, %d MiB per stream) and handshakes", quicColumns, 1},
		{"h3", "HTTP/3 GET, %d-byte body", h3Columns, 16},
	} {
		if !slices.ContainsFunc(ms, func(r result) bool { return r.Test == t.test }) {
			continue
		}
		if o.streams == 0 {
			streams = t.defStreams
		}
		arg := int64(o.body)
		if t.test == "quic" {
			arg = o.size >> 20
		}
		fmt.Fprintf(w, "\n"+t.heading+"; %d conn(s) x %d stream(s), median of %d runs of %v\n",
			arg, o.conns, streams, o.runs, o.duration)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "client\tserver\t")
		for _, c := range t.cols {
			fmt.Fprintf(tw, "%s\t", c.title)
		}
		fmt.Fprintln(tw)
		for _, r := range ms {
			if r.Test != t.test {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t", r.Client, r.Server)
			for _, c := range t.cols {
				fmt.Fprintf(tw, c.format+"\t", r.Metrics[c.key])
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
}
