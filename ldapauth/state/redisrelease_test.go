package state

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/redistest"
)

// roundTrips counts the commands and pipelines a client sends: each is one
// round trip to Redis.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.n.Add(1); return next(ctx, cmd) }
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.n.Add(1); return next(ctx, cmds) }
}

var _ redis.Hook = (*roundTrips)(nil)

// With deferred release, a successful attempt costs one round trip: the
// reservation. Its release travels ahead of the next call in the same
// pipeline, so that call already sees the slot free and the failures
// forgotten.
func TestDeferredReleaseCostsOneRoundTrip(t *testing.T) {
	s := redistest.StartT(t)
	c := newClient(t, s.Addr())
	trips := &roundTrips{}
	c.AddHook(trips)
	look := newClient(t, s.Addr()) // for the test's own reads
	a := newAttempts(t, c, Limits{Max: 2, Window: time.Minute}, time.Second, WithDeferredRelease(time.Hour))
	ctx := context.Background()
	key := account("ann")
	mustReserve(t, a, key).Failed(ctx) // loads the scripts; one failure counted

	before := trips.n.Load()
	r := mustReserve(t, a, key) // failures 1 + claims 1 = Max
	r.Succeeded(ctx)
	if got := trips.n.Load() - before; got != 1 {
		t.Fatalf("reserve and release took %d round trips, want 1", got)
	}
	if zcard(t, a, look, key, "claims") != 1 || zcard(t, a, look, key, "fails") != 1 {
		t.Fatal("the release was sent before any other call")
	}
	// Without the release this Reserve would find the bound reached.
	r = mustReserve(t, a, key)
	if got := trips.n.Load() - before; got != 2 {
		t.Fatalf("the next reserve carrying the release took %d round trips in all, want 2", got)
	}
	if zcard(t, a, look, key, "fails") != 0 || zcard(t, a, look, key, "claims") != 1 {
		t.Fatal("the release did not reach Redis ahead of the next call")
	}
	r.Cancel(ctx)
	if _, err := a.LockedForErr(ctx, key); err != nil {
		t.Fatal(err)
	}
	if zcard(t, a, look, key, "claims") != 0 {
		t.Fatal("a deferred Cancel did not free the slot")
	}
}

// A release with no call to ride on is sent alone after the delay; one
// queued while Redis forgot the scripts (restart, SCRIPT FLUSH) still
// arrives.
func TestDeferredReleaseIsSentAlone(t *testing.T) {
	s := redistest.StartT(t)
	c := newClient(t, s.Addr())
	a := newAttempts(t, c, Limits{Max: 3, Window: time.Minute}, time.Second, WithDeferredRelease(20*time.Millisecond))
	ctx := context.Background()
	key := account("bea")
	waitClaims := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for zcard(t, a, c, key, "claims") != want {
			if time.Now().After(deadline) {
				t.Fatalf("claims did not reach %d", want)
			}
			time.Sleep(5 * time.Millisecond) // polling Redis
		}
	}
	mustReserve(t, a, key).Succeeded(ctx)
	waitClaims(0)

	first, second := mustReserve(t, a, key), mustReserve(t, a, key)
	first.Cancel(ctx)
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	second.Cancel(ctx)
	if zcard(t, a, c, key, "claims") != 2 {
		t.Fatal("releases were not deferred")
	}
	waitClaims(0)
	mustReserve(t, a, key).Cancel(ctx)
	waitClaims(0)
}

// BenchmarkReserveAndRelease is one successful attempt's Redis work from
// 8 callers at once: reserve, then release, with the release awaited
// (Awaited) or travelling with the next call (Deferred), in the same run.
func BenchmarkReserveAndRelease(b *testing.B) {
	s := redistest.StartT(b)
	c := newClient(b, s.Addr())
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts []RedisOption
	}{
		{"Awaited", nil},
		{"Deferred", []RedisOption{WithDeferredRelease(5 * time.Millisecond)}},
	} {
		a := newAttempts(b, c, Limits{Max: 1000, Window: time.Minute}, 5*time.Second, tc.opts...)
		b.Run(tc.name, func(b *testing.B) {
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				key := account(tc.name + strconv.FormatInt(next.Add(1), 10))
				for pb.Next() {
					r, err := a.Reserve(ctx, key)
					if err != nil {
						b.Error(err)
						return
					}
					r.Succeeded(ctx)
				}
			})
		})
	}
}

// holdFirstPipeline blocks the first pipeline sent until release is
// closed, after closing entered; later ones pass.
type holdFirstPipeline struct {
	once             sync.Once
	entered, release chan struct{}
}

func (h *holdFirstPipeline) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *holdFirstPipeline) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *holdFirstPipeline) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		first := false
		h.once.Do(func() { first = true })
		if first {
			close(h.entered)
			<-h.release
		}
		return next(ctx, cmds)
	}
}

// A call for an account never overtakes a release for it that another
// call is still carrying, and does not wait for that call either: it sends
// a copy of the release ahead of itself, so it sees the slot freed and the
// failures forgotten while the other pipeline is still held. The copy
// arriving second changes nothing.
func TestCallsNeverOvertakeAReleaseInFlight(t *testing.T) {
	s := redistest.StartT(t)
	c := newClient(t, s.Addr())
	look := newClient(t, s.Addr())
	a := newAttempts(t, c, Limits{Max: 2, Window: time.Minute}, 5*time.Second, WithDeferredRelease(time.Hour))
	ctx := context.Background()
	key := account("cy")
	mustReserve(t, a, key).Failed(ctx)
	mustReserve(t, a, key).Succeeded(ctx) // queued: 1 failure and 1 claim still in Redis

	hold := &holdFirstPipeline{entered: make(chan struct{}), release: make(chan struct{})}
	c.AddHook(hold)
	carrier := make(chan error, 1)
	go func() { _, err := a.LockedForErr(ctx, account("someone else")); carrier <- err }()
	<-hold.entered // the release is on its way, held

	r, err := a.Reserve(ctx, key)
	if err != nil {
		t.Fatalf("Reserve while the release is held elsewhere: %v, want the slot free and the failure forgotten", err)
	}
	r.Failed(ctx) // a failure after the success must survive the held release arriving late
	close(hold.release)
	if err := <-carrier; err != nil {
		t.Fatal(err)
	}
	if n := zcard(t, a, look, key, "fails"); n != 1 {
		t.Fatalf("%d failures after the late release, want the 1 recorded after the success", n)
	}
}
