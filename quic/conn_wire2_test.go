package quic

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/peregrine-h3/peregrine/internal/netsim"
	"github.com/peregrine-h3/peregrine/quic/internal/congestion"
	"github.com/peregrine-h3/peregrine/quic/internal/wire"
)

// sendAndCheck writes n bytes on a new client stream and checks that the
// server reads them intact.
func sendAndCheck(t *testing.T, w *wireTest, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	want := make([]byte, n)
	for i := range want {
		want[i] = byte(i * 31)
	}
	got := make(chan []byte, 1)
	go func() {
		s, err := w.srv.AcceptUniStream(ctx)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(s)
		got <- b
	}()
	s, err := w.cli.OpenUniStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(want); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("server read %d bytes, want %d intact", len(b), n)
	}
}

func TestWireAckAndLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 10 * time.Millisecond}, nil, true)
		base := len(w.cpc.written())
		// Drop three of the client's data datagrams.
		w.cpc.setDrop(func(n int, b []byte) bool {
			return n == base+5 || n == base+6 || n == base+12
		})
		sendAndCheck(t, w, 200<<10)
		if lost := w.cli.Stats().PacketsLost; lost < 3 {
			t.Errorf("client declared %d packets lost, want >= 3", lost)
		}
		// The server's ACKs showed the gap.
		gaps := w.srvLog.count(true, func(f loggedFrame) bool {
			a, ok := f.frame.(wire.AckFrame)
			return ok && f.space == appDataSpace && len(a.Ranges) > 1
		})
		if gaps == 0 {
			t.Error("server never sent an ACK with more than one range")
		}
		w.cli.Close()
	})
}

func TestWirePTO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 10 * time.Millisecond}, nil, true)
		time.Sleep(time.Second)
		// Black-hole both directions, then write.
		w.cpc.setDrop(func(int, []byte) bool { return true })
		w.spc.setDrop(func(int, []byte) bool { return true })
		before := len(w.cpc.written())
		done := make(chan struct{})
		go func() {
			defer close(done)
			sendAndCheck(t, w, 4<<10)
		}()
		time.Sleep(3 * time.Second)
		// Without acknowledgements the client keeps probing, with backoff.
		probes := len(w.cpc.written()) - before
		if probes < 3 || probes > 30 {
			t.Errorf("client sent %d datagrams in a 3s blackout, want a few PTO probes", probes)
		}
		w.cpc.setDrop(nil)
		w.spc.setDrop(nil)
		<-done
		w.cli.Close()
	})
}

func TestWireIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond},
			func(s, c *Config) {
				s.MaxIdleTimeout = 5 * time.Second
				c.MaxIdleTimeout = 2 * time.Second
			}, true)
		start := time.Now()
		err := waitDone(t, w.cli, time.Minute)
		if !errors.Is(err, ErrIdleTimeout) {
			t.Fatalf("client ended with %v, want ErrIdleTimeout", err)
		}
		// The smaller value (the client's 2s) applies to both sides.
		if d := time.Since(start); d < 2*time.Second || d > 3*time.Second {
			t.Errorf("idle timeout after %v, want about 2s", d)
		}
		if err := waitDone(t, w.srv, time.Second); !errors.Is(err, ErrIdleTimeout) {
			t.Fatalf("server ended with %v, want ErrIdleTimeout", err)
		}
		if _, err := w.cli.OpenStream(context.Background()); !errors.Is(err, ErrIdleTimeout) {
			t.Errorf("OpenStream after idle timeout = %v", err)
		}
	})
}

func TestWireKeepAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond},
			func(s, c *Config) {
				s.MaxIdleTimeout = 2 * time.Second
				c.MaxIdleTimeout = 2 * time.Second
				c.KeepAlivePeriod = 500 * time.Millisecond
			}, true)
		time.Sleep(10 * time.Second)
		if err := w.cli.closedErr(); err != nil {
			t.Fatalf("connection ended despite keep-alives: %v", err)
		}
		if n := w.cliLog.count(true, isType(wire.FrameTypePing)); n < 5 {
			t.Errorf("client sent %d PINGs in 10s, want keep-alives", n)
		}
		w.cli.Close()
	})
}

func TestWireStreamLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond},
			func(s, c *Config) { s.MaxBidiRemoteStreams = 2 }, true)
		ctx := context.Background()
		var open []*Stream
		for i := 0; i < 2; i++ {
			s, err := w.cli.OpenStream(ctx)
			if err != nil {
				t.Fatal(err)
			}
			s.Write([]byte("x"))
			open = append(open, s)
		}
		tctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := w.cli.OpenStream(tctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("third OpenStream = %v, want to block until the deadline", err)
		}
		// Finish the first stream in both directions: the server raises the
		// limit with MAX_STREAMS.
		ss, err := w.srv.AcceptStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		open[0].Close()
		io.ReadAll(ss)
		ss.Close()
		io.ReadAll(open[0])
		tctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := w.cli.OpenStream(tctx); err != nil {
			t.Fatalf("OpenStream after a stream ended: %v", err)
		}
		if n := w.srvLog.count(true, isType(wire.FrameTypeMaxStreamsBidi)); n == 0 {
			t.Error("server sent no MAX_STREAMS")
		}
		w.cli.Close()
	})
}

func TestWireKeyUpdate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond}, nil, true)
		sendAndCheck(t, w, 20<<10)
		w.cli.forceKeyUpdate()
		sendAndCheck(t, w, 100<<10)
		w.cli.forceKeyUpdate()
		sendAndCheck(t, w, 100<<10)
		w.cli.Close()
		waitDone(t, w.srv, time.Minute)
		<-w.cli.doneCh
		<-w.srv.doneCh
		if n := w.cli.state.keys.updates; n != 2 {
			t.Errorf("client completed %d key updates, want 2", n)
		}
		if n := w.srv.state.keys.updates; n != 2 {
			t.Errorf("server answered %d key updates, want 2", n)
		}
	})
}

func TestWireAmplificationLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond}, nil, false)
		// Only the client's first datagram gets through.
		w.cpc.setDrop(func(n int, b []byte) bool { return n > 0 })
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		defer cancel()
		_, err := w.cep.Dial(ctx, w.spc.LocalAddr(), testClientConfig(t))
		if err == nil {
			t.Fatal("dial succeeded without the client's later packets")
		}
		first := w.cpc.written()[0]
		sent := 0
		for _, n := range w.spc.written() {
			sent += n
		}
		// RFC 9000, Section 8.1: at most three times the bytes received.
		if sent > 3*first || sent == 0 {
			t.Fatalf("server sent %d bytes after receiving %d", sent, first)
		}
	})
}

func testClientConfig(t *testing.T) *Config {
	_, c := testConfigs(t)
	return c
}

// injectAndExpect makes the client send frames in a 1-RTT packet and checks
// that the server closes with code, which the client sees as remote.
func injectAndExpect(t *testing.T, frames []byte, code TransportErrorCode) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond}, nil, true)
		w.cliLog.inject(appDataSpace, frames)
		w.cli.wake()
		wantTransportError(t, waitDone(t, w.srv, 10*time.Second), code, false)
		wantTransportError(t, waitDone(t, w.cli, 10*time.Second), code, true)
	})
}

func TestWireCapCryptoBuffer(t *testing.T) {
	f := wire.CryptoFrame{Offset: maxCryptoBuffer + 100, Data: []byte("x")}
	injectAndExpect(t, f.Append(nil), errCodeCryptoBufferExceeded)
}

func TestWireUnadvertisedDatagram(t *testing.T) {
	injectAndExpect(t, wire.DatagramFrame{Data: []byte("hi")}.Append(nil),
		errCodeProtocolViolation)
}

