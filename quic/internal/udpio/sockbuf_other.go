//go:build !linux

package udpio

import "net"

// setBuffers asks for rd and wr bytes (0: leave that one alone) through the
// portable API. This platform offers no portable way to read the result back,
// so the sizes reported are unknown (0).
func setBuffers(uc *net.UDPConn, rd, wr int) sockBufs {
	if rd > 0 {
		_ = uc.SetReadBuffer(rd)
	}
	if wr > 0 {
		_ = uc.SetWriteBuffer(wr)
	}
	return sockBufs{}
}
