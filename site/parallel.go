package site

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallel calls fn(0) ... fn(n-1) on all cores and returns when all are
// done. fn must be safe to run concurrently for different i.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}
