package netsim

import (
	"sync"
	"time"
)

// deadline is a settable point in time exposed as a channel that is closed
// once the point has passed, so a blocked reader can select on it and a later
// Set wakes it. It uses only standard timers, so it follows fake time under
// testing/synctest.
type deadline struct {
	mu      sync.Mutex
	timer   *time.Timer
	at      time.Time     // the deadline; zero if none
	expired chan struct{} // closed when the deadline has passed
}

func newDeadline() *deadline {
	return &deadline{expired: make(chan struct{})}
}

// set moves the deadline to t; the zero Time means none.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if isClosed(d.expired) {
		d.expired = make(chan struct{})
	}
	d.at = t
	if t.IsZero() {
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		close(d.expired)
		return
	}
	ch := d.expired
	d.timer = time.AfterFunc(wait, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		// A Set after this timer was created replaced or reset the channel;
		// only the channel this timer was made for may be closed.
		if d.expired == ch && !isClosed(ch) {
			close(ch)
		}
	})
}

// wait returns a channel closed when the deadline passes.
func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.expired
}

// passed reports whether the deadline has passed. It compares against the
// clock as well as the channel, because the timer that closes the channel may
// not have run yet when the deadline is reached.
func (d *deadline) passed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return isClosed(d.expired) || (!d.at.IsZero() && !time.Now().Before(d.at))
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
