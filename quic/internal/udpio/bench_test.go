package udpio

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkLoopback moves 44 datagrams of 1452 bytes (one 64 KB GSO buffer's
// worth) per iteration from one loopback socket to another and reads them
// back in the same goroutine, so the figure is the CPU cost of both sides. It
// reports Gbit/s of datagram payload.
func BenchmarkLoopback(b *testing.B) {
	const seg, count = 1452, 44
	for _, md := range modes {
		b.Run(md.name, func(b *testing.B) {
			sc := newConn(b, listen(b, "udp4", "127.0.0.1:0"), md.opts)
			rc := newConn(b, listen(b, "udp4", "127.0.0.1:0"), md.opts)
			dst := rc.LocalAddr().(*net.UDPAddr).AddrPort()
			out := sendBatch(md.opts.DisableGSO || md.opts.DisableBatch, seg, count, dst)
			in := make([]Message, count)
			for i := range in {
				in[i].Buf = make([]byte, MaxBufferSize)
			}
			// One deadline for the whole run: a lost datagram fails the
			// benchmark instead of hanging it.
			_ = rc.PacketConn().SetReadDeadline(time.Now().Add(5 * time.Minute))

			b.SetBytes(seg * count)
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if _, err := sc.WriteBatch(out); err != nil {
					b.Fatal(err)
				}
				for got := 0; got < count; {
					n, err := rc.ReadBatch(in)
					if err != nil {
						b.Fatal(err)
					}
					for i := range in[:n] {
						got += in[i].NumSegments()
					}
				}
			}
			sec := time.Since(start).Seconds()
			b.ReportMetric(float64(b.N)*seg*count*8/sec/1e9, "Gbit/s")
		})
	}
}

// sendBatch returns count datagrams of seg bytes to dst, either as single
// messages or as one GSO buffer.
func sendBatch(single bool, seg, count int, dst netip.AddrPort) []Message {
	buf := make([]byte, seg*count)
	payload(buf, 1)
	if !single {
		return []Message{{Buf: buf, N: len(buf), Addr: dst, SegmentSize: seg}}
	}
	out := make([]Message, count)
	for i := range out {
		out[i] = Message{Buf: buf[i*seg : (i+1)*seg], N: seg, Addr: dst}
	}
	return out
}
