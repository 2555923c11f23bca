package udpio

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"
)

// mode is one way of building a Conn in tests.
type mode struct {
	name string
	opts Options
}

var modes = []mode{
	{"portable", Options{DisableBatch: true}},
	{"mmsg", Options{DisableGSO: true, DisableGRO: true}},
	{"gso", Options{DisableGRO: true}},
	{"gro", Options{DisableGSO: true}},
	{"gso-gro", Options{}},
	{"no-ecn", Options{DisableECN: true}},
}

// listen opens a loopback UDP socket with a large receive buffer.
func listen(t testing.TB, network, addr string) *net.UDPConn {
	t.Helper()
	uc, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	if err != nil {
		t.Skipf("cannot listen on %s %s: %v", network, addr, err)
	}
	// The tests send in lock step, so the default buffer would do; a large
	// one keeps a slow machine from dropping.
	_ = uc.SetReadBuffer(4 << 20)
	_ = uc.SetWriteBuffer(4 << 20)
	t.Cleanup(func() { uc.Close() })
	return uc
}

func newConn(t testing.TB, pc net.PacketConn, opts Options) Conn {
	t.Helper()
	c, err := New(pc, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// payload fills b with bytes derived from the datagram number i.
func payload(b []byte, i int) {
	for j := range b {
		b[j] = byte(i*131 + j*7 + j>>8)
	}
}

// received is one datagram as a test read it.
type received struct {
	data []byte
	from netip.AddrPort
	ecn  ECN
}

// receiveAll reads until want datagrams have arrived or the deadline passes
// and returns them split into single datagrams.
func receiveAll(t testing.TB, c Conn, want int) []received {
	t.Helper()
	if err := c.PacketConn().SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	msgs := make([]Message, 8)
	for i := range msgs {
		msgs[i].Buf = make([]byte, MaxBufferSize)
	}
	var got []received
	for calls := 0; len(got) < want && calls < 10*want; calls++ {
		n, err := c.ReadBatch(msgs)
		if err != nil {
			t.Fatalf("ReadBatch after %d of %d datagrams: %v", len(got), want, err)
		}
		for _, m := range msgs[:n] {
			for s := range m.NumSegments() {
				got = append(got, received{bytes.Clone(m.Segment(s)), m.Addr, m.ECN})
			}
		}
	}
	return got
}

func TestRoundTrip(t *testing.T) {
	nets := []struct{ name, sendNet, sendAddr, recvNet, recvAddr string }{
		{"ipv4", "udp4", "127.0.0.1:0", "udp4", "127.0.0.1:0"},
		{"ipv6", "udp6", "[::1]:0", "udp6", "[::1]:0"},
		{"dual-stack", "udp", "[::]:0", "udp", "[::]:0"},
	}
	for _, nw := range nets {
		for _, md := range modes {
			t.Run(nw.name+"/"+md.name, func(t *testing.T) {
				sc := newConn(t, listen(t, nw.sendNet, nw.sendAddr), md.opts)
				rc := newConn(t, listen(t, nw.recvNet, nw.recvAddr), md.opts)
				dst := rc.LocalAddr().(*net.UDPAddr).AddrPort()
				src := sc.LocalAddr().(*net.UDPAddr).AddrPort()
				if nw.name == "dual-stack" {
					// Reach the dual-stack socket over IPv4; it must
					// report the peer as IPv4, not IPv4-mapped.
					dst = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), dst.Port())
					src = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), src.Port())
				}
				checkCaps(t, sc, md.opts)
				roundTrip(t, sc, rc, dst, src)
			})
		}
	}
}

// checkCaps verifies that options turn features off and that Linux turns on
// batching for UDP sockets.
func checkCaps(t *testing.T, c Conn, opts Options) {
	t.Helper()
	caps := c.Capabilities()
	if opts.DisableBatch && (caps.Batch || caps.GSO || caps.GRO) {
		t.Errorf("portable path reports %+v", caps)
	}
	if (opts.DisableGSO && caps.GSO) || (opts.DisableGRO && caps.GRO) ||
		(opts.DisableECN && caps.ECN) {
		t.Errorf("disabled feature reported active: %+v", caps)
	}
	if caps.MaxSegments != MaxSegments {
		t.Errorf("MaxSegments = %d, want %d", caps.MaxSegments, MaxSegments)
	}
	t.Logf("capabilities: %+v", caps)
}

