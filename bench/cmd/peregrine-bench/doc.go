// Command peregrine-bench measures Peregrine's QUIC and HTTP/3 against quic-go
// v0.64.1 on loopback, side by side in one run, and prints a table of medians.
//
// Usage:
//
//	peregrine-bench [-what quic|h3|all] [-duration 3s] [-runs 3] [-size 64MiB]
//	    [-streams N] [-conns N] [-body 1024] [-pairs all|same] [-json] [-profile dir]
//
// The QUIC comparison transfers -size bytes per stream from server to client
// on -streams streams (default 1) of each of -conns connections (default 1),
// in rounds until -duration has passed, then dials and closes connections one
// after another for -duration. The HTTP/3 comparison sends GETs for a -body
// byte response from -streams goroutines (default 16) per connection, on
// -conns connections, for -duration. Each comparison runs -runs times with the
// stacks interleaved, and the table shows the median of each figure.
//
// Every server runs in a child process (the binary re-executed with -serve),
// which reports its own getrusage CPU time and allocation count before and
// after the measured interval; client figures are this process's over the same
// interval. With -profile, each server child writes a CPU profile of its whole
// life (setup, warm-up and measurement) to the directory, named after the test,
// the server, the client and the run. Servers are paired with both stacks'
// clients (-pairs all), so that ours and quic-go's servers are also compared
// with an equal client.
//
// # Limitations
//
//   - The figures come from loopback on one host, so they show CPU cost per
//     byte and per request, not behaviour under delay or loss; package bench
//     lists what the underlying loops do not measure.
//   - quic-go is pinned at v0.64.1; comparing with another release means
//     editing bench/go.mod.
//   - Server and client share the machine's cores, so figures from a busy
//     machine are noisy; -runs takes the median but does not remove the noise.
package main
