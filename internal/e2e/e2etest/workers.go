package e2etest

import "sync"

// Workers is a load of goroutines that each call one function over and
// over until stopped: the clients of a flood or of a reload under load.
type Workers struct {
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// StartWorkers starts n goroutines; goroutine w calls fn(w, i) for i = 0,
// 1, 2 ... until Stop, or until fn returns false (a worker that found a
// failure and reported it).
func StartWorkers(n int, fn func(worker, i int) bool) *Workers {
	w := &Workers{stop: make(chan struct{}), done: make(chan struct{})}
	var wg sync.WaitGroup
	for worker := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-w.stop:
					return
				default:
				}
				if !fn(worker, i) {
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(w.done) }()
	return w
}

// Done is closed once every worker has ended: after Stop, or earlier if
// every worker's fn returned false.
func (w *Workers) Done() <-chan struct{} { return w.done }

// Stop tells the workers to end after their current call and waits for
// them. Calling it again does nothing more.
func (w *Workers) Stop() {
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.done
}