func TestWireConnectionIDLimit(t *testing.T) {
	var b []byte
	for seq := uint64(1); seq <= localConnIDLimit; seq++ {
		f := wire.NewConnectionIDFrame{SequenceNumber: seq,
			ConnectionID: []byte{1, 2, 3, 4, 5, 6, 7, byte(seq)}}
		f.StatelessResetToken[0] = byte(seq)
		b = f.Append(b)
	}
	injectAndExpect(t, b, errCodeConnectionIDLimit)
}

func TestWireHandshakeDoneFromClient(t *testing.T) {
	injectAndExpect(t, wire.HandshakeDoneFrame{}.Append(nil), errCodeProtocolViolation)
}

func TestWireNewTokenFromClient(t *testing.T) {
	injectAndExpect(t, wire.NewTokenFrame{Token: []byte("t")}.Append(nil),
		errCodeProtocolViolation)
}

func TestWireFrameNotAllowedInHandshake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond}, nil, false)
		w.cliLog.inject(handshakeSpace,
			wire.StreamFrame{StreamID: 0, Data: []byte("early")}.Append(nil))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := w.cep.Dial(ctx, w.spc.LocalAddr(), testClientConfig(t))
		if err == nil {
			// The client may complete before the server reads its Finished.
			err = waitDone(t, c, 10*time.Second)
		}
		wantTransportError(t, err, errCodeProtocolViolation, true)
	})
}

func TestWirePathChallengeLatestOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond}, nil, true)
		b := wire.PathChallengeFrame{Data: [8]byte{1}}.Append(nil)
		b = wire.PathChallengeFrame{Data: [8]byte{2}}.Append(b)
		w.cliLog.inject(appDataSpace, b)
		w.cli.wake()
		time.Sleep(time.Second)
		var got []byte
		n := w.srvLog.count(true, func(f loggedFrame) bool {
			if p, ok := f.frame.(wire.PathResponseFrame); ok {
				got = append(got, p.Data[0])
				return true
			}
			return false
		})
		if n != 1 || got[0] != 2 {
			t.Fatalf("server sent PATH_RESPONSE %v, want only the latest challenge (2)", got)
		}
		w.cli.Close()
	})
}

func TestWireStatelessReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond}, nil, true)
		time.Sleep(time.Second)
		// The server endpoint forgets the connection, as after a restart.
		w.sep.mu.Lock()
		for k, c := range w.sep.conns {
			if c == w.srv {
				delete(w.sep.conns, k)
			}
		}
		w.sep.mu.Unlock()
		nsrv := len(w.spc.written())
		ncli := len(w.cpc.written())
		sendErr := make(chan error, 1)
		go func() {
			s, err := w.cli.OpenUniStream(context.Background())
			if err == nil {
				_, err = s.Write(make([]byte, 3000))
				s.Close()
			}
			sendErr <- err
		}()
		err := waitDone(t, w.cli, 10*time.Second)
		wantTransportError(t, err, errCodeNoError, true)
		// The reset was smaller than the packet that triggered it.
		resets := w.spc.written()[nsrv:]
		trig := w.cpc.written()[ncli:]
		if len(resets) == 0 || len(trig) == 0 || resets[0] >= trig[0] {
			t.Fatalf("reset sizes %v, trigger sizes %v", resets, trig)
		}
		<-sendErr
		w.srv.Close()
	})
}

func TestWireVersionNegotiation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond}, nil, false)
		raw, err := w.net.NewEndpoint(netip.MustParseAddrPort("10.0.0.9:9"))
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		pkt := func(size int) []byte {
			b := []byte{0xc0, 0x1a, 0x1a, 0x1a, 0x1a, 8, 1, 2, 3, 4, 5, 6, 7, 8, 4, 9, 9, 9, 9}
			return append(b, make([]byte, size-len(b))...)
		}
		srv := w.spc.AddrPort()
		// Under 1200 bytes: no answer (RFC 9000, Section 14.1).
		raw.WriteToUDPAddrPort(pkt(1000), srv)
		raw.WriteToUDPAddrPort(pkt(1200), srv)
		buf := make([]byte, 2000)
		raw.SetReadDeadline(time.Now().Add(time.Second))
		n, _, err := raw.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		dcid, scid, versions, err := wire.ParseVersionNegotiation(buf[:n], nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(dcid, []byte{9, 9, 9, 9}) || len(scid) != 8 {
			t.Errorf("VN IDs %x %x do not echo the client's", dcid, scid)
		}
		found := false
		for _, v := range versions {
			found = found || v == wire.Version1
		}
		if !found {
			t.Errorf("VN lists %v, want version 1", versions)
		}
		raw.SetReadDeadline(time.Now().Add(time.Second))
		if _, _, err := raw.ReadFromUDPAddrPort(buf); err == nil {
			t.Error("got a second answer; the small packet must be ignored")
		}
	})
}

