//go:build linux

package udpio

import (
	"bytes"
	"log/slog"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// rawListen opens a loopback UDP socket with the kernel's default buffers.
func rawListen(t *testing.T) *net.UDPConn {
	t.Helper()
	uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Skipf("cannot listen on loopback: %v", err)
	}
	t.Cleanup(func() { uc.Close() })
	return uc
}

// sockBuffers reads SO_RCVBUF and SO_SNDBUF of uc with getsockopt.
func sockBuffers(t *testing.T, uc *net.UDPConn) (rd, wr int) {
	t.Helper()
	rc, err := uc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var e1, e2 error
	if err := rc.Control(func(fd uintptr) {
		rd, e1 = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
		wr, e2 = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF)
	}); err != nil {
		t.Fatal(err)
	}
	if e1 != nil || e2 != nil {
		t.Fatalf("getsockopt: %v, %v", e1, e2)
	}
	return rd, wr
}

// TestSocketBuffersRaised checks that New raises both buffers of a loopback
// socket above the kernel default, on the batch and the portable path, and
// that Capabilities reports what getsockopt reads back.
func TestSocketBuffersRaised(t *testing.T) {
	for _, m := range []mode{{"batch", Options{}}, {"portable", Options{DisableBatch: true}}} {
		t.Run(m.name, func(t *testing.T) {
			uc := rawListen(t)
			rd0, wr0 := sockBuffers(t, uc)
			if rd0 >= 2*DefaultSocketBuffer {
				t.Skipf("kernel default receive buffer %d is already large", rd0)
			}
			var logged bytes.Buffer
			m.opts.Logger = slog.New(slog.NewTextHandler(&logged,
				&slog.HandlerOptions{Level: slog.LevelDebug}))
			c := newConn(t, uc, m.opts)
			rd, wr := sockBuffers(t, uc)
			if rd <= rd0 || wr <= wr0 {
				t.Errorf("buffers %d/%d not raised from %d/%d", rd, wr, rd0, wr0)
			}
			caps := c.Capabilities()
			if caps.ReadBuffer != rd || caps.WriteBuffer != wr {
				t.Errorf("Capabilities report %d/%d, getsockopt %d/%d",
					caps.ReadBuffer, caps.WriteBuffer, rd, wr)
			}
			// Linux reports twice the granted size. With CAP_NET_ADMIN the
			// force options must give all of the default.
			if unix.Geteuid() == 0 && rd < 2*DefaultSocketBuffer {
				t.Errorf("as root, read buffer %d below 2*%d", rd, DefaultSocketBuffer)
			}
			if !bytes.Contains(logged.Bytes(), []byte("read_obtained")) {
				t.Errorf("obtained sizes not logged at Debug: %q", logged.String())
			}
			t.Logf("read %d -> %d, write %d -> %d", rd0, rd, wr0, wr)
		})
	}
}

// TestSocketBuffersOptions checks an explicit size and a negative one, which
// leaves the kernel's buffers alone.
func TestSocketBuffersOptions(t *testing.T) {
	uc := rawListen(t)
	rd0, wr0 := sockBuffers(t, uc)
	c := newConn(t, uc, Options{ReadBuffer: -1, WriteBuffer: -1})
	if rd, wr := sockBuffers(t, uc); rd != rd0 || wr != wr0 {
		t.Errorf("negative options changed buffers %d/%d to %d/%d", rd0, wr0, rd, wr)
	}
	if caps := c.Capabilities(); caps.ReadBuffer != rd0 || caps.WriteBuffer != wr0 {
		t.Errorf("Capabilities report %d/%d, kernel %d/%d",
			caps.ReadBuffer, caps.WriteBuffer, rd0, wr0)
	}

	// 1 MiB fits under every usual net.core.rmem_max, so no privilege is needed.
	const size = 1 << 20
	uc = rawListen(t)
	if rd, _ := sockBuffers(t, uc); rd >= 2*size {
		t.Skipf("kernel default receive buffer %d is already large", rd)
	}
	c = newConn(t, uc, Options{ReadBuffer: size, WriteBuffer: size})
	rd, wr := sockBuffers(t, uc)
	if rd != 2*size || wr != 2*size {
		t.Errorf("asked for %d, kernel reports %d/%d (want %d)", size, rd, wr, 2*size)
	}
	if caps := c.Capabilities(); caps.ReadBuffer != rd || caps.WriteBuffer != wr {
		t.Errorf("Capabilities report %d/%d, getsockopt %d/%d",
			caps.ReadBuffer, caps.WriteBuffer, rd, wr)
	}
}

// burstLoss sends a burst of n 1200-byte datagrams to a receiver that is not
// reading, then drains it and returns how many arrived.
func burstLoss(t *testing.T, n int, opts Options) (got int, caps Capabilities) {
	t.Helper()
	rc := newConn(t, rawListen(t), opts)
	sc := newConn(t, rawListen(t), Options{DisableGSO: true})
	dst := rc.LocalAddr().(*net.UDPAddr).AddrPort()
	buf := make([]byte, 1200)
	batch := make([]Message, 64)
	for i := range batch {
		batch[i] = Message{Buf: buf, N: len(buf), Addr: dst}
	}
	for sent := 0; sent < n; sent += len(batch) {
		if _, err := sc.WriteBatch(batch[:min(len(batch), n-sent)]); err != nil {
			t.Fatal(err)
		}
	}
	msgs := make([]Message, 64)
	for i := range msgs {
		msgs[i].Buf = make([]byte, MaxBufferSize)
	}
	// Everything is queued on loopback by now; a short deadline ends the drain.
	for calls := 0; calls < n; calls++ {
		dl := time.Now().Add(50 * time.Millisecond)
		if err := rc.PacketConn().SetReadDeadline(dl); err != nil {
			t.Fatal(err)
		}
		k, err := rc.ReadBatch(msgs)
		for _, m := range msgs[:k] {
			got += m.NumSegments()
		}
		if err != nil {
			break
		}
	}
	return got, rc.Capabilities()
}

// TestSocketBufferBurst sends 2000 datagrams (2.4 MB) to a receiver that does
// not read meanwhile: with the default buffer, when the kernel granted it in
// full, every one must arrive. The kernel's own default is logged for
// comparison; it varies by machine, so only the first case is asserted.
func TestSocketBufferBurst(t *testing.T) {
	const n = 2000
	got, caps := burstLoss(t, n, Options{DisableGRO: true})
	t.Logf("default (%d-byte buffer): %d of %d datagrams arrived", caps.ReadBuffer, got, n)
	if caps.ReadBuffer >= 2*DefaultSocketBuffer && got != n {
		t.Errorf("%d of %d datagrams arrived with a %d-byte buffer", got, n, caps.ReadBuffer)
	}
	got, caps = burstLoss(t, n, Options{ReadBuffer: -1, DisableGRO: true})
	t.Logf("kernel default (%d-byte buffer): %d of %d datagrams arrived",
		caps.ReadBuffer, got, n)
}
