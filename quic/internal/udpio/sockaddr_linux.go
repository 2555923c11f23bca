//go:build linux

package udpio

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// decodeSockaddr reads the source address the kernel wrote into sa, which may
// hold a sockaddr_in or a sockaddr_in6. IPv4-mapped IPv6 addresses are
// unmapped. The scope (zone) of a link-local IPv6 address is dropped.
func decodeSockaddr(sa *unix.RawSockaddrInet6) netip.AddrPort {
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), portOf(&sa4.Port))
	case unix.AF_INET6:
		ip := netip.AddrFrom16(sa.Addr).Unmap()
		return netip.AddrPortFrom(ip, portOf(&sa.Port))
	}
	return netip.AddrPort{}
}

// encodeSockaddr writes ap into sa for a socket of the given family and
// returns the length to pass to the kernel, or 0 if the socket cannot reach
// ap (an IPv6 peer on an IPv4 socket).
func encodeSockaddr(sa *unix.RawSockaddrInet6, ap netip.AddrPort, v6 bool) uint32 {
	ip := ap.Addr()
	if v6 {
		*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: ip.As16()}
		setPort(&sa.Port, ap.Port())
		return unix.SizeofSockaddrInet6
	}
	ip = ip.Unmap()
	if !ip.Is4() {
		return 0
	}
	sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
	*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: ip.As4()}
	setPort(&sa4.Port, ap.Port())
	return unix.SizeofSockaddrInet4
}

// portOf reads a port stored in network byte order.
func portOf(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// setPort stores a port in network byte order.
func setPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

// newHeaders returns size message headers for recvmmsg or sendmmsg, each
// pointing at its own address slot and its own single-entry iovec; callers
// fill in the iovec and the address lengths per call.
func newHeaders(size int) ([]unix.Mmsghdr, []unix.Iovec, []unix.RawSockaddrInet6) {
	hdrs := make([]unix.Mmsghdr, size)
	iovs := make([]unix.Iovec, size)
	names := make([]unix.RawSockaddrInet6, size)
	for i := range hdrs {
		h := &hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&names[i]))
		h.Iov = &iovs[i]
		h.SetIovlen(1)
	}
	return hdrs, iovs, names
}