// roundTrip sends a batch of single datagrams of several sizes and a batch of
// GSO buffers (the last segment of each shorter), and checks that every
// datagram arrives intact from src.
func roundTrip(t *testing.T, sc, rc Conn, dst, src netip.AddrPort) {
	t.Helper()
	var want [][]byte
	var batch []Message
	for i, size := range []int{1, 100, 1200, 1452, 0, 9000, 1200} {
		b := make([]byte, size)
		payload(b, i)
		want = append(want, b)
		batch = append(batch, Message{Buf: b, N: size, Addr: dst, ECN: ECN(i % 4)})
	}
	sendAndCheck(t, sc, rc, batch, want, src)

	want, batch = nil, nil
	for i, shape := range [][2]int{{1200, 10}, {1452, 44}, {1000, 3}} {
		seg, count := shape[0], shape[1]
		buf := make([]byte, seg*count-seg/2) // last segment half size
		for s := 0; s*seg < len(buf); s++ {
			d := buf[s*seg : min((s+1)*seg, len(buf))]
			payload(d, 1000*i+s)
			want = append(want, d)
		}
		batch = append(batch, Message{Buf: buf, N: len(buf), Addr: dst, SegmentSize: seg,
			ECN: ECNECT0 - ECN(i)})
	}
	sendAndCheck(t, sc, rc, batch, want, src)
}

func sendAndCheck(t *testing.T, sc, rc Conn, batch []Message, want [][]byte, src netip.AddrPort) {
	t.Helper()
	n, err := sc.WriteBatch(batch)
	if err != nil || n != len(batch) {
		t.Fatalf("WriteBatch = %d, %v; want %d, nil", n, err, len(batch))
	}
	// The codepoint each datagram should arrive with.
	ecnOn := sc.Capabilities().ECN && rc.Capabilities().ECN
	var wantECN []ECN
	for _, m := range batch {
		for range m.NumSegments() {
			if ecnOn {
				wantECN = append(wantECN, m.ECN)
			} else {
				wantECN = append(wantECN, ECNNotECT)
			}
		}
	}
	got := receiveAll(t, rc, len(want))
	if len(got) != len(want) {
		t.Fatalf("received %d datagrams, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].data, want[i]) {
			t.Errorf("datagram %d: got %d bytes, want %d (or content differs)",
				i, len(got[i].data), len(want[i]))
		}
		if got[i].from != src {
			t.Errorf("datagram %d from %v, want %v", i, got[i].from, src)
		}
		if i < len(wantECN) && got[i].ecn != wantECN[i] {
			t.Errorf("datagram %d arrived with %v, want %v", i, got[i].ecn, wantECN[i])
		}
	}
}

// TestGSOWithGRO checks that the kernel really hands a GSO buffer up whole
// when both offloads are active, which is where the speed comes from.
func TestGSOWithGRO(t *testing.T) {
	sc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), Options{})
	rc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), Options{})
	if !sc.Capabilities().GSO || !rc.Capabilities().GRO {
		t.Skipf("kernel lacks GSO or GRO: %+v", sc.Capabilities())
	}
	const seg, count = 1452, 40
	buf := make([]byte, seg*count)
	payload(buf, 7)
	dst := rc.LocalAddr().(*net.UDPAddr).AddrPort()
	out := []Message{{Buf: buf, N: len(buf), Addr: dst, SegmentSize: seg}}
	if _, err := sc.WriteBatch(out); err != nil {
		t.Fatal(err)
	}
	msgs := []Message{{Buf: make([]byte, MaxBufferSize)}}
	_ = rc.PacketConn().SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := rc.ReadBatch(msgs)
	if err != nil || n != 1 {
		t.Fatalf("ReadBatch = %d, %v", n, err)
	}
	m := msgs[0]
	if m.SegmentSize != seg || m.N != len(buf) || m.NumSegments() != count {
		t.Fatalf("got N=%d SegmentSize=%d segments=%d; want %d, %d, %d",
			m.N, m.SegmentSize, m.NumSegments(), len(buf), seg, count)
	}
	if !bytes.Equal(m.Buf[:m.N], buf) {
		t.Fatal("coalesced buffer differs from what was sent")
	}
}

