package interop

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestH3GoawayUnderLoad shuts the server down gracefully while clients keep sending
// requests: every request the server started must complete at the client, and requests
// in flight when the GOAWAY went out must finish.
func TestH3GoawayUnderLoad(t *testing.T) {
	for _, p := range h3Pairings() {
		t.Run(p.name, func(t *testing.T) {
			srv, cli := p.server(t), p.client(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			url := "https://localhost:" + portOf(srv.addr) + "/slow"
			if _, err := get(ctx, cli.rt, url); err != nil {
				t.Fatal(err)
			}
			var ok atomic.Int64
			ok.Add(1)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 200; i++ {
						select {
						case <-stop:
							return
						default:
						}
						body, err := get(ctx, cli.rt, url)
						if err != nil {
							return // refused after shutdown: the server never started it
						}
						if body == "slow" {
							ok.Add(1)
						}
					}
				}()
			}
			time.Sleep(150 * time.Millisecond)
			before := srv.handled.Load()
			sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
			err := srv.shutdown(sctx)
			scancel()
			close(stop)
			wg.Wait()
			if err != nil {
				t.Fatalf("graceful shutdown: %v", err)
			}
			handled := srv.handled.Load()
			if before < 2 || handled != ok.Load() {
				t.Fatalf("server started %d requests (%d before shutdown), client got %d",
					handled, before, ok.Load())
			}
		})
	}
}
