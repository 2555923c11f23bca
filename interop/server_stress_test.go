package interop

import (
	"context"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peregrine-h3/peregrine/server"
	"github.com/peregrine-h3/peregrine/server/demo"
)

// TestServerStress runs only with PEREGRINE_STRESS=1: 200 concurrent requests,
// 10 parallel streaming uploads and a burst of 1000 QUIC datagrams against one server.
func TestServerStress(t *testing.T) {
	if os.Getenv("PEREGRINE_STRESS") != "1" {
		t.Skip("set PEREGRINE_STRESS=1 to run the stress test")
	}
	ps := startPeregrine(t, server.Options{MaxStreams: 300})
	cl, _ := ps.client(t)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 200 {
		wg.Go(func() {
			resp, err := cl.Get(ps.url + "/bytes/10000")
			if err != nil {
				t.Error(err)
				failed.Add(1)
				return
			}
			n, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || n != 10000 || resp.StatusCode != 200 {
				t.Errorf("GET /bytes/10000: %d, %d bytes, %v", resp.StatusCode, n, err)
				failed.Add(1)
			}
		})
	}
	for i := range 10 {
		wg.Go(func() {
			if err := upload(cl, ps.url, 1_000_000, 64<<10, uint64(100+i)); err != nil {
				t.Error(err)
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	t.Logf("210 requests, %d failed", failed.Load())

	ctx, cancel := context.WithTimeout(context.Background(), serverTestTimeout)
	defer cancel()
	conn := ps.dialQUIC(t, ctx, demo.EchoALPN)
	var echoed atomic.Int32
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		for {
			if _, err := conn.ReceiveDatagram(ctx); err != nil {
				return
			}
			echoed.Add(1)
		}
	}()
	for i := range 1000 {
		if err := conn.SendDatagram([]byte{byte(i), byte(i >> 8), 'x'}); err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
	}
	// Wait until the echoes stop coming for 200 ms.
	for last := int32(-1); last != echoed.Load(); {
		last = echoed.Load()
		time.Sleep(200 * time.Millisecond)
	}
	st := ps.srv.Stats()
	t.Logf("QUIC datagram burst: sent 1000, echoed %d; server %d in, %d out, %d dropped",
		echoed.Load(), st.DatagramsIn, st.DatagramsOut, st.DatagramsDropped)
	if echoed.Load() == 0 {
		t.Fatal("no datagram of the burst was echoed")
	}
	cancel()
	<-recvDone
}
