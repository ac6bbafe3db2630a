package ldapauth

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestFlightGroupMergesConcurrentCalls(t *testing.T) {
	var g flightGroup
	var calls atomic.Int32
	release := make(chan struct{})
	const n = 50
	var wg sync.WaitGroup
	results := make(chan decision, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, _ := g.do(context.Background(), "key", func() decision {
				calls.Add(1)
				<-release
				return decision{outcome: OutcomeGranted, username: "alice"}
			})
			results <- d
		}()
	}
	for g.inFlight() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others queue behind the leader
	close(release)
	wg.Wait()
	close(results)
	for d := range results {
		if d.outcome != OutcomeGranted || d.username != "alice" {
			t.Fatalf("a caller got %+v", d)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("fn ran %d times for concurrent identical keys, want 1", calls.Load())
	}
	if g.inFlight() != 0 {
		t.Fatal("flight not cleaned up")
	}
}

func TestFlightGroupWaiterHonoursContext(t *testing.T) {
	var g flightGroup
	release := make(chan struct{})
	go g.do(context.Background(), "key", func() decision { <-release; return decision{} })
	for g.inFlight() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	d, shared := g.do(ctx, "key", func() decision { t.Fatal("second fn ran"); return decision{} })
	if !shared || d.outcome != OutcomeUnavailable {
		t.Fatalf("waiter got %+v shared=%v, want unavailable", d, shared)
	}
	close(release)
}

func TestFlightGroupReleasesWaitersOnPanic(t *testing.T) {
	var g flightGroup
	func() {
		defer func() { _ = recover() }()
		g.do(context.Background(), "key", func() decision { panic("boom") })
	}()
	if g.inFlight() != 0 {
		t.Fatal("a panicking leader left its flight registered")
	}
	d, shared := g.do(context.Background(), "key", func() decision { return decision{outcome: OutcomeGranted} })
	if shared || d.outcome != OutcomeGranted {
		t.Fatalf("after a panic: %+v shared=%v", d, shared)
	}
}
