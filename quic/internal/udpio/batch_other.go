//go:build !linux

package udpio

import "net"

// batchConn stands in for the Linux type; it is never created here.
type batchConn struct {
	Conn
	bufs sockBufs
}

// newBatchConn reports that this platform has no batch path; New then uses
// the portable one.
func newBatchConn(_ *net.UDPConn, _ Options) (*batchConn, error) {
	return nil, nil
}
