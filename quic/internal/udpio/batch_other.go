//go:build !linux

package udpio

import "net"

// newBatchConn reports that this platform has no batch path; New then uses
// the portable one.
func newBatchConn(_ *net.UDPConn, _ Options) (Conn, error) {
	return nil, nil
}
