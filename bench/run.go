package bench

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// RunBulk fetches size bytes on each of streams streams of every connection at
// once, in rounds, until d has passed (at least one round), and returns the
// bytes received and the time taken. It stops at the first error.
func RunBulk(ctx context.Context, conns []*Conn, streams int, size int64,
	d time.Duration) (int64, time.Duration, error) {
	start := time.Now()
	var total int64
	for {
		n, err := bulkRound(ctx, conns, streams, size)
		total += n
		if err != nil {
			return total, time.Since(start), err
		}
		if time.Since(start) >= d {
			return total, time.Since(start), nil
		}
	}
}

// bulkRound runs one transfer per stream of every connection concurrently.
func bulkRound(ctx context.Context, conns []*Conn, streams int, size int64) (int64, error) {
	var (
		wg    sync.WaitGroup
		total atomic.Int64
		mu    sync.Mutex
		first error
	)
	for _, c := range conns {
		for range streams {
			wg.Go(func() {
				buf := make([]byte, 64<<10)
				n, err := c.Fetch(ctx, size, buf)
				total.Add(n)
				if err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return total.Load(), first
}

func cmpErr(old, err error) error {
	if old != nil {
		return old
	}
	return err
}

// RunHandshakes dials and closes connections to addr one after another until d
// has passed and returns how many handshakes completed and the time taken.
func RunHandshakes(ctx context.Context, cl *Client, addr net.Addr,
	d time.Duration) (int, time.Duration, error) {
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		c, err := cl.Dial(ctx, addr)
		if err != nil {
			return n, time.Since(start), err
		}
		c.Close()
		n++
	}
	return n, time.Since(start), nil
}

// RunGets sends GET requests to the server at addr from conc goroutines over
// clients (round robin) until d has passed and returns how many completed
// and the time taken. It stops at the first error.
func RunGets(ctx context.Context, clients []*H3Client, addr net.Addr, conc int,
	d time.Duration) (int64, time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		count atomic.Int64
		mu    sync.Mutex
		first error
	)
	start := time.Now()
	deadline := start.Add(d)
	for i := range conc * len(clients) {
		cl := clients[i%len(clients)]
		wg.Go(func() {
			err := getLoop(ctx, cl, addr, deadline, &count)
			if err != nil {
				mu.Lock()
				first = cmpErr(first, err)
				mu.Unlock()
				cancel()
			}
		})
	}
	wg.Wait()
	return count.Load(), time.Since(start), first
}

func getLoop(ctx context.Context, cl *H3Client, addr net.Addr, deadline time.Time,
	count *atomic.Int64) error {
	req, err := NewGet(ctx, addr)
	if err != nil {
		return err
	}
	buf := make([]byte, 16<<10)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if _, err := cl.Get(req, buf); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		count.Add(1)
	}
	return nil
}
