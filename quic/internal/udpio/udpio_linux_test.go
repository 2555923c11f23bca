//go:build linux

package udpio

import (
	"bytes"
	"log/slog"
	"net"
	"testing"
)

// TestGSOFallback makes the kernel seem to refuse GSO and checks that the
// buffer still arrives, split in software, and that GSO is then off.
func TestGSOFallback(t *testing.T) {
	var logged bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logged, nil))
	sc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), Options{Logger: logger})
	rc := newConn(t, listen(t, "udp4", "127.0.0.1:0"), Options{DisableGRO: true})
	bc, ok := sc.(*batchConn)
	if !ok || !sc.Capabilities().GSO {
		t.Skipf("no kernel GSO here: %+v", sc.Capabilities())
	}
	bc.w.failGSO = true
	dst := rc.LocalAddr().(*net.UDPAddr).AddrPort()
	src := sc.LocalAddr().(*net.UDPAddr).AddrPort()
	var batch []Message
	var want [][]byte
	for i := range 3 {
		buf := make([]byte, 1200*30)
		payload(buf, i)
		for s := range 30 {
			want = append(want, buf[s*1200:(s+1)*1200])
		}
		batch = append(batch, Message{Buf: buf, N: len(buf), Addr: dst, SegmentSize: 1200})
	}
	sendAndCheck(t, sc, rc, batch, want, src)
	if sc.Capabilities().GSO {
		t.Error("GSO still reported active after EIO")
	}
	if !bytes.Contains(logged.Bytes(), []byte("refused GSO")) {
		t.Errorf("fallback not logged; log: %q", logged.String())
	}
}
