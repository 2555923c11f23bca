// Package bench measures Peregrine's QUIC transport and HTTP/3 against
// quic-go v0.64.1 on loopback, side by side in one run. It is its own module
// so that the root module never depends on another QUIC stack.
//
// The package holds what the benchmark binary (cmd/peregrine-bench) and the
// go test benchmarks share: a generated certificate (Cert), a QUIC bulk server
// and client for each stack (ListenQUIC, NewQUICClient; the client asks for a
// length on a new stream and the server sends that many bytes), an HTTP/3
// server answering every GET with a fixed body (ListenH3) and each stack's
// HTTP/3 client (NewH3Client), and the loops that drive them for a duration
// (RunBulk, RunHandshakes, RunGets). Usage reads the process's CPU time
// (getrusage, user plus system) and heap allocation count.
//
// # How CPU is attributed
//
// The go test benchmarks run client and server in the test process, so their
// cpu-us/op, cpu-s/GB and allocs/op count both ends of the connection.
//
// The binary runs every server in a child process: it re-executes itself with
// -serve, and the child reports its own getrusage CPU time and allocation
// count when the parent asks on a pipe, just before and just after the
// measured interval. The server's figures are therefore the server's alone,
// with no guessing from a baseline; the client's figures are the parent's
// getrusage over the same interval (the parent runs nothing but the client
// during it). Both processes share the machine's cores, as a client and a
// server on one host do.
//
// # Limitations
//
//   - Loopback only: there is no delay, loss or reordering, so congestion
//     control and loss recovery are barely exercised; the figures are CPU
//     cost per byte and per request, not wide-area behaviour.
//   - The bulk benchmark sends in one direction (server to client); upload
//     throughput is not measured.
//   - Handshakes are measured one after another on one client socket, not
//     concurrently, and without session resumption or 0-RTT (we have neither).
//   - HTTP/3 requests are GETs with no request body; uploads, large
//     responses and QPACK dynamic-table use are not measured.
package bench
