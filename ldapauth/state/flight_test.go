package state

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// waitersJoined makes a Flight report each caller that starts waiting.
func waitersJoined[T any](f *Flight[T]) <-chan string {
	ch := make(chan string, 1024)
	f.joined = func(key string) { ch <- key }
	return ch
}

func TestFlightMergesConcurrentCalls(t *testing.T) {
	var f Flight[int]
	joined := waitersJoined(&f)
	release := make(chan struct{})
	var runs atomic.Int32
	const callers = 50
	results := make(chan int, callers)
	var shared atomic.Int32
	var wg sync.WaitGroup
	leaderStarted := make(chan struct{})
	wg.Add(1)
	go func() { // the leader: blocks until every other caller waits
		defer wg.Done()
		v, s, err := f.Do(context.Background(), "k", func() int {
			close(leaderStarted)
			runs.Add(1)
			<-release
			return 42
		})
		if err != nil || s {
			t.Errorf("leader: shared=%v err=%v", s, err)
		}
		results <- v
	}()
	<-leaderStarted
	for range callers - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, s, err := f.Do(context.Background(), "k", func() int { runs.Add(1); return -1 })
			if err != nil {
				t.Errorf("waiter: %v", err)
			}
			if s {
				shared.Add(1)
			}
			results <- v
		}()
	}
	for range callers - 1 {
		<-joined
	}
	close(release)
	wg.Wait()
	close(results)
	for v := range results {
		if v != 42 {
			t.Fatalf("a caller got %d, want the leader's 42", v)
		}
	}
	if runs.Load() != 1 || shared.Load() != callers-1 {
		t.Fatalf("fn ran %d times, %d callers shared; want 1 and %d", runs.Load(), shared.Load(), callers-1)
	}
	if f.inFlight() != 0 {
		t.Fatalf("%d flights left", f.inFlight())
	}
}

func TestFlightWaiterHonoursItsContext(t *testing.T) {
	var f Flight[int]
	joined := waitersJoined(&f)
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_, _, _ = f.Do(context.Background(), "k", func() int { close(started); <-release; return 1 })
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, shared, err := f.Do(ctx, "k", func() int { return 2 })
		if !shared {
			err = errors.New("the waiter ran its own check")
		}
		done <- err
	}()
	<-joined
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("waiter returned %v, want context.Canceled", err)
	}
	close(release)
}

// A panicking leader releases its waiter with ErrAbandoned, frees the key,
// and the panic reaches the leader's caller.
func TestFlightReleasesWaitersOnPanic(t *testing.T) {
	var f Flight[int]
	joined := waitersJoined(&f)
	release := make(chan struct{})
	started := make(chan struct{})
	leaderPanic := make(chan any, 1)
	go func() {
		defer func() { leaderPanic <- recover() }()
		_, _, _ = f.Do(context.Background(), "k", func() int { close(started); <-release; panic("boom") })
	}()
	<-started
	waiter := make(chan error, 1)
	go func() {
		_, shared, err := f.Do(context.Background(), "k", func() int { return 0 })
		if !shared {
			err = errors.New("the waiter ran its own check")
		}
		waiter <- err
	}()
	<-joined
	close(release)
	if err := <-waiter; !errors.Is(err, ErrAbandoned) {
		t.Fatalf("waiter got %v, want ErrAbandoned", err)
	}
	if p := <-leaderPanic; p != "boom" {
		t.Fatalf("leader's caller recovered %v, want the panic", p)
	}
	v, shared, err := f.Do(context.Background(), "k", func() int { return 7 })
	if v != 7 || shared || err != nil {
		t.Fatalf("after the panic: %d %v %v; the key was not freed", v, shared, err)
	}
}
