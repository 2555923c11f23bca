// Package netsim is an in-memory datagram network for tests.
//
// A Network holds Endpoints, each a net.PacketConn with a fake UDP address
// (10.0.0.1:443, 10.0.0.2:443, ... unless the test picks one) that never
// touches a real socket. Every ordered pair of addresses has a Link that
// carries datagrams in one direction and applies an Impairment: a fixed delay
// plus jitter, random loss (independent or in bursts), reordering,
// duplication, corruption (one byte flipped), a bandwidth limit with a bounded
// drop-tail queue, and ECN marking (random or above a queue threshold) or
// bleaching. A filter function can drop chosen datagrams. Each Link draws its
// random numbers from its own math/rand/v2 PCG source seeded from
// Config.Seed and the two addresses, so a test that sends the same datagrams
// sees the same fate for them in every run. Impairments may be changed while
// datagrams flow, for example to black-hole a path for a while.
//
// The network uses only the standard library's timers, channels and mutexes,
// so it runs in real time and equally under testing/synctest with fake time:
// create the Network inside the synctest bubble, and a reader blocked in
// ReadFrom counts as durably blocked. A Network must be used wholly inside one
// bubble or wholly outside any, since its timers and channels belong to the
// bubble that made them. Each Link keeps its datagrams in flight
// in a queue ordered by arrival time and runs one timer for the earliest, so
// datagrams due at the same instant arrive in the order they were sent.
//
// Every Link counts the datagrams sent into it, delivered, dropped (with the
// drops from random loss and from a full queue also counted apart),
// duplicated, corrupted, reordered and marked CE; see LinkStats.
//
// # Limitations
//
//   - No ICMP: a datagram to an address with no endpoint, or beyond the MTU of
//     Config, vanishes or fails the write; nothing like "port unreachable"
//     ever comes back.
//   - No IP header beyond the ECN codepoint, so no TTL, DSCP or
//     fragmentation; ECN goes through only the ...ECN methods, and the plain
//     net.PacketConn methods send Not-ECT.
//   - Jitter is uniform in [0, Jitter) and independent per datagram; there
//     is no heavy-tailed or correlated delay model. Bursty loss is the
//     two-state Gilbert model, not the four-parameter Gilbert-Elliott one.
//   - Bandwidth is a single serializer per Link; Links do not share a
//     bottleneck, so two flows to one receiver do not compete.
//   - Endpoint.Rebind moves one Endpoint; there is no NAT box that maps many
//     private addresses, times out idle mappings or filters by peer.
package netsim