func TestInboxCap(t *testing.T) {
	c := &Conn{wakeCh: make(chan struct{}, 1)}
	bufs := make([]rxBuf, maxInbox+10)
	for i := range bufs {
		bufs[i].buf = smallRxPool.Get().(*[]byte)
	}
	c.deliver(bufs)
	if len(c.inbox) != maxInbox || c.inDropped != 10 {
		t.Fatalf("inbox %d, dropped %d; want %d and 10", len(c.inbox), c.inDropped, maxInbox)
	}
	// Large (GRO) buffers are bounded by the memory they hold.
	c = &Conn{wakeCh: make(chan struct{}, 1)}
	big := make([]rxBuf, 200)
	for i := range big {
		big[i].buf = rxPool.Get().(*[]byte)
	}
	c.deliver(big)
	if want := maxInboxBytes / rxBufSize; len(c.inbox) != want {
		t.Fatalf("inbox holds %d large buffers, want %d", len(c.inbox), want)
	}
}

func TestUndecryptableCap(t *testing.T) {
	c := &Conn{}
	for i := 0; i < 3*maxPendingPackets; i++ {
		c.bufferUndecryptable(appDataSpace, make([]byte, 100))
	}
	if len(c.state.pending) != maxPendingPackets {
		t.Fatalf("%d packets buffered, want %d", len(c.state.pending), maxPendingPackets)
	}
}

func TestCloseFrameInHandshakeSpaces(t *testing.T) {
	c := &Conn{}
	c.state.closeApp, c.state.closeCode, c.state.closeReason = true, 7, "secret"
	// RFC 9000, Section 10.2.3: in Initial and Handshake packets an
	// application close becomes APPLICATION_ERROR without the reason.
	b := c.appendCloseFrame(initialSpace, nil, 100)
	f, _, err := wire.ParseConnectionClose(b)
	if err != nil || f.App || f.ErrorCode != uint64(errCodeApplication) || len(f.Reason) != 0 {
		t.Fatalf("Initial close = %+v, %v", f, err)
	}
	b = c.appendCloseFrame(appDataSpace, nil, 100)
	f, _, err = wire.ParseConnectionClose(b)
	if err != nil || !f.App || f.ErrorCode != 7 || string(f.Reason) != "secret" {
		t.Fatalf("1-RTT close = %+v, %v", f, err)
	}
}

func TestWireHandshakeTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond}, nil, false)
		w.cpc.setDrop(func(int, []byte) bool { return true })
		cfg := testClientConfig(t)
		cfg.HandshakeTimeout = 3 * time.Second
		start := time.Now()
		_, err := w.cep.Dial(context.Background(), w.spc.LocalAddr(), cfg)
		if !errors.Is(err, ErrHandshakeTimeout) {
			t.Fatalf("dial = %v, want ErrHandshakeTimeout", err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("gave up after %v, want 3s", d)
		}
	})
}

func TestWireALPNMismatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond}, nil, false)
		cfg := testClientConfig(t)
		cfg.TLSConfig.NextProtos = []string{"other"}
		_, err := w.cep.Dial(context.Background(), w.spc.LocalAddr(), cfg)
		// RFC 9001, Section 8.1: no_application_protocol is alert 120.
		wantTransportError(t, err, errCodeCryptoBase+120, true)
	})
}

