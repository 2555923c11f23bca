package udpio

import (
	"context"
	"log/slog"
	"net"
)

// DefaultSocketBuffer is the size New asks the kernel for, for both the
// receive and the send buffer of a *net.UDPConn, when Options.ReadBuffer or
// Options.WriteBuffer is zero. A QUIC flow at a few hundred Mbit/s delivers
// several MiB per round trip in bursts; the usual kernel default of 208 KiB
// overflows and drops whole batches. quic-go asks for the same 7 MiB.
const DefaultSocketBuffer = 7 << 20

// sockBufs holds the buffer sizes the kernel reports for a socket after New
// asked for bigger ones; 0 means unknown.
type sockBufs struct {
	read, write int
}

// wantBuffer returns the size to ask for given an Options field: the default
// for 0, and 0 (leave the kernel's) for a negative value.
func wantBuffer(opt int) int {
	switch {
	case opt == 0:
		return DefaultSocketBuffer
	case opt < 0:
		return 0
	}
	return opt
}

// raiseBuffers asks the kernel for the receive and send buffer sizes opts
// names, logs at Debug what it obtained and returns that. It never fails:
// a kernel that grants less only makes loss under bursts more likely.
func raiseBuffers(uc *net.UDPConn, opts Options) sockBufs {
	rd, wr := wantBuffer(opts.ReadBuffer), wantBuffer(opts.WriteBuffer)
	got := setBuffers(uc, rd, wr)
	if opts.Logger.Enabled(context.Background(), slog.LevelDebug) {
		opts.Logger.Debug("udpio: socket buffers",
			slog.Int("read_requested", rd), slog.Int("read_obtained", got.read),
			slog.Int("write_requested", wr), slog.Int("write_obtained", got.write))
	}
	return got
}
