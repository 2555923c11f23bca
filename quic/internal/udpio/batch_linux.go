//go:build linux

package udpio

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// batchConn is the Linux path: recvmmsg and sendmmsg on the socket of a
// *net.UDPConn, with GSO and GRO when the kernel has them.
type batchConn struct {
	uc   *net.UDPConn
	rc   syscall.RawConn
	log  *slog.Logger
	v6   bool // the socket is AF_INET6 (possibly dual-stack)
	gro  bool
	ecn  bool
	gso  atomic.Bool // cleared for good if the device refuses GSO
	bufs sockBufs    // socket buffer sizes New obtained

	r readState
	w writeState
}

// newBatchConn probes the socket of uc and returns the batch path for it, or
// nil if the socket is not an IP socket.
func newBatchConn(uc *net.UDPConn, opts Options) (*batchConn, error) {
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("udpio: %w", err)
	}
	c := &batchConn{uc: uc, rc: rc, log: opts.Logger}
	var domain int
	var gsoOK, groOK, ecnOK bool
	var sockErr error
	err = rc.Control(func(fd uintptr) {
		domain, sockErr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
		if !opts.DisableGSO {
			// Reading UDP_SEGMENT fails with ENOPROTOOPT on kernels
			// without UDP GSO (before 4.18).
			_, e := unix.GetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_SEGMENT)
			gsoOK = e == nil
		}
		if !opts.DisableGRO {
			e := unix.SetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_GRO, 1)
			groOK = e == nil
		}
		if !opts.DisableECN {
			ecnOK = enableECN(int(fd), domain)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("udpio: %w", err)
	}
	if sockErr != nil {
		return nil, fmt.Errorf("udpio: reading SO_DOMAIN: %w", sockErr)
	}
	switch domain {
	case unix.AF_INET:
	case unix.AF_INET6:
		c.v6 = true
	default:
		return nil, nil // not an IP socket: let the portable path cope
	}
	c.gso.Store(gsoOK)
	c.gro = groOK
	c.ecn = ecnOK
	c.r.init(c, opts.BatchSize)
	c.w.init(c, opts.BatchSize)
	return c, nil
}

func (c *batchConn) Capabilities() Capabilities {
	return Capabilities{
		Batch:       true,
		GSO:         c.gso.Load(),
		GRO:         c.gro,
		ECN:         c.ecn,
		MaxSegments: MaxSegments,
		ReadBuffer:  c.bufs.read,
		WriteBuffer: c.bufs.write,
	}
}

// enableECN asks the kernel to report the TOS byte or traffic class of every
// received datagram. A dual-stack socket needs both options, since IPv4
// peers arrive through the IPv4 path.
func enableECN(fd, domain int) bool {
	switch domain {
	case unix.AF_INET:
		return unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVTOS, 1) == nil
	case unix.AF_INET6:
		if unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVTCLASS, 1) != nil {
			return false
		}
		// This fails on an IPv6-only socket, which has no IPv4 peers.
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVTOS, 1)
		return true
	}
	return false
}

func (c *batchConn) LocalAddr() net.Addr        { return c.uc.LocalAddr() }
func (c *batchConn) PacketConn() net.PacketConn { return c.uc }
func (c *batchConn) Close() error               { return c.uc.Close() }

// ReadBatch implements Conn.
func (c *batchConn) ReadBatch(msgs []Message) (int, error) {
	return c.r.read(msgs)
}

// WriteBatch implements Conn.
func (c *batchConn) WriteBatch(msgs []Message) (int, error) {
	return c.w.write(msgs)
}

// sysErr names the system call an errno came from, as the net package does
// for its own calls; errors.Is(err, syscall.EIO) and the like still work.
func sysErr(op string, errno syscall.Errno) error {
	return os.NewSyscallError(op, errno)
}
