package udpio

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
)

// MaxSegments is the largest number of datagrams a caller may pack into one
// GSO buffer (Message.SegmentSize set). The Linux kernel refuses more
// (UDP_MAX_SEGMENTS) on the kernels Peregrine supports.
const MaxSegments = 64

// MaxBufferSize is the largest number of bytes one Message may carry. It is the
// largest UDP payload that fits in an IPv4 packet (65535 minus a 20-byte IP
// header and an 8-byte UDP header), which bounds a GSO buffer on either family.
// A read buffer of this size can hold anything the kernel coalesces with GRO.
const MaxBufferSize = 65507

// SegmentsFor returns how many datagrams of segmentSize bytes fit in one GSO
// buffer: at most MaxSegments and at most MaxBufferSize bytes in all. It
// returns 0 for a size that is not positive or exceeds MaxBufferSize.
func SegmentsFor(segmentSize int) int {
	if segmentSize <= 0 || segmentSize > MaxBufferSize {
		return 0
	}
	return min(MaxSegments, MaxBufferSize/segmentSize)
}

// DefaultBatchSize is the number of messages one system call moves when
// Options.BatchSize is zero.
const DefaultBatchSize = 64

// Environment variables that force slower paths, for debugging and for machines
// whose drivers misbehave. A value of "1" or "true" turns the feature off.
const (
	// EnvDisableGSO turns off UDP generic segmentation offload on send; GSO
	// buffers are then split into single datagrams in software.
	EnvDisableGSO = "PEREGRINE_DISABLE_GSO"
	// EnvDisableGRO turns off UDP generic receive offload.
	EnvDisableGRO = "PEREGRINE_DISABLE_GRO"
	// EnvDisableECN turns off reading and setting ECN codepoints.
	EnvDisableECN = "PEREGRINE_DISABLE_ECN"
	// EnvDisableBatch forces the portable path: one ReadFrom or WriteTo per
	// datagram, no GSO and no GRO.
	EnvDisableBatch = "PEREGRINE_DISABLE_BATCH"
)

// ECN is the Explicit Congestion Notification codepoint in the IP header of a
// datagram (RFC 3168, Section 5): the low two bits of the IPv4 TOS byte or the
// IPv6 traffic class.
type ECN uint8

// The ECN codepoints.
const (
	ECNNotECT ECN = 0b00 // not ECN-capable
	ECNECT1   ECN = 0b01 // ECN-capable, ECT(1)
	ECNECT0   ECN = 0b10 // ECN-capable, ECT(0)
	ECNCE     ECN = 0b11 // congestion experienced
)

// String returns the codepoint's name as RFC 3168 writes it.
func (e ECN) String() string {
	switch e {
	case ECNNotECT:
		return "Not-ECT"
	case ECNECT1:
		return "ECT(1)"
	case ECNECT0:
		return "ECT(0)"
	case ECNCE:
		return "CE"
	}
	return "invalid"
}

// A Message is one entry of a batch: a buffer owned by the caller, the number of
// valid bytes in it, the peer address and the segment size.
//
// For WriteBatch, Buf[:N] is sent to Addr. If SegmentSize is positive and less
// than N, Buf[:N] holds several datagrams of SegmentSize bytes each, the last one
// possibly shorter (GSO); at most MaxSegments of them and at most MaxBufferSize
// bytes in all. Without kernel GSO the buffer is split in software, so callers
// never need to check Capabilities before building such a buffer.
//
// For ReadBatch, the datagram is read into Buf (its length, not its capacity,
// is the room offered); ReadBatch sets N, Addr and SegmentSize. A positive
// SegmentSize below N means the kernel coalesced several datagrams from Addr
// (GRO): use NumSegments and Segment to take them apart. When GRO is active,
// buffers shorter than MaxBufferSize may lose coalesced datagrams to truncation.
//
// A Message is a plain value; it is not safe for concurrent use.
type Message struct {
	// Buf is the packet buffer. The caller owns it; udpio keeps no reference
	// that outlives the call it is passed to.
	Buf []byte
	// N is the number of valid bytes in Buf.
	N int
	// Addr is the peer: the destination on write, the source on read. IPv4
	// peers of a dual-stack socket are reported as IPv4, not as IPv4-mapped
	// IPv6, and either form is accepted on write.
	Addr netip.AddrPort
	// SegmentSize is the size of each datagram in a GSO or GRO buffer, or 0
	// when Buf[:N] is a single datagram.
	SegmentSize int
	// ECN is the codepoint to set on every datagram of the message, or the
	// one received (for a GRO buffer, the kernel coalesces only datagrams
	// with the same codepoint). It is ignored on write and Not-ECT on read
	// unless Capabilities.ECN is true.
	ECN ECN
}

