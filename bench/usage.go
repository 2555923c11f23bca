package bench

import (
	"runtime"
	"syscall"
	"time"
)

// Usage is a snapshot of this process's resource use: CPU time (user plus
// system, from getrusage) and the number of heap allocations so far.
type Usage struct {
	CPU    time.Duration
	Allocs uint64
}

// ReadUsage returns the current Usage of the process. It is safe to call from
// any goroutine; it stops the world briefly (runtime.ReadMemStats), so call it
// only around a measured interval, not inside it.
func ReadUsage() Usage {
	var ru syscall.Rusage
	var u Usage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		u.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	u.Allocs = ms.Mallocs
	return u
}

// Sub returns the usage between an earlier snapshot o and u.
func (u Usage) Sub(o Usage) Usage {
	return Usage{CPU: u.CPU - o.CPU, Allocs: u.Allocs - o.Allocs}
}
