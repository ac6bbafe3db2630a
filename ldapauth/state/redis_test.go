package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/redistest"
)

// account stands in for the caller's HMAC of a username.
func account(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:16])
}

func newClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return c
}

func newAttempts(t testing.TB, c redis.UniversalClient, l Limits, timeout time.Duration, opts ...RedisOption) *RedisAttempts {
	t.Helper()
	a, err := NewRedisAttempts(c, "ldapauth:", l, timeout, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustReserve(t testing.TB, a Attempts, key string) Reservation {
	t.Helper()
	r, err := a.Reserve(context.Background(), key)
	if err != nil {
		t.Fatalf("Reserve: %v", err)
	}
	return r
}

func wantLocked(t testing.TB, a Attempts, key string, lo, hi time.Duration) {
	t.Helper()
	_, err := a.Reserve(context.Background(), key)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Reserve: %v, want *LockedError", err)
	}
	if le.RetryAfter < lo || le.RetryAfter > hi {
		t.Fatalf("RetryAfter %v, want within [%v, %v]", le.RetryAfter, lo, hi)
	}
}

// raceReserve starts n goroutines that reserve key at the same moment on
// the given Attempts (round robin) and sorts what they got.
func raceReserve(t *testing.T, n int, key string, attempts ...Attempts) (granted []Reservation, locked int, other []error) {
	t.Helper()
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range n {
		a := attempts[i%len(attempts)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := a.Reserve(context.Background(), key)
			mu.Lock()
			defer mu.Unlock()
			var le *LockedError
			switch {
			case err == nil:
				granted = append(granted, r)
			case errors.As(err, &le):
				locked++
			default:
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return granted, locked, other
}

// zcard counts the members of one of key's sorted sets ("fails", "claims").
func zcard(t testing.TB, a *RedisAttempts, c redis.UniversalClient, key, which string) int64 {
	t.Helper()
	n, err := c.ZCard(context.Background(), a.prefix+"{"+key+"}:"+which).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNewRedisAttemptsValidates(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never used
	defer c.Close()
	ok := Limits{Max: 3, Window: time.Minute}
	tests := []struct {
		name    string
		client  redis.UniversalClient
		prefix  string
		limits  Limits
		timeout time.Duration
		opts    []RedisOption
		valid   bool
	}{
		{"valid", c, "ldapauth:", ok, time.Second, nil, true},
		{"empty prefix", c, "", ok, time.Second, nil, true},
		{"nil client", nil, "p:", ok, time.Second, nil, false},
		{"brace in prefix", c, "p{x}:", ok, time.Second, nil, false},
		{"closing brace in prefix", c, "p}:", ok, time.Second, nil, false},
		{"max 0", c, "p:", Limits{Max: 0, Window: time.Minute}, time.Second, nil, false},
		{"window under 1ms", c, "p:", Limits{Max: 1, Window: time.Microsecond}, time.Second, nil, false},
		{"no timeout", c, "p:", ok, 0, nil, false},
		{"claim ttl 0", c, "p:", ok, time.Second, []RedisOption{WithClaimTTL(0)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := NewRedisAttempts(tc.client, tc.prefix, tc.limits, tc.timeout, tc.opts...)
			if tc.valid != (err == nil) || tc.valid != (a != nil) {
				t.Fatalf("NewRedisAttempts: %v, %v; want valid=%v", a, err, tc.valid)
			}
		})
	}
}

func TestDefaultClaimTTL(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never used
	defer c.Close()
	for _, tc := range []struct{ window, want time.Duration }{
		{time.Hour, 30 * time.Second},
		{10 * time.Second, 10 * time.Second},
	} {
		a, err := NewRedisAttempts(c, "p:", Limits{Max: 1, Window: tc.window}, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if a.claimTTL != tc.want {
			t.Errorf("window %v: claim TTL %v, want %v", tc.window, a.claimTTL, tc.want)
		}
	}
}

func TestKeysShareOneHashTag(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never used
	defer c.Close()
	a := newAttempts(t, c, Limits{Max: 1, Window: time.Second}, time.Second)
	got := a.keys("abc123")
	want := []string{"ldapauth:{abc123}:lock", "ldapauth:{abc123}:fails", "ldapauth:{abc123}:claims"}
	if !slices.Equal(got, want) {
		t.Fatalf("keys %q, want %q", got, want)
	}
}

func TestMillis(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want int64
	}{
		{0, 1}, {-time.Second, 1}, {time.Nanosecond, 1}, {time.Millisecond, 1},
		{1500 * time.Microsecond, 2}, {10 * time.Second, 10000},
	} {
		if got := millis(tc.in); got != tc.want {
			t.Errorf("millis(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestEmptyKeyIsRefused(t *testing.T) {
	s := redistest.StartT(t)
	a := newAttempts(t, newClient(t, s.Addr()), Limits{Max: 1, Window: time.Second}, time.Second)
	ctx := context.Background()
	if _, err := a.Reserve(ctx, ""); !errors.Is(err, ErrEmptyKey) {
		t.Fatalf("Reserve: %v", err)
	}
	if _, err := a.LockedForErr(ctx, ""); !errors.Is(err, ErrEmptyKey) {
		t.Fatalf("LockedForErr: %v", err)
	}
	if err := a.LockErr(ctx, "", time.Second); !errors.Is(err, ErrEmptyKey) {
		t.Fatalf("LockErr: %v", err)
	}
}

// However many requests arrive at once, exactly Max get a reservation.
func TestConcurrentReservesGetExactlyMax(t *testing.T) {
	s := redistest.StartT(t)
	a := newAttempts(t, newClient(t, s.Addr()), Limits{Max: 3, Window: time.Minute}, 10*time.Second)
	key := account("alice")
	granted, locked, other := raceReserve(t, 200, key, a)
	if len(other) > 0 {
		t.Fatalf("%d unexpected errors, first: %v", len(other), other[0])
	}
	if len(granted) != 3 || locked != 197 {
		t.Fatalf("%d granted, %d locked; want 3 and 197", len(granted), locked)
	}
	if n := zcard(t, a, a.client, key, "claims"); n != 3 {
		t.Fatalf("%d claims in Redis, want 3", n)
	}
}

func TestFailuresLockForWindow(t *testing.T) {
	s := redistest.StartT(t)
	const window = 10 * time.Second
	a := newAttempts(t, newClient(t, s.Addr()), Limits{Max: 3, Window: window}, 5*time.Second)
	ctx := context.Background()
	key := account("bob")
	for i := range 3 {
		if got, want := mustReserve(t, a, key).Failed(ctx), i == 2; got != want {
			t.Fatalf("failure %d: locked %v, want %v", i+1, got, want)
		}
	}
	if d := a.LockedFor(ctx, key); d <= window-time.Second || d > window {
		t.Fatalf("LockedFor %v, want just under %v", d, window)
	}
	wantLocked(t, a, key, window-time.Second, window)
	// Another account is not affected.
	mustReserve(t, a, account("carol")).Cancel(ctx)
	if d := a.LockedFor(ctx, account("carol")); d != 0 {
		t.Fatalf("unrelated account locked for %v", d)
	}
}

func TestSucceededForgetsFailures(t *testing.T) {
	s := redistest.StartT(t)
	rc := newClient(t, s.Addr())
	a := newAttempts(t, rc, Limits{Max: 3, Window: time.Minute}, 5*time.Second)
	ctx := context.Background()
	key := account("dave")
	for range 2 {
		if mustReserve(t, a, key).Failed(ctx) {
			t.Fatal("locked before Max")
		}
	}
	if n := zcard(t, a, rc, key, "fails"); n != 2 {
		t.Fatalf("%d failures stored, want 2", n)
	}
	mustReserve(t, a, key).Succeeded(ctx)
	if f, c := zcard(t, a, rc, key, "fails"), zcard(t, a, rc, key, "claims"); f != 0 || c != 0 {
		t.Fatalf("after success: %d failures, %d claims; want 0 and 0", f, c)
	}
	// Counting starts again: two more failures do not lock, a third does.
	for i := range 3 {
		if got, want := mustReserve(t, a, key).Failed(ctx), i == 2; got != want {
			t.Fatalf("failure %d after success: locked %v, want %v", i+1, got, want)
		}
	}
}

func TestSucceededKeepsLock(t *testing.T) {
	s := redistest.StartT(t)
	a := newAttempts(t, newClient(t, s.Addr()), Limits{Max: 3, Window: time.Minute}, 5*time.Second)
	ctx := context.Background()
	key := account("erin")
	r := mustReserve(t, a, key)
	a.Lock(ctx, key, 5*time.Second) // the directory reported the account locked meanwhile
	r.Succeeded(ctx)
	if d := a.LockedFor(ctx, key); d <= 0 {
		t.Fatal("Succeeded removed a lock")
	}
}

func TestCancelFreesSlotWithoutCounting(t *testing.T) {
	s := redistest.StartT(t)
	rc := newClient(t, s.Addr())
	const claimTTL = 20 * time.Second
	a := newAttempts(t, rc, Limits{Max: 1, Window: time.Minute}, 5*time.Second, WithClaimTTL(claimTTL))
	ctx := context.Background()
	key := account("frank")
	r := mustReserve(t, a, key)
	// The slot is taken until the claim would expire.
	wantLocked(t, a, key, claimTTL-2*time.Second, claimTTL)
	r.Cancel(ctx)
	mustReserve(t, a, key).Cancel(ctx)
	if n := zcard(t, a, rc, key, "fails"); n != 0 {
		t.Fatalf("%d failures after Cancel, want 0", n)
	}
}

// A node that dies mid-bind never settles; its claims expire.
func TestUnsettledClaimsExpire(t *testing.T) {
	s := redistest.StartT(t)
	rc := newClient(t, s.Addr())
	const claimTTL = 300 * time.Millisecond
	a := newAttempts(t, rc, Limits{Max: 2, Window: time.Minute}, 5*time.Second, WithClaimTTL(claimTTL))
	key := account("grace")
	start := time.Now()
	mustReserve(t, a, key)
	mustReserve(t, a, key)
	wantLocked(t, a, key, time.Millisecond, claimTTL)
	pttl, err := rc.PTTL(context.Background(), a.keys(key)[2]).Result()
	if err != nil || pttl <= 0 || pttl > claimTTL {
		t.Fatalf("claims key TTL %v %v, want within (0, %v]", pttl, err, claimTTL)
	}
	// Poll the real state until a slot frees.
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := a.Reserve(context.Background(), key)
		if err == nil {
			r.Cancel(context.Background())
			break
		}
		var le *LockedError
		if !errors.As(err, &le) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("claims never expired")
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
	// Redis and this process measure time separately; allow for the skew
	// between the two clocks' reading points.
	if d := time.Since(start); d < claimTTL-50*time.Millisecond {
		t.Fatalf("a slot freed after %v, before the claim TTL %v", d, claimTTL)
	}
}

// Every key expires on its own: nothing is left once the window passed.
func TestNothingOutlivesWindow(t *testing.T) {
	s := redistest.StartT(t)
	rc := newClient(t, s.Addr())
	const window = 400 * time.Millisecond
	a := newAttempts(t, rc, Limits{Max: 2, Window: window}, 5*time.Second)
	ctx := context.Background()
	key := account("heidi")
	mustReserve(t, a, key).Failed(ctx)
	if !mustReserve(t, a, key).Failed(ctx) {
		t.Fatal("not locked at Max")
	}
	mustReserve(t, a, account("ivan")) // a claim, never settled
	keys := append(a.keys(key), a.keys(account("ivan"))[2])
	for _, k := range []string{keys[0], keys[1], keys[3]} {
		pttl, err := rc.PTTL(ctx, k).Result()
		if err != nil || pttl <= 0 || pttl > window {
			t.Fatalf("%s TTL %v %v, want within (0, %v]", k, pttl, err, window)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := rc.Exists(ctx, keys...).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d keys still exist after the window", n)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
	mustReserve(t, a, key).Cancel(ctx)
}

func TestLock(t *testing.T) {
	s := redistest.StartT(t)
	rc := newClient(t, s.Addr())
	const window = 30 * time.Second
	a := newAttempts(t, rc, Limits{Max: 3, Window: window}, 5*time.Second)
	ctx := context.Background()
	key := account("judy")
	a.Lock(ctx, key, 0) // no-op
	if d := a.LockedFor(ctx, key); d != 0 {
		t.Fatalf("Lock(0) locked for %v", d)
	}
	a.Lock(ctx, key, 2*time.Second)
	if d := a.LockedFor(ctx, key); d <= time.Second || d > 2*time.Second {
		t.Fatalf("LockedFor %v, want just under 2s", d)
	}
	wantLocked(t, a, key, time.Second, 2*time.Second)
	a.Lock(ctx, key, 100*time.Millisecond) // a shorter lock keeps the longer one
	if d := a.LockedFor(ctx, key); d <= time.Second {
		t.Fatalf("a shorter Lock shortened the lock to %v", d)
	}
	a.Lock(ctx, key, 20*time.Second) // a longer one extends it
	if d := a.LockedFor(ctx, key); d <= 19*time.Second {
		t.Fatalf("a longer Lock did not extend the lock: %v", d)
	}
	// A lock key someone wrote without expiry counts as a lock for Window
	// and gets that expiry.
	other := account("mallory")
	if err := rc.Set(ctx, a.keys(other)[0], "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if d := a.LockedFor(ctx, other); d <= window-time.Second || d > window {
		t.Fatalf("lock without expiry: LockedFor %v, want about %v", d, window)
	}
	if pttl, err := rc.PTTL(ctx, a.keys(other)[0]).Result(); err != nil || pttl <= 0 {
		t.Fatalf("lock key still has no expiry: %v %v", pttl, err)
	}
}

func TestSettlesOnce(t *testing.T) {
	s := redistest.StartT(t)
	rc := newClient(t, s.Addr())
	a := newAttempts(t, rc, Limits{Max: 3, Window: time.Minute}, 5*time.Second)
	ctx := context.Background()
	key := account("ken")
	r := mustReserve(t, a, key).(*redisReservation)
	if _, err := r.FailedErr(ctx); err != nil {
		t.Fatal(err)
	}
	for name, again := range map[string]func() error{
		"Failed":    func() error { _, err := r.FailedErr(ctx); return err },
		"Succeeded": func() error { return r.SucceededErr(ctx) },
		"Cancel":    func() error { return r.CancelErr(ctx) },
	} {
		if err := again(); !errors.Is(err, ErrAlreadySettled) {
			t.Errorf("%s after Failed: %v, want ErrAlreadySettled", name, err)
		}
	}
	if n := zcard(t, a, rc, key, "fails"); n != 1 {
		t.Fatalf("%d failures, want 1", n)
	}
}

// A client that hangs up right after its bind still has the failure counted.
func TestSettlementIgnoresCancelledContext(t *testing.T) {
	s := redistest.StartT(t)
	rc := newClient(t, s.Addr())
	a := newAttempts(t, rc, Limits{Max: 3, Window: time.Minute}, 5*time.Second)
	key := account("leo")
	r := mustReserve(t, a, key)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.Failed(ctx)
	if n := zcard(t, a, rc, key, "fails"); n != 1 {
		t.Fatalf("%d failures after Failed with a cancelled context, want 1", n)
	}
	a.Lock(ctx, key, time.Minute)
	if d := a.LockedFor(context.Background(), key); d <= 0 {
		t.Fatal("Lock with a cancelled context did not lock")
	}
}

// Two gateway nodes (separate clients and Attempts) share one bound.
func TestTwoNodesShareTheBound(t *testing.T) {
	s := redistest.StartT(t)
	limits := Limits{Max: 3, Window: time.Minute}
	nodeA := newAttempts(t, newClient(t, s.Addr()), limits, 10*time.Second)
	nodeB := newAttempts(t, newClient(t, s.Addr()), limits, 10*time.Second)
	ctx := context.Background()
	key := account("mike")
	granted, locked, other := raceReserve(t, 200, key, nodeA, nodeB)
	if len(other) > 0 || len(granted) != 3 || locked != 197 {
		t.Fatalf("%d granted, %d locked, %d errors (%v); want 3, 197, 0", len(granted), locked, len(other), other)
	}
	// Failures recorded through A lock the account on B.
	locks := 0
	for _, r := range granted {
		if r.Failed(ctx) {
			locks++
		}
	}
	if locks != 1 {
		t.Fatalf("%d failures reported locking, want exactly the last one", locks)
	}
	if d := nodeB.LockedFor(ctx, key); d <= 0 {
		t.Fatal("node B does not see the lock")
	}
	wantLocked(t, nodeB, key, limits.Window-time.Second, limits.Window)
}

type opRecorder struct {
	mu   sync.Mutex
	ops  []string
	errs []error
}

func (o *opRecorder) handle(op string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ops = append(o.ops, op)
	o.errs = append(o.errs, err)
}

func (o *opRecorder) snapshot() ([]string, []error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.ops), slices.Clone(o.errs)
}

func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	var le *LockedError
	if !errors.Is(err, ErrUnavailable) || errors.As(err, &le) {
		t.Fatalf("%s: %v, want ErrUnavailable", what, err)
	}
}

// Redis killed: every call fails fast with ErrUnavailable, never as a
// lock; after a restart the same client and Attempts work again.
func TestRedisKilledThenRestarted(t *testing.T) {
	s := redistest.StartT(t)
	rec := &opRecorder{}
	const timeout = time.Second
	a := newAttempts(t, newClient(t, s.Addr()), Limits{Max: 3, Window: time.Minute}, timeout, WithErrorHandler(rec.handle))
	ctx := context.Background()
	key := account("nina")
	before := mustReserve(t, a, key).(*redisReservation)
	pending := mustReserve(t, a, key)
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"Reserve", func() error { _, err := a.Reserve(ctx, key); return err }},
		{"LockedForErr", func() error { _, err := a.LockedForErr(ctx, key); return err }},
		{"LockErr", func() error { return a.LockErr(ctx, key, time.Second) }},
		{"FailedErr", func() error { _, err := before.FailedErr(ctx); return err }},
	}
	for _, c := range calls {
		start := time.Now()
		err := c.call()
		if d := time.Since(start); d >= timeout {
			t.Errorf("%s took %v, want less than the %v timeout", c.name, d, timeout)
		}
		wantUnavailable(t, c.name, err)
	}
	// The interface methods report the same errors to the handler.
	if d := a.LockedFor(ctx, key); d != 0 {
		t.Fatalf("LockedFor while Redis is down: %v, want 0", d)
	}
	a.Lock(ctx, key, time.Second)
	pending.Succeeded(ctx)
	ops, errs := rec.snapshot()
	if !slices.Equal(ops, []string{"locked-for", "lock", "succeeded"}) {
		t.Fatalf("error handler saw %q", ops)
	}
	for i, err := range errs {
		wantUnavailable(t, ops[i], err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	// After repeated dial errors go-redis stops dialling and retries in the
	// background once a second, so the client may need up to about a second
	// to notice the server is back: poll for it.
	restarted := time.Now()
	var r Reservation
	for {
		var err error
		if r, err = a.Reserve(ctx, key); err == nil {
			break
		}
		wantUnavailable(t, "Reserve while the client reconnects", err)
		if time.Since(restarted) > 5*time.Second {
			t.Fatalf("client did not recover within 5s of the restart: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
	t.Logf("client usable %v after the restart", time.Since(restarted).Round(time.Millisecond))
	// The restarted server is empty (no persistence) and knows no script:
	// EVALSHA falls back to EVAL.
	if r.Failed(ctx) {
		t.Fatal("locked after one failure on a fresh server")
	}
	if d := a.LockedFor(ctx, key); d != 0 {
		t.Fatalf("LockedFor after restart: %v", d)
	}
}

// Redis frozen (connections accepted, nothing answered): calls end at the
// timeout even though the client itself would wait 3 s per read.
func TestRedisFrozenCallsEndAtTimeout(t *testing.T) {
	s := redistest.StartT(t)
	const timeout = 200 * time.Millisecond
	a := newAttempts(t, newClient(t, s.Addr()), Limits{Max: 3, Window: time.Minute}, timeout)
	ctx := context.Background()
	key := account("olga")
	r := mustReserve(t, a, key).(*redisReservation)
	if err := s.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Thaw(); err != nil {
			t.Error(err)
		}
	}()
	calls := []struct {
		name string
		call func() error
	}{
		{"Reserve", func() error { _, err := a.Reserve(ctx, key); return err }},
		{"FailedErr", func() error { _, err := r.FailedErr(ctx); return err }},
		{"LockedForErr", func() error { _, err := a.LockedForErr(ctx, key); return err }},
	}
	for _, c := range calls {
		start := time.Now()
		err := c.call()
		d := time.Since(start)
		wantUnavailable(t, c.name, err)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v, want a deadline error", c.name, err)
		}
		if d < timeout || d > timeout+time.Second {
			t.Errorf("%s ended after %v, want about %v", c.name, d, timeout)
		}
	}
}

// Only the timeout ends a call: the caller's shorter deadline does not cut
// it short (a request whose time is spent must not look like a Redis
// outage), and a frozen Redis still costs no more than the timeout.
func TestOnlyTheTimeoutBoundsACall(t *testing.T) {
	const timeout = 400 * time.Millisecond
	for _, tc := range []struct {
		name   string
		client func(addr string) redis.UniversalClient
	}{
		// run bounds the call on its own goroutine.
		{"client ignoring deadlines", func(addr string) redis.UniversalClient { return newClient(t, addr) }},
		// The client ends the call at the deadline itself.
		{"NewRedisClient", func(addr string) redis.UniversalClient {
			c, err := NewRedisClient(RedisOptions{Addrs: []string{addr}}, timeout)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := redistest.StartT(t)
			a := newAttempts(t, tc.client(s.Addr()), Limits{Max: 3, Window: time.Minute}, timeout)
			mustReserve(t, a, account("warm")).Cancel(context.Background())
			if err := s.Freeze(); err != nil {
				t.Fatal(err)
			}
			defer s.Thaw()
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := a.Reserve(ctx, account("pat"))
			wantUnavailable(t, "Reserve", err)
			if d := time.Since(start); d < timeout || d > timeout+time.Second {
				t.Fatalf("Reserve ended after %v, want about the %v timeout", d, timeout)
			}
		})
	}
}

func TestRedisAttemptsOnCluster(t *testing.T) {
	cl := redistest.StartClusterT(t)
	rc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs()})
	t.Cleanup(func() { rc.Close() })
	ctx := context.Background()
	limits := Limits{Max: 3, Window: time.Minute}
	a := newAttempts(t, rc, limits, 10*time.Second)

	t.Run("concurrent reserves get exactly Max", func(t *testing.T) {
		granted, locked, other := raceReserve(t, 200, account("quinn"), a)
		if len(other) > 0 || len(granted) != 3 || locked != 197 {
			t.Fatalf("%d granted, %d locked, %d errors (%v); want 3, 197, 0", len(granted), locked, len(other), other)
		}
		for _, r := range granted {
			r.Cancel(ctx)
		}
	})
	t.Run("failures lock", func(t *testing.T) {
		key := account("rita")
		for i := range 3 {
			if got, want := mustReserve(t, a, key).Failed(ctx), i == 2; got != want {
				t.Fatalf("failure %d: locked %v, want %v", i+1, got, want)
			}
		}
		wantLocked(t, a, key, limits.Window-time.Second, limits.Window)
	})
	t.Run("one slot per account, accounts on every node", func(t *testing.T) {
		nodes := map[string]bool{}
		for i := range 60 {
			key := account("user" + strconv.Itoa(i))
			mustReserve(t, a, key).Failed(ctx)
			slots := map[int64]bool{}
			var slot int64
			for _, k := range a.keys(key) {
				var err error
				if slot, err = rc.ClusterKeySlot(ctx, k).Result(); err != nil {
					t.Fatal(err)
				}
				slots[slot] = true
			}
			if len(slots) != 1 {
				t.Fatalf("account %d's keys span slots %v", i, slots)
			}
			// The master holding the account's failures counts a key in
			// that slot; the others count none.
			holders := 0
			for n := range redistest.ClusterSize {
				count, err := cl.Node(n).Do("CLUSTER", "COUNTKEYSINSLOT", strconv.FormatInt(slot, 10))
				if err != nil {
					t.Fatal(err)
				}
				if count != "0" {
					holders++
					nodes[cl.Node(n).Addr()] = true
				}
			}
			if holders != 1 {
				t.Fatalf("account %d's slot has keys on %d masters", i, holders)
			}
		}
		if len(nodes) != redistest.ClusterSize {
			t.Fatalf("60 accounts landed on %d of %d masters", len(nodes), redistest.ClusterSize)
		}
	})
}

// BenchmarkRedisReserveFailed measures one Reserve plus one Failed (two
// script round trips) against a real local redis-server, each iteration
// on a new account (the benchmark framework reruns the body, so accounts
// come from one counter).
func BenchmarkRedisReserveFailed(b *testing.B) {
	s := redistest.StartT(b)
	rc := redis.NewClient(&redis.Options{Addr: s.Addr(), PoolSize: 32})
	b.Cleanup(func() { rc.Close() })
	a := newAttempts(b, rc, Limits{Max: 3, Window: time.Minute}, 5*time.Second)
	ctx := context.Background()
	var accounts atomic.Int64
	once := func() error {
		r, err := a.Reserve(ctx, "bench-"+strconv.FormatInt(accounts.Add(1), 36))
		if err != nil {
			return err
		}
		_, err = r.(*redisReservation).FailedErr(ctx)
		return err
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := once(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := once(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// Nodes may run with different claim TTLs: a claim never shortens the
// claims key's expiry below another node's claim still in flight, and
// always extends it to cover its own.
func TestClaimsKeyCoversTheLongestClaim(t *testing.T) {
	s := redistest.StartT(t)
	rc := newClient(t, s.Addr())
	l := Limits{Max: 5, Window: time.Minute}
	long := newAttempts(t, rc, l, 5*time.Second, WithClaimTTL(20*time.Second))
	short := newAttempts(t, rc, l, 5*time.Second, WithClaimTTL(time.Second))
	for _, tc := range []struct {
		name        string
		first, then *RedisAttempts
	}{
		{"long then short", long, short},
		{"short then long", short, long},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := account(tc.name)
			mustReserve(t, tc.first, key)
			mustReserve(t, tc.then, key)
			pttl, err := rc.PTTL(context.Background(), long.keys(key)[2]).Result()
			if err != nil || pttl <= 10*time.Second {
				t.Fatalf("claims key TTL %v %v, want the long claim's (about 20s)", pttl, err)
			}
		})
	}
}