// NumSegments reports how many datagrams Buf[:N] holds. An empty message is
// one empty datagram.
func (m *Message) NumSegments() int {
	if m.SegmentSize <= 0 || m.SegmentSize >= m.N {
		return 1
	}
	return (m.N + m.SegmentSize - 1) / m.SegmentSize
}

// Segment returns datagram i of Buf[:N], for 0 <= i < NumSegments(). The result
// aliases Buf.
func (m *Message) Segment(i int) []byte {
	if m.SegmentSize <= 0 || m.SegmentSize >= m.N {
		return m.Buf[:m.N]
	}
	start := i * m.SegmentSize
	end := min(start+m.SegmentSize, m.N)
	return m.Buf[start:end]
}

// Capabilities reports which kernel features a Conn uses. It is a snapshot
// returned by value.
type Capabilities struct {
	// Batch is true when several datagrams move per system call
	// (recvmmsg and sendmmsg).
	Batch bool
	// GSO is true when the kernel splits GSO buffers (UDP_SEGMENT). It can turn
	// false while the Conn runs if the device refuses segmentation offload.
	GSO bool
	// GRO is true when the kernel may coalesce received datagrams (UDP_GRO).
	GRO bool
	// ECN is true when Message.ECN is set on send and reported on receive.
	ECN bool
	// MaxSegments is the largest number of datagrams per GSO buffer that
	// WriteBatch accepts. It is MaxSegments whether or not GSO is active,
	// because the portable path splits such buffers in software.
	MaxSegments int
	// ReadBuffer and WriteBuffer are the socket's receive and send buffer
	// sizes (SO_RCVBUF, SO_SNDBUF) as the kernel reported them after New
	// raised them; Linux reports twice the usable size. They are 0 when
	// unknown: for a connection that is not a *net.UDPConn, or on a platform
	// where they cannot be read back.
	ReadBuffer, WriteBuffer int
}

// Options configures New. The zero value enables every feature the kernel
// supports. New copies it; later changes have no effect.
type Options struct {
	// DisableBatch forces the portable path (one datagram per system call, no
	// GSO, no GRO). The environment variable PEREGRINE_DISABLE_BATCH=1 does
	// the same.
	DisableBatch bool
	// DisableGSO turns off segmentation offload on send. The environment
	// variable PEREGRINE_DISABLE_GSO=1 does the same.
	DisableGSO bool
	// DisableGRO turns off receive offload. The environment variable
	// PEREGRINE_DISABLE_GRO=1 does the same.
	DisableGRO bool
	// DisableECN turns off ECN codepoints: none is set on send and every
	// datagram reads as Not-ECT. The environment variable
	// PEREGRINE_DISABLE_ECN=1 does the same.
	DisableECN bool
	// BatchSize is the number of messages one system call moves at most.
	// Zero means DefaultBatchSize. Longer batches are sent in several calls;
	// ReadBatch fills at most BatchSize messages per call.
	BatchSize int
	// ReadBuffer is the receive buffer size (SO_RCVBUF) New asks for on a
	// *net.UDPConn. Zero means DefaultSocketBuffer; a negative value leaves
	// the kernel's default. The kernel may grant less (on Linux, at most
	// net.core.rmem_max unless the process has CAP_NET_ADMIN); a buffer
	// already bigger is not shrunk. Capabilities reports what was obtained.
	ReadBuffer int
	// WriteBuffer is the send buffer size (SO_SNDBUF), with the same rules
	// as ReadBuffer (net.core.wmem_max on Linux).
	WriteBuffer int
	// Logger receives rare events such as GSO being turned off at run time.
	// Nil means slog.Default().
	Logger *slog.Logger
}