func TestWireDatagrams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond}, func(s, c *Config) {
			s.EnableDatagrams = true
			s.DatagramQueueLen = 4
			c.EnableDatagrams = true
		}, true)
		max := w.cli.MaxDatagramSize()
		if max < 1000 || max > maxSendSize {
			t.Fatalf("MaxDatagramSize = %d", max)
		}
		if err := w.cli.SendDatagram(make([]byte, max+1)); !errors.Is(err, errDatagramTooLarge) {
			t.Errorf("oversized SendDatagram = %v", err)
		}
		for i := 0; i < 10; i++ {
			if err := w.cli.SendDatagram([]byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Second)
		// The server reads nothing: 4 are queued, 6 dropped and counted.
		if d := w.srv.Stats().DatagramsDropped; d != 6 {
			t.Errorf("server dropped %d datagrams, want 6", d)
		}
		b, err := w.srv.ReceiveDatagram(context.Background())
		if err != nil || len(b) != 1 || b[0] != 0 {
			t.Errorf("first datagram = %v, %v", b, err)
		}
		w.cli.Close()
	})
}

func TestWireDatagramsNotNegotiated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{}, nil, true)
		if err := w.cli.SendDatagram([]byte("x")); !errors.Is(err, errDatagramsDisabled) {
			t.Errorf("SendDatagram = %v, want errDatagramsDisabled", err)
		}
		if w.cli.MaxDatagramSize() != 0 {
			t.Error("MaxDatagramSize != 0 without negotiation")
		}
		w.cli.Close()
	})
}

func TestWireEndpointClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond}, nil, true)
		w.sep.Close()
		if err := waitDone(t, w.srv, time.Second); !errors.Is(err, net.ErrClosed) {
			t.Errorf("server conn ended with %v, want net.ErrClosed", err)
		}
		// The client hears CONNECTION_CLOSE with NO_ERROR.
		wantTransportError(t, waitDone(t, w.cli, 5*time.Second), errCodeNoError, true)
		if _, err := w.sep.Accept(context.Background()); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close = %v", err)
		}
	})
}

func TestWireRetirePriorTo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 5 * time.Millisecond}, nil, true)
		time.Sleep(100 * time.Millisecond)
		// The client gives the server a new ID and retires all older ones.
		f := wire.NewConnectionIDFrame{SequenceNumber: 10, RetirePriorTo: 10,
			ConnectionID: []byte{9, 9, 9, 9, 9, 9, 9, 9}}
		w.cliLog.inject(appDataSpace, f.Append(nil))
		w.cli.wake()
		time.Sleep(time.Second)
		// The server held the client's IDs 0 to 3 (the client issues up to
		// our limit of 4); all are retired.
		retired := w.srvLog.count(true, isType(wire.FrameTypeRetireConnectionID))
		if retired != localConnIDLimit {
			t.Errorf("server sent %d RETIRE_CONNECTION_ID, want %d", retired, localConnIDLimit)
		}
		// The connection keeps working with the new ID (the client routes it
		// nowhere, so only the server's sending side is exercised).
		if err := w.srv.closedErr(); err != nil {
			t.Fatal(err)
		}
		w.cli.Close()
	})
}

func TestWireFlowControl(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 10 * time.Millisecond}, func(s, c *Config) {
			s.MaxStreamReceiveWindow = 32 << 10
			s.MaxConnReceiveWindow = 48 << 10
		}, true)
		// The transfer is 30 times the connection window: it completes only
		// if window updates flow.
		sendAndCheck(t, w, 1<<20)
		if n := w.srvLog.count(true, func(f loggedFrame) bool {
			return f.typ == wire.FrameTypeMaxData || f.typ == wire.FrameTypeMaxStreamData
		}); n == 0 {
			t.Error("server sent no MAX_DATA or MAX_STREAM_DATA")
		}
		w.cli.Close()
	})
}