// TestPortableSplitsHugeGSO sends the largest GSO buffers the API allows
// through the portable path and checks each segment arrives as a datagram.
func TestPortableSplitsHugeGSO(t *testing.T) {
	sc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), Options{DisableBatch: true})
	rc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), Options{DisableBatch: true})
	dst := rc.LocalAddr().(*net.UDPAddr).AddrPort()
	src := sc.LocalAddr().(*net.UDPAddr).AddrPort()
	for _, seg := range []int{1, 1017, MaxBufferSize / MaxSegments} {
		t.Run(fmt.Sprint(seg), func(t *testing.T) {
			size := min(seg*MaxSegments-seg/3, MaxBufferSize)
			buf := make([]byte, size)
			var want [][]byte
			for s := 0; s*seg < size; s++ {
				d := buf[s*seg : min((s+1)*seg, size)]
				payload(d, s)
				want = append(want, d)
			}
			batch := []Message{{Buf: buf, N: size, Addr: dst, SegmentSize: seg}}
			sendAndCheck(t, sc, rc, batch, want, src)
		})
	}
}

func TestWriteBatchRejects(t *testing.T) {
	for _, md := range []mode{modes[0], modes[4]} {
		t.Run(md.name, func(t *testing.T) {
			sc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), md.opts)
			rc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), md.opts)
			dst := rc.LocalAddr().(*net.UDPAddr).AddrPort()
			ok := make([]byte, 10)
			bad := []Message{
				{Buf: ok, N: 11, Addr: dst},                               // N beyond Buf
				{Buf: ok, N: 10},                                          // no address
				{Buf: ok, N: 10, Addr: dst, SegmentSize: -1},              // negative segment
				{Buf: make([]byte, 65), N: 65, Addr: dst, SegmentSize: 1}, // 65 segments
				{Buf: ok, N: 10, Addr: netip.MustParseAddrPort("[2001:db8::1]:443")},
			}
			for i, b := range bad {
				if md.name == "portable" && i == len(bad)-1 {
					continue // the portable path leaves family checks to the socket
				}
				batch := []Message{{Buf: ok, N: 10, Addr: dst}, b, {Buf: ok, N: 10, Addr: dst}}
				n, err := sc.WriteBatch(batch)
				if n != 1 || err == nil {
					t.Errorf("bad message %d: WriteBatch = %d, %v; want 1 and an error", i, n, err)
				}
			}
			// Each rejected batch sent its first message, and only that.
			got := receiveAll(t, rc, len(bad)-1)
			if len(got) < len(bad)-1 {
				t.Errorf("received %d datagrams, want at least %d", len(got), len(bad)-1)
			}
		})
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	for _, md := range []mode{modes[0], modes[4]} {
		t.Run(md.name, func(t *testing.T) {
			c := newConn(t, listen(t, "udp4", "127.0.0.1:0"), md.opts)
			errc := make(chan error, 1)
			go func() {
				_, err := c.ReadBatch([]Message{{Buf: make([]byte, 1500)}})
				errc <- err
			}()
			time.Sleep(10 * time.Millisecond)
			c.Close()
			select {
			case err := <-errc:
				if !errors.Is(err, net.ErrClosed) {
					t.Fatalf("ReadBatch after Close: %v, want net.ErrClosed", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("ReadBatch still blocked 5s after Close")
			}
		})
	}
}

func TestReadDeadline(t *testing.T) {
	for _, md := range []mode{modes[0], modes[4]} {
		t.Run(md.name, func(t *testing.T) {
			c := newConn(t, listen(t, "udp4", "127.0.0.1:0"), md.opts)
			c.PacketConn().SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			_, err := c.ReadBatch([]Message{{Buf: make([]byte, 1500)}})
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("ReadBatch past deadline: %v", err)
			}
		})
	}
}

func TestEnvironmentSwitches(t *testing.T) {
	t.Setenv(EnvDisableGSO, "1")
	c := newConn(t, listen(t, "udp4", "127.0.0.1:0"), Options{})
	if c.Capabilities().GSO {
		t.Errorf("%s=1 but GSO active", EnvDisableGSO)
	}
	t.Setenv(EnvDisableBatch, "1")
	c = newConn(t, listen(t, "udp4", "127.0.0.1:0"), Options{})
	if caps := c.Capabilities(); caps.Batch || caps.GRO {
		t.Errorf("%s=1 but %+v", EnvDisableBatch, caps)
	}
}

func TestMessageSegments(t *testing.T) {
	tests := []struct {
		n, seg int
		want   []int // segment lengths
	}{
		{0, 0, []int{0}},
		{0, 5, []int{0}},
		{10, 0, []int{10}},
		{10, 10, []int{10}},
		{10, 20, []int{10}},
		{10, 3, []int{3, 3, 3, 1}},
		{9, 3, []int{3, 3, 3}},
	}
	for _, tt := range tests {
		m := Message{Buf: make([]byte, tt.n), N: tt.n, SegmentSize: tt.seg}
		var got []int
		for i := range m.NumSegments() {
			got = append(got, len(m.Segment(i)))
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("N=%d SegmentSize=%d: segments %v, want %v", tt.n, tt.seg, got, tt.want)
		}
	}
}