// A Conn moves batches of datagrams over a net.PacketConn.
//
// ReadBatch and WriteBatch may be called concurrently with each other and with
// Close. Concurrent calls of the same method are serialized, since each
// direction owns one set of pre-allocated system-call buffers.
type Conn interface {
	// ReadBatch blocks until at least one datagram arrives, then fills up to
	// len(msgs) messages (bounded by the batch size) without blocking further,
	// and returns how many it filled. The read deadline of the underlying
	// connection applies.
	ReadBatch(msgs []Message) (n int, err error)

	// WriteBatch sends every message and returns how many were sent in full.
	// If err is not nil, msgs[n] is the message that failed; the caller may
	// drop it and call WriteBatch again with msgs[n+1:]. A message that was
	// split in software counts as sent only when all its datagrams were.
	WriteBatch(msgs []Message) (n int, err error)

	// Capabilities reports what is active now.
	Capabilities() Capabilities

	// LocalAddr returns the local address of the underlying connection.
	LocalAddr() net.Addr

	// PacketConn returns the connection New was given.
	PacketConn() net.PacketConn

	// Close closes the underlying connection, unblocking readers with an
	// error that matches net.ErrClosed.
	Close() error
}

// errBadMessage is returned for a message that cannot be sent as given.
var errBadMessage = errors.New("udpio: invalid message")

// New wraps pc. For a *net.UDPConn on Linux it uses recvmmsg and sendmmsg, and
// GSO and GRO where a probe shows the kernel supports them; any other
// connection, or any platform, gets the portable path. For a *net.UDPConn it
// also raises the socket's buffers (see Options.ReadBuffer). New never fails
// for a usable pc; an error means the socket could not be inspected.
func New(pc net.PacketConn, opts Options) (Conn, error) {
	opts = opts.withEnv()
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	var bufs sockBufs
	uc, isUDP := pc.(*net.UDPConn)
	if isUDP {
		bufs = raiseBuffers(uc, opts)
	}
	if isUDP && !opts.DisableBatch {
		c, err := newBatchConn(uc, opts)
		if err != nil {
			return nil, err
		}
		if c != nil {
			c.bufs = bufs
			return c, nil
		}
	}
	c := newPortableConn(pc, opts)
	c.bufs = bufs
	return c, nil
}

// withEnv returns o with the environment's switches applied.
func (o Options) withEnv() Options {
	o.DisableBatch = o.DisableBatch || envSet(EnvDisableBatch)
	o.DisableGSO = o.DisableGSO || envSet(EnvDisableGSO)
	o.DisableGRO = o.DisableGRO || envSet(EnvDisableGRO)
	o.DisableECN = o.DisableECN || envSet(EnvDisableECN)
	return o
}

func envSet(name string) bool {
	switch os.Getenv(name) {
	case "1", "true", "TRUE", "yes":
		return true
	}
	return false
}

// checkWrite validates a message before it is handed to the kernel or split.
func checkWrite(m *Message) error {
	if m.N < 0 || m.N > len(m.Buf) || m.N > MaxBufferSize || !m.Addr.IsValid() {
		return errBadMessage
	}
	if m.SegmentSize < 0 {
		return errBadMessage
	}
	if m.SegmentSize > 0 && m.SegmentSize < m.N {
		if (m.N+m.SegmentSize-1)/m.SegmentSize > MaxSegments {
			return errBadMessage
		}
	}
	return nil
}