func TestWireFlowControlViolation(t *testing.T) {
	// Stream 2 is the client's first unidirectional stream; the server's
	// initial stream window is 512 KiB, so data at 1 MiB exceeds it.
	f := wire.StreamFrame{StreamID: 2, Offset: 1 << 20, Data: []byte("x")}
	injectAndExpect(t, f.Append(nil), errCodeFlowControl)
}

func TestWireClosingResendsClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 10 * time.Millisecond}, nil, true)
		time.Sleep(100 * time.Millisecond)
		// Lose the client's first CONNECTION_CLOSE.
		base := len(w.cpc.written())
		w.cpc.setDrop(func(n int, b []byte) bool { return n == base })
		// The server keeps sending, so the closing client hears packets and
		// repeats its CONNECTION_CLOSE (RFC 9000, Section 10.2.1).
		go func() {
			s, err := w.srv.OpenUniStream(context.Background())
			if err != nil {
				return
			}
			for i := 0; i < 100; i++ {
				if _, err := s.Write(make([]byte, 1000)); err != nil {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
		time.Sleep(20 * time.Millisecond)
		w.cli.CloseWithError(5, "done")
		err := waitDone(t, w.srv, 5*time.Second)
		var ae *ApplicationError
		if !errors.As(err, &ae) || ae.Code != 5 || !ae.Remote {
			t.Fatalf("server ended with %v, want the client's application close 5", err)
		}
		closes := w.cliLog.count(true, isType(wire.FrameTypeConnectionCloseApp))
		if closes < 2 {
			t.Errorf("client sent %d CONNECTION_CLOSE frames, want a repeat", closes)
		}
	})
}

// TestGROSplitByDestination checks that a coalesced receive holding packets
// for two connections is split between them.
func TestGROSplitByDestination(t *testing.T) {
	mk := func(id byte) []byte {
		b := make([]byte, 100)
		b[0] = 0x40
		for i := 1; i <= connIDLen; i++ {
			b[i] = id
		}
		return b
	}
	r := rxBuf{buf: rxPool.Get().(*[]byte), seg: 100}
	r.n = copy(*r.buf, append(mk(1), mk(1)...))
	if !sameDestination(&r) {
		t.Error("two segments for one ID reported as different")
	}
	r.n = copy(*r.buf, append(append(mk(1), mk(1)...), mk(2)...))
	if sameDestination(&r) {
		t.Error("segments for two IDs reported as one")
	}
	e := &Endpoint{conns: map[string]*Conn{}, resets: map[[16]byte]*Conn{}}
	c1 := &Conn{wakeCh: make(chan struct{}, 1)}
	c2 := &Conn{wakeCh: make(chan struct{}, 1)}
	e.conns[string(mk(1)[1:1+connIDLen])] = c1
	e.conns[string(mk(2)[1:1+connIDLen])] = c2
	var batch routeBatch
	if e.route(&r, &batch, time.Now()) {
		t.Fatal("split message handed over whole")
	}
	batch.flush()
	if len(c1.inbox) != 2 || len(c2.inbox) != 1 {
		t.Fatalf("inboxes %d and %d, want 2 and 1", len(c1.inbox), len(c2.inbox))
	}
	r.release()
}

func TestWireNewReno(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWireTest(t, netsim.Impairment{Delay: 10 * time.Millisecond, Loss: 0.01},
			func(s, c *Config) { c.CongestionControl = NewReno }, true)
		sendAndCheck(t, w, 500<<10)
		w.cli.Close()
		<-w.cli.doneCh
		if _, ok := w.cli.state.loss.det.Controller().(*congestion.RenoController); !ok {
			t.Errorf("client controller is %T, want NewReno",
				w.cli.state.loss.det.Controller())
		}
		<-w.srv.doneCh
		if _, ok := w.srv.state.loss.det.Controller().(*congestion.CubicController); !ok {
			t.Errorf("server controller is %T, want CUBIC (the default)",
				w.srv.state.loss.det.Controller())
		}
	})
}
