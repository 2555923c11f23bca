package quic

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/peregrine-h3/peregrine/internal/netsim"
)

// TestImpairedTransfer moves data over a path that corrupts, duplicates,
// reorders and drops datagrams; corrupted packets fail authentication and
// are dropped, and everything else is recovered.
func TestImpairedTransfer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		im := netsim.Impairment{Delay: 10 * time.Millisecond, Jitter: 2 * time.Millisecond,
			Loss: 0.01, Corrupt: 0.02, Duplicate: 0.02, Reorder: 0.02}
		w := newWireTest(t, im, nil, true)
		sendAndCheck(t, w, 1<<20)
		w.cli.Close()
	})
}

// TestHostileDatagrams sends garbage at a server endpoint and at an
// established connection: nothing may crash, and the connection survives.
func TestHostileDatagrams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: time.Millisecond}, nil, true)
		raw, err := w.net.NewEndpoint(netip.MustParseAddrPort("10.0.0.9:9"))
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var srvID []byte
		w.sep.mu.Lock()
		for k, c := range w.sep.conns {
			if c == w.srv && len(k) == connIDLen {
				srvID = []byte(k)
			}
		}
		w.sep.mu.Unlock()
		dst := w.spc.AddrPort()
		rng := rand.New(rand.NewPCG(3, 4))
		for i := 0; i < 3000; i++ {
			size := 1 + rng.IntN(1500)
			b := make([]byte, size)
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
			switch i % 4 {
			case 0: // short header to the live connection
				b[0] = 0x40 | b[0]&0x3f
				if size > 1+connIDLen {
					copy(b[1:], srvID)
				}
			case 1: // long header Initial, version 1, random rest
				if size > 6 {
					b[0] = 0xc0 | b[0]&0x0f
					copy(b[1:5], []byte{0, 0, 0, 1})
					b[5] = byte(rng.IntN(25))
				}
			case 2: // long header Handshake to the live connection
				if size > 7+connIDLen {
					b[0] = 0xe0 | b[0]&0x0f
					copy(b[1:5], []byte{0, 0, 0, 1})
					b[5] = connIDLen
					copy(b[6:], srvID)
				}
			}
			raw.WriteToUDPAddrPort(b, dst)
			if i%100 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		time.Sleep(100 * time.Millisecond)
		// Random packets from another address do not touch the connection.
		if err := w.srv.closedErr(); err != nil {
			t.Fatalf("connection ended: %v", err)
		}
		sendAndCheck(t, w, 10<<10)
		w.cli.Close()
	})
}

// TestHostileFramesFromPeer feeds random frame bytes from the client into
// 1-RTT packets: the server must carry on or close with a connection error,
// never crash.
func TestHostileFramesFromPeer(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 20; i++ {
		frame := make([]byte, 1+rng.IntN(60))
		for j := range frame {
			frame[j] = byte(rng.Uint32())
		}
		frame[0] = byte(rng.IntN(0x1f))
		synctest.Test(t, func(t *testing.T) {
			w := newWireTest(t, netsim.Impairment{Delay: time.Millisecond}, nil, true)
			w.cliLog.inject(appDataSpace, frame)
			w.cli.wake()
			time.Sleep(time.Second)
			if err := w.srv.closedErr(); err != nil && !isConnError(err) {
				t.Fatalf("frame %x: server ended with %v, want a connection error", frame, err)
			}
			w.cli.Close()
			w.srv.Close()
		})
	}
}

// isConnError reports whether err is a transport error (ours or the peer's)
// or an application close: the frame bytes may form a valid CONNECTION_CLOSE.
func isConnError(err error) bool {
	var te *TransportError
	var ae *ApplicationError
	return errors.As(err, &te) || errors.As(err, &ae)
}

// FuzzPeerFrames puts arbitrary frame bytes from the client into a 1-RTT
// packet of an established connection: the server must survive or close with
// a transport error, never crash or hang.
func FuzzPeerFrames(f *testing.F) {
	f.Add([]byte{0x01})
	f.Add([]byte{0x08, 0x00, 0x61})
	f.Add([]byte{0x1c, 0x00, 0x00, 0x00})
	f.Add([]byte{0x18, 0x01, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x06, 0x00, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, frames []byte) {
		if len(frames) == 0 || len(frames) > 1000 {
			return
		}
		synctest.Test(t, func(t *testing.T) {
			w := newWireTest(t, netsim.Impairment{Delay: time.Millisecond}, nil, true)
			w.cliLog.inject(appDataSpace, frames)
			w.cli.wake()
			time.Sleep(time.Second)
			if err := w.srv.closedErr(); err != nil && !isConnError(err) {
				t.Fatalf("server ended with %v, want a connection error", err)
			}
			w.cli.Close()
			w.srv.Close()
		})
	})
}
