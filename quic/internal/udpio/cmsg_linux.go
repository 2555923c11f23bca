//go:build linux

package udpio

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ctrlLenWrite is the control-message room per sent header: UDP_SEGMENT
// (a 16-bit size) and an ECN codepoint (IP_TOS or IPV6_TCLASS, an int).
var ctrlLenWrite = unix.CmsgSpace(2) + unix.CmsgSpace(4)

// ctrlLenRead is the control-message room per received datagram: the UDP_GRO
// segment size, the TOS or traffic class, and room for one more.
var ctrlLenRead = unix.CmsgSpace(4) * 4

// putCmsg writes a control message with the given data length at the start of
// b and returns its data area and the bytes it takes, padding included.
func putCmsg(b []byte, level, typ int32, dataLen int) (data []byte, n int) {
	cm := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	cm.Level = level
	cm.Type = typ
	cm.SetLen(unix.CmsgLen(dataLen))
	hdr := unix.CmsgLen(0)
	return b[hdr : hdr+dataLen], unix.CmsgSpace(dataLen)
}

// buildControl writes the control messages for one header into b: a GSO
// segment size if segSize is positive, and the ECN codepoint if it is not
// Not-ECT. It returns the bytes used.
func buildControl(b []byte, segSize int, ecn ECN, v4dst bool) int {
	n := 0
	if segSize > 0 {
		data, used := putCmsg(b[n:], unix.SOL_UDP, unix.UDP_SEGMENT, 2)
		binary.NativeEndian.PutUint16(data, uint16(segSize))
		n += used
	}
	if ecn != ECNNotECT {
		// An IPv4 peer, even through an IPv6 socket, takes IP_TOS: the
		// kernel sends IPv4-mapped traffic down the IPv4 path.
		level, typ := int32(unix.IPPROTO_IPV6), int32(unix.IPV6_TCLASS)
		if v4dst {
			level, typ = unix.IPPROTO_IP, unix.IP_TOS
		}
		data, used := putCmsg(b[n:], level, typ, 4)
		binary.NativeEndian.PutUint32(data, uint32(ecn))
		n += used
	}
	return n
}

// parseControl finds the GRO segment size and the ECN codepoint in the
// control messages of one received datagram. Absent values are 0.
func parseControl(ctrl []byte) (segSize int, ecn ECN) {
	hdrLen := unix.CmsgLen(0)
	for len(ctrl) >= hdrLen {
		cm := (*unix.Cmsghdr)(unsafe.Pointer(&ctrl[0]))
		l := int(cm.Len)
		if l < hdrLen || l > len(ctrl) {
			return segSize, ecn
		}
		data := ctrl[hdrLen:l]
		switch {
		case cm.Level == unix.SOL_UDP && cm.Type == unix.UDP_GRO && len(data) >= 4:
			segSize = int(binary.NativeEndian.Uint32(data))
		case cm.Level == unix.IPPROTO_IP && cm.Type == unix.IP_TOS && len(data) >= 1:
			// IP_TOS arrives as a single byte.
			ecn = ECN(data[0] & 0b11)
		case cm.Level == unix.IPPROTO_IPV6 && cm.Type == unix.IPV6_TCLASS && len(data) >= 4:
			ecn = ECN(binary.NativeEndian.Uint32(data) & 0b11)
		}
		next := unix.CmsgSpace(l - hdrLen)
		if next > len(ctrl) {
			break
		}
		ctrl = ctrl[next:]
	}
	return segSize, ecn
}
