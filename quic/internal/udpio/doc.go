// Package udpio moves batches of UDP datagrams between a QUIC endpoint and the
// kernel.
//
// A Conn wraps a net.PacketConn. On Linux, for a *net.UDPConn, it reads with
// recvmmsg and writes with sendmmsg through the socket's syscall.RawConn, so
// the Go netpoller parks a blocked caller instead of a busy loop. When a probe
// at set-up shows the kernel supports them, it also uses UDP generic
// segmentation offload (UDP_SEGMENT: one buffer of equal-size datagrams, split
// by the kernel or the device) and generic receive offload (UDP_GRO: the kernel
// hands up several datagrams of one flow in one buffer). On this machine GSO
// with GRO moves about ten times the bytes per CPU second of one datagram per
// system call; batching system calls alone gains little.
//
// Every other connection (an in-memory network, another operating system, or
// any connection when Options.DisableBatch or PEREGRINE_DISABLE_BATCH=1 is set)
// takes the portable path: one ReadFrom or WriteTo per datagram, with GSO
// buffers split in software, so callers build the same batches everywhere.
//
// The Linux path also sets the ECN codepoint of each outgoing message (IP_TOS
// or IPV6_TCLASS control messages) and reports the codepoint of each received
// one (IP_RECVTOS, IPV6_RECVTCLASS), so the endpoint can validate ECN and
// react to CE marks (RFC 9000, Section 13.4; RFC 9002, Section 7.1).
//
// If the kernel rejects a GSO send with EIO (a device without checksum
// offload), GSO is turned off for that socket, the event is logged, and the
// buffer is sent again as single datagrams.
//
// New also raises the socket's receive and send buffers of a *net.UDPConn to
// DefaultSocketBuffer (7 MiB) or the size Options asks for: the kernel default
// of about 208 KiB overflows under the bursts a fast QUIC flow sends. Linux caps
// the request at net.core.rmem_max and net.core.wmem_max; with CAP_NET_ADMIN
// the cap is bypassed (SO_RCVBUFFORCE, SO_SNDBUFFORCE). The sizes obtained are
// logged at Debug and reported in Capabilities.
//
// Steady-state reads and writes allocate nothing: message headers, I/O vectors,
// socket addresses and control-message buffers are allocated once per Conn, and
// callers own the packet buffers.
//
// # Limitations
//
//   - ECN works only on the Linux path and over connections that carry it
//     themselves (netsim); otherwise the portable path sets no codepoint and
//     reads every datagram as Not-ECT. If a kernel refuses the ECN
//     control message, the write fails; there is no run-time fallback as
//     for GSO, only Options.DisableECN and PEREGRINE_DISABLE_ECN=1.
//   - No local-address selection per packet (IP_PKTINFO): a socket bound to a
//     wildcard address replies from whatever address the routing table picks.
//   - The batch path exists only on Linux; macOS and Windows use the portable
//     path (no sendmsg_x, no WSASendMsg with UDP_SEND_MSG_SIZE).
//   - The portable path's ReadBatch returns one datagram per call.
//   - GSO is probed once; if the route changes to a device that refuses GSO
//     only the EIO fallback notices, and GSO is never turned back on.
//   - MaxSegments is the conservative 64 even on kernels that accept 128.
//   - With GRO active, a read buffer shorter than MaxBufferSize loses the
//     datagrams of a coalesced batch that do not fit; whole ones are kept,
//     the cut one is dropped, and nothing counts the loss.
//   - The zone of a link-local IPv6 peer (its scope ID) is dropped on read
//     and cannot be set on write.
//   - Read buffers are not pooled here; the caller owns and recycles them.
//   - Socket buffer sizes are read back only on Linux; elsewhere they are
//     requested but Capabilities reports them as unknown (0). An unprivileged
//     process on Linux gets at most the sysctl limits (often 208 KiB or 4 MiB),
//     and nothing warns beyond the Debug log.
package udpio