// TestNoAllocs checks the steady state of both paths allocates nothing per
// batch.
func TestNoAllocs(t *testing.T) {
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			sc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), md.opts)
			rc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), md.opts)
			dst := rc.LocalAddr().(*net.UDPAddr).AddrPort()
			buf := make([]byte, 1200*8)
			out := []Message{{Buf: buf, N: len(buf), Addr: dst, SegmentSize: 1200}}
			in := make([]Message, 8)
			for i := range in {
				in[i].Buf = make([]byte, MaxBufferSize)
			}
			allocs := testing.AllocsPerRun(50, func() {
				if _, err := sc.WriteBatch(out); err != nil {
					t.Fatal(err)
				}
				for got := 0; got < 8; {
					n, err := rc.ReadBatch(in)
					if err != nil {
						t.Fatal(err)
					}
					for _, m := range in[:n] {
						got += m.NumSegments()
					}
				}
			})
			if allocs > 0 {
				t.Errorf("%v allocations per batch, want 0", allocs)
			}
		})
	}
}

// TestConcurrent runs writers in parallel with a reader; the race detector
// checks the per-direction locking, and every datagram must arrive once.
func TestConcurrent(t *testing.T) {
	sc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), Options{})
	rc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), Options{})
	dst := rc.LocalAddr().(*net.UDPAddr).AddrPort()
	const writers, batches, segs = 4, 10, 8
	errc := make(chan error, writers)
	for w := range writers {
		go func() {
			buf := make([]byte, 1200*segs)
			for b := range batches {
				for s := range segs {
					buf[s*1200] = byte(w)
					buf[s*1200+1] = byte(b)
				}
				m := []Message{{Buf: buf, N: len(buf), Addr: dst, SegmentSize: 1200}}
				if _, err := sc.WriteBatch(m); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	// Read while the writers run, so that a small socket buffer on another
	// machine does not overflow.
	got := receiveAll(t, rc, writers*batches*segs)
	for range writers {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	seen := make(map[[2]byte]int)
	for _, d := range got {
		seen[[2]byte{d.data[0], d.data[1]}]++
	}
	for w := range writers {
		for b := range batches {
			if n := seen[[2]byte{byte(w), byte(b)}]; n != segs {
				t.Errorf("writer %d batch %d: %d datagrams, want %d", w, b, n, segs)
			}
		}
	}
}

// TestGROShortBuffer reads a coalesced batch into a buffer too short for it
// and checks that only whole datagrams are handed up.
func TestGROShortBuffer(t *testing.T) {
	sc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), Options{})
	rc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), Options{})
	if !sc.Capabilities().GSO || !rc.Capabilities().GRO {
		t.Skipf("kernel lacks GSO or GRO: %+v", sc.Capabilities())
	}
	buf := make([]byte, 10*1000)
	payload(buf, 3)
	dst := rc.LocalAddr().(*net.UDPAddr).AddrPort()
	out := []Message{{Buf: buf, N: len(buf), Addr: dst, SegmentSize: 1000}}
	if _, err := sc.WriteBatch(out); err != nil {
		t.Fatal(err)
	}
	in := []Message{{Buf: make([]byte, 4500)}}
	_ = rc.PacketConn().SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := rc.ReadBatch(in)
	if err != nil || n != 1 {
		t.Fatalf("ReadBatch = %d, %v", n, err)
	}
	m := in[0]
	if m.N != 4000 || m.SegmentSize != 1000 || !bytes.Equal(m.Buf[:m.N], buf[:4000]) {
		t.Fatalf("got N=%d SegmentSize=%d, want 4 whole datagrams of 1000", m.N, m.SegmentSize)
	}
}

func TestSegmentsFor(t *testing.T) {
	for _, tt := range []struct{ size, want int }{
		{0, 0}, {-1, 0}, {1, 64}, {1023, 64}, {1024, 63}, {1452, 45},
		{MaxBufferSize, 1}, {MaxBufferSize + 1, 0},
	} {
		got := SegmentsFor(tt.size)
		if got != tt.want {
			t.Errorf("SegmentsFor(%d) = %d, want %d", tt.size, got, tt.want)
		}
		if got > 0 && got*tt.size > MaxBufferSize {
			t.Errorf("SegmentsFor(%d) = %d overflows MaxBufferSize", tt.size, got)
		}
	}
}
