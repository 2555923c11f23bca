//go:build linux

package udpio

import (
	"net"

	"golang.org/x/sys/unix"
)

// setBuffers asks for rd and wr bytes (0: leave that one alone) and returns the
// sizes the kernel then reports.
//
// Linux caps SetReadBuffer and SetWriteBuffer at net.core.rmem_max and
// net.core.wmem_max, and reports twice the size it granted (the other half
// pays for its bookkeeping). When the cap bites, SO_RCVBUFFORCE and
// SO_SNDBUFFORCE ignore it for a process with CAP_NET_ADMIN; for any other
// process they fail with EPERM, which is ignored. A buffer already at least as
// big as asked is never shrunk.
func setBuffers(uc *net.UDPConn, rd, wr int) sockBufs {
	rc, err := uc.SyscallConn()
	if err != nil {
		return sockBufs{}
	}
	var got sockBufs
	_ = rc.Control(func(fd uintptr) {
		got.read = raiseOne(int(fd), unix.SO_RCVBUF, unix.SO_RCVBUFFORCE, rd)
		got.write = raiseOne(int(fd), unix.SO_SNDBUF, unix.SO_SNDBUFFORCE, wr)
	})
	return got
}

// raiseOne raises one buffer of fd to want bytes: first with opt (what
// SetReadBuffer and SetWriteBuffer use, capped by the sysctl), then with force
// if that fell short. It returns the size the kernel reports at the end, or 0
// if it cannot be read.
func raiseOne(fd, opt, force, want int) int {
	cur, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, opt)
	if err != nil {
		return 0
	}
	if want <= 0 || cur >= 2*want {
		return cur
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, want)
	if cur, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, opt); err != nil {
		return 0
	}
	if cur < 2*want {
		// Without CAP_NET_ADMIN this fails with EPERM: keep what the capped
		// call gave.
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, force, want) != nil {
			return cur
		}
		if cur, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, opt); err != nil {
			return 0
		}
	}
	return cur
}
