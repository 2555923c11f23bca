//go:build linux

package udpio

import "net"

// newBatchConn returns nil until the recvmmsg/sendmmsg path lands; New then
// uses the portable one.
func newBatchConn(_ *net.UDPConn, _ Options) (Conn, error) {
	return nil, nil
}
