package state

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/redistest"
)

// failoverDown reports f's outage state.
func failoverDown(f *Failover) (down bool, backoff time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down, f.backoff
}

// A caller that hung up (cancelled context) or whose deadline is spent
// still gets its answer from Redis, bounded by the timeout alone, and
// never moves the node to local counting.
func TestCallerHangingUpIsNotAnOutage(t *testing.T) {
	s := redistest.StartT(t)
	c := newClient(t, s.Addr())
	remote := newAttempts(t, c, Limits{Max: 3, Window: time.Minute}, 500*time.Millisecond)
	local, _ := newTestAttempts(3, time.Minute, 0)
	var logs recordedLogs
	f := NewFailover(remote, local, slog.New(&logs))

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	spent, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for name, ctx := range map[string]context.Context{"cancelled": cancelled, "deadline spent": spent} {
		t.Run(name, func(t *testing.T) {
			key := account("hangup " + name)
			if d := f.LockedFor(ctx, key); d != 0 {
				t.Fatalf("LockedFor %v on a fresh key", d)
			}
			r, err := f.Reserve(ctx, key)
			if err != nil {
				t.Fatalf("Reserve: %v", err)
			}
			if n := zcard(t, remote, c, key, "claims"); n != 1 {
				t.Fatalf("%d claims in Redis, want the attempt reserved there", n)
			}
			if r.Failed(ctx); zcard(t, remote, c, key, "fails") != 1 {
				t.Fatal("the failure was not counted in Redis")
			}
			if down, _ := failoverDown(f); down || local.size() != 0 {
				t.Fatalf("the node moved to local counting (down %v, local keys %d)", down, local.size())
			}
		})
	}
	if n := logs.count("unreachable"); n != 0 {
		t.Fatalf("%d outage warnings for callers that hung up:\n%s", n, logs.all())
	}
}

// When every connection of the node's Redis client is in use (here: held
// by blocking commands), a call fails with ErrBusy within the timeout,
// the node keeps counting in Redis, and the next call after the pool
// frees up is served by Redis.
func TestPoolExhaustionIsNotAnOutage(t *testing.T) {
	s := redistest.StartT(t)
	const timeout = 300 * time.Millisecond
	client, err := NewRedisClient(RedisOptions{Addrs: []string{s.Addr()}}, timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	remote := newAttempts(t, client, Limits{Max: 3, Window: time.Minute}, timeout)
	local, _ := newTestAttempts(3, time.Minute, 0)
	var logs recordedLogs
	f := NewFailover(remote, local, slog.New(&logs))
	ctx := context.Background()
	mustReserve(t, f, account("warm")).Cancel(ctx)

	// Hold every connection with a blocking pop that only a push ends.
	size := client.(*redis.Client).Options().PoolSize
	var held sync.WaitGroup
	for range size {
		held.Add(1)
		go func() { defer held.Done(); client.BLPop(ctx, 30*time.Second, "hold") }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for st := client.PoolStats(); int(st.TotalConns) < size || st.IdleConns > 0; st = client.PoolStats() {
		if time.Now().After(deadline) {
			t.Fatalf("the pool did not fill: %+v", st)
		}
		time.Sleep(5 * time.Millisecond) // polling the pool's state
	}

	start := time.Now()
	_, err = f.Reserve(ctx, account("ann"))
	if !errors.Is(err, ErrBusy) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("Reserve with the pool exhausted: %v, want ErrBusy only", err)
	}
	if d := time.Since(start); d > timeout+200*time.Millisecond {
		t.Fatalf("the busy answer took %v, bound is %v", d, timeout)
	}
	f.LockedFor(ctx, account("ann"))
	if down, _ := failoverDown(f); down || logs.count("unreachable") != 0 {
		t.Fatalf("pool exhaustion moved the node to local counting:\n%s", logs.all())
	}

	pusher := newClient(t, s.Addr())
	for range size {
		if err := pusher.RPush(ctx, "hold", "x").Err(); err != nil {
			t.Fatal(err)
		}
	}
	held.Wait()
	r := mustReserve(t, f, account("ann"))
	if n := zcard(t, remote, client, account("ann"), "claims"); n != 1 {
		t.Fatalf("%d claims in Redis after the pool freed up, want 1", n)
	}
	r.Cancel(ctx)
}

// pausing wraps a RedisAttempts so a test can hold one call in flight
// (keyed calls wait for release before reaching Redis).
type pausing struct {
	*RedisAttempts
	key     string
	entered chan struct{}
	release chan struct{}
}

func (p *pausing) LockedForErr(ctx context.Context, key string) (time.Duration, error) {
	if key == p.key {
		close(p.entered)
		<-p.release
	}
	return p.RedisAttempts.LockedForErr(ctx, key)
}

// Only the probe ends an outage: a call that started before the outage
// and succeeds after it neither ends the outage nor resets its backoff, so
// one outage gives one warning however the calls interleave.
func TestOnlyTheProbeEndsAnOutage(t *testing.T) {
	s := redistest.StartT(t)
	c := newClient(t, s.Addr())
	remote := &pausing{RedisAttempts: newAttempts(t, c, Limits{Max: 3, Window: time.Minute}, 500*time.Millisecond),
		key: account("slow"), entered: make(chan struct{}), release: make(chan struct{})}
	local, clock := newTestAttempts(3, time.Minute, 0)
	var logs recordedLogs
	f := NewFailover(remote, local, slog.New(&logs))
	f.now = clock.Now
	ctx := context.Background()

	// A key Redis answers with an error (WRONGTYPE): a real failed call.
	broken := account("broken")
	if err := c.Set(ctx, remote.prefix+"{"+broken+"}:claims", "not a sorted set", 0).Err(); err != nil {
		t.Fatal(err)
	}

	stray := make(chan time.Duration)
	go func() { stray <- f.LockedFor(ctx, account("slow")) }()
	<-remote.entered // in flight, before the outage

	if _, err := f.Reserve(ctx, broken); err != nil {
		t.Fatalf("Reserve falls back to local counting, got %v", err)
	}
	clock.advance(failoverMinBackoff)
	if _, err := f.Reserve(ctx, broken); err != nil { // a failed probe
		t.Fatal(err)
	}
	if down, backoff := failoverDown(f); !down || backoff != 2*failoverMinBackoff {
		t.Fatalf("after a failed probe: down %v, backoff %v; want down, %v", down, backoff, 2*failoverMinBackoff)
	}

	close(remote.release)
	<-stray // succeeded late
	if down, backoff := failoverDown(f); !down || backoff != 2*failoverMinBackoff {
		t.Fatalf("a late success changed the outage: down %v, backoff %v", down, backoff)
	}
	if _, err := f.Reserve(ctx, broken); err != nil { // within the backoff: local, no warning
		t.Fatal(err)
	}
	if n := logs.count("unreachable"); n != 1 {
		t.Fatalf("%d outage warnings, want 1:\n%s", n, logs.all())
	}

	clock.advance(2 * failoverMinBackoff)
	mustReserve(t, f, account("ok")).Cancel(ctx) // the probe succeeds
	if down, _ := failoverDown(f); down || logs.count("answers again") != 1 {
		t.Fatalf("the successful probe did not end the outage:\n%s", logs.all())
	}
}
