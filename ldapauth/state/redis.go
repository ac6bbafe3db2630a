package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrUnavailable is wrapped by every error that comes from Redis (refused
// or reset connections, timeouts, error replies such as CLUSTERDOWN or
// NOAUTH): the shared state could not be read or changed. It is never a
// *LockedError. When the caller's own context ended first, the error also
// wraps context.Canceled or context.DeadlineExceeded.
var ErrUnavailable = errors.New("state: redis unavailable")

// ErrBusy is wrapped by the error of a call that never reached Redis
// because every connection of this node's Redis client stayed in use for
// as long as the call could wait: this node is saturated, which says
// nothing about Redis. It never wraps ErrUnavailable.
var ErrBusy = errors.New("state: every Redis connection of this node is in use")

// ErrAlreadySettled is returned by the Err variants of a Reservation's
// methods when one of them already ran.
var ErrAlreadySettled = errors.New("state: reservation already settled")

// ErrEmptyKey is returned for an empty account key: it would give the
// account's Redis keys an empty hash tag, which Redis Cluster ignores, so
// they could land in different slots.
var ErrEmptyKey = errors.New("state: empty account key")

// RedisAttempts is an Attempts whose counts live in Redis, so every gateway
// node using the same Redis (or Redis Cluster) enforces one bound per
// account. Each operation is one Lua script run (EVALSHA, falling back to
// EVAL when Redis does not know the script yet), so checks and updates
// cannot interleave between nodes. Times come from the Redis server's
// clock (TIME), so nodes with skewed clocks agree; that needs Redis 5 or
// later.
//
// Per account key K it keeps three keys sharing the hash tag {K}, so a
// cluster stores them in one slot:
//
//	PREFIX{K}:lock    string, expires when the lock ends
//	PREFIX{K}:fails   sorted set of failures scored by time; expires Window after the newest
//	PREFIX{K}:claims  sorted set of attempts in flight scored by expiry; expires with the newest claim
//
// Nothing lives longer than Window (failures, locks) or the claim TTL
// (attempts in flight), except a lock set by Lock for longer.
type RedisAttempts struct {
	client   redis.UniversalClient
	prefix   string
	limits   Limits
	timeout  time.Duration
	claimTTL time.Duration
	onError  func(op string, err error)

	// honoursDeadlines: the client ends a call at its context's deadline
	// (ContextTimeoutEnabled), so run needs no goroutine of its own to
	// bound it.
	honoursDeadlines bool
	// releaseAfter > 0 defers releases (see WithDeferredRelease).
	releaseAfter time.Duration
	releases     releaseQueue
	idPrefix     string
	seq          atomic.Uint64
}

var _ Attempts = (*RedisAttempts)(nil)

// RedisOption adjusts NewRedisAttempts.
type RedisOption func(*RedisAttempts)

// WithClaimTTL sets how long an attempt in flight holds its slot when it
// is never settled (its node died mid-bind). It must exceed the longest a
// bind can take (the directory timeout), or a slow bind's slot is freed
// while it still runs. Default: 30 s, or Window when that is shorter.
func WithClaimTTL(d time.Duration) RedisOption {
	return func(a *RedisAttempts) { a.claimTTL = d }
}

// WithErrorHandler receives the errors of the methods whose signatures
// cannot return one (LockedFor, Lock, and a Reservation's Failed,
// Succeeded, Cancel), with the operation's name. The error never holds a
// key. Without a handler those errors are dropped; the Err variants of the
// same methods return them.
func WithErrorHandler(f func(op string, err error)) RedisOption {
	return func(a *RedisAttempts) { a.onError = f }
}

// defaultMaxClaimTTL caps the default claim TTL: long enough for any
// sane bind, short enough that a dead node's claims soon free their slots.
const defaultMaxClaimTTL = 30 * time.Second

// NewRedisAttempts returns Attempts stored in Redis through client, under
// keys starting with prefix (such as "ldapauth:"; it must not contain '{'
// or '}', which would change the keys' hash tag). Every Redis call is
// bounded by timeout, whatever the client's own timeouts: a call still
// running then is abandoned and its goroutine ends when the client gives
// up, so build the client with ContextTimeoutEnabled to end it at the
// deadline too. Keys passed to the methods should already be opaque (an
// HMAC of the account), never a raw username.
func NewRedisAttempts(client redis.UniversalClient, prefix string, limits Limits, timeout time.Duration, opts ...RedisOption) (*RedisAttempts, error) {
	switch {
	case client == nil:
		return nil, errors.New("state: nil Redis client")
	case strings.ContainsAny(prefix, "{}"):
		return nil, fmt.Errorf("state: key prefix %q must not contain '{' or '}'", prefix)
	case limits.Max < 1:
		return nil, fmt.Errorf("state: Limits.Max %d, want at least 1", limits.Max)
	case limits.Window < time.Millisecond:
		return nil, fmt.Errorf("state: Limits.Window %s, want at least 1ms", limits.Window)
	case timeout <= 0:
		return nil, fmt.Errorf("state: timeout %s, want more than 0", timeout)
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("state: reservation ids: %w", err)
	}
	a := &RedisAttempts{
		client:   client,
		prefix:   prefix,
		limits:   limits,
		timeout:  timeout,
		claimTTL: min(defaultMaxClaimTTL, limits.Window),
		// Reservation ids must be unique across every node sharing the
		// Redis: a random per-instance prefix plus a counter.
		idPrefix: hex.EncodeToString(id[:]) + "-",
	}
	for _, o := range opts {
		o(a)
	}
	a.honoursDeadlines = contextTimeoutEnabled(client)
	if a.claimTTL < time.Millisecond {
		return nil, fmt.Errorf("state: claim TTL %s, want at least 1ms", a.claimTTL)
	}
	return a, nil
}

// Reserve claims one attempt for key. It returns *LockedError when the key
// is locked, or when its failures and attempts in flight reach Max; then
// RetryAfter is the lock's remaining time, or the earliest moment a slot
// frees up even if no attempt in flight settles. A Redis failure returns
// an error wrapping ErrUnavailable.
func (a *RedisAttempts) Reserve(ctx context.Context, key string) (Reservation, error) {
	if key == "" {
		return nil, ErrEmptyKey
	}
	keys := a.keys(key)
	id := a.idPrefix + strconv.FormatUint(a.seq.Add(1), 36)
	res, err := a.run(ctx, "reserve", reserveScript, keys,
		a.limits.Max, millis(a.limits.Window), millis(a.claimTTL), id)
	if err != nil {
		return nil, err
	}
	if res[0] != 1 {
		return nil, &LockedError{RetryAfter: time.Duration(res[1]) * time.Millisecond}
	}
	return &redisReservation{a: a, keys: keys, id: id}, nil
}

// LockedFor reports how long key stays locked; 0 when it is not, and on a
// Redis error (reported to the error handler: a Reserve during the same
// outage fails with that error, never as unlocked).
func (a *RedisAttempts) LockedFor(ctx context.Context, key string) time.Duration {
	d, err := a.LockedForErr(ctx, key)
	a.report("locked-for", err)
	return d
}

// LockedForErr is LockedFor returning the Redis error.
func (a *RedisAttempts) LockedForErr(ctx context.Context, key string) (time.Duration, error) {
	if key == "" {
		return 0, ErrEmptyKey
	}
	res, err := a.run(ctx, "locked-for", lockedForScript, a.keys(key), millis(a.limits.Window))
	if err != nil {
		return 0, err
	}
	return time.Duration(res[1]) * time.Millisecond, nil
}

// Lock locks key for d; a longer lock already in place is kept. d <= 0
// does nothing. Errors go to the error handler.
func (a *RedisAttempts) Lock(ctx context.Context, key string, d time.Duration) {
	a.report("lock", a.LockErr(ctx, key, d))
}

// LockErr is Lock returning the Redis error. Like a settlement it is not
// cut short by ctx being cancelled: the directory already said the
// account is locked, and that must be recorded.
func (a *RedisAttempts) LockErr(ctx context.Context, key string, d time.Duration) error {
	if key == "" {
		return ErrEmptyKey
	}
	if d <= 0 {
		return nil
	}
	_, err := a.run(context.WithoutCancel(ctx), "lock", lockScript, a.keys(key), millis(d))
	return err
}

// redisReservation is one attempt claimed in Redis.
type redisReservation struct {
	a       *RedisAttempts
	keys    []string
	id      string
	settled atomic.Bool
}

var _ Reservation = (*redisReservation)(nil)

// Failed records a wrong password and reports whether the key is now
// locked by reaching Max. Errors go to the error handler.
func (r *redisReservation) Failed(ctx context.Context) bool {
	locked, err := r.FailedErr(ctx)
	r.a.report("failed", err)
	return locked
}

// Succeeded forgets the key's failures (a lock in place stays) and frees
// the attempt. Errors go to the error handler. With WithDeferredRelease it
// returns at once and the release travels with the next Redis call.
func (r *redisReservation) Succeeded(ctx context.Context) {
	if r.a.releaseAfter > 0 {
		r.deferRelease("succeeded", succeededScript)
		return
	}
	r.a.report("succeeded", r.SucceededErr(ctx))
}

// Cancel frees the attempt without counting it. Errors go to the error
// handler. With WithDeferredRelease it returns at once, like Succeeded.
func (r *redisReservation) Cancel(ctx context.Context) {
	if r.a.releaseAfter > 0 {
		r.deferRelease("cancel", cancelScript)
		return
	}
	r.a.report("cancel", r.CancelErr(ctx))
}

// FailedErr is Failed returning the Redis error. The failure counts even
// when the claim already expired: the wrong password did reach the
// directory.
func (r *redisReservation) FailedErr(ctx context.Context) (bool, error) {
	if !r.settled.CompareAndSwap(false, true) {
		return false, ErrAlreadySettled
	}
	res, err := r.a.run(settleContext(ctx), "failed", failedScript, r.keys,
		r.a.limits.Max, millis(r.a.limits.Window), r.id)
	if err != nil {
		return false, err
	}
	return res[0] == 1, nil
}

// SucceededErr is Succeeded returning the Redis error.
func (r *redisReservation) SucceededErr(ctx context.Context) error {
	if !r.settled.CompareAndSwap(false, true) {
		return ErrAlreadySettled
	}
	_, err := r.a.run(settleContext(ctx), "succeeded", succeededScript, r.keys, r.id)
	return err
}

// CancelErr is Cancel returning the Redis error.
func (r *redisReservation) CancelErr(ctx context.Context) error {
	if !r.settled.CompareAndSwap(false, true) {
		return ErrAlreadySettled
	}
	_, err := r.a.run(settleContext(ctx), "cancel", cancelScript, r.keys, r.id)
	return err
}

// settleContext drops ctx's cancellation (keeping its values): a client
// that hangs up right after its bind must not keep the failure from being
// counted. The call stays bounded by the timeout.
func settleContext(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// keys returns the lock, failures and claims keys of an account, in the
// order the scripts expect.
func (a *RedisAttempts) keys(key string) []string {
	// One string holds all three, so a call allocates it once.
	base := a.prefix + "{" + key + "}:"
	all := base + "lock" + base + "fails" + base + "claims"
	lock, fails := len(base)+len("lock"), 2*len(base)+len("lockfails")
	return []string{all[:lock], all[lock:fails], all[fails:]}
}

func (a *RedisAttempts) report(op string, err error) {
	if err != nil && a.onError != nil {
		a.onError(op, err)
	}
}

type scriptResult struct {
	vals []int64
	err  error
}

// run executes a script bounded by the timeout, together with the
// releases waiting to be sent (see WithDeferredRelease): one round trip.
// The call runs on its own goroutine so that the bound holds even for a
// client that ignores context deadlines (go-redis without
// ContextTimeoutEnabled waits for its own read timeout, 3 s by default, on
// a frozen server).
//
// The caller's cancellation and deadline do not apply (its values do): the
// answer decides a bound, and a client that hangs up, or a request whose
// deadline is spent, must neither skip the bound nor look like a Redis
// outage. Only the timeout ends the call.
func (a *RedisAttempts) run(ctx context.Context, op string, s *redis.Script, keys []string, args ...any) ([]int64, error) {
	ctx, call := startRedisCall(ctx, op)
	vals, err := a.runScript(ctx, op, s, keys, args...)
	call.end(ctx, err)
	return vals, err
}

// runScript is run without its span.
func (a *RedisAttempts) runScript(ctx context.Context, op string, s *redis.Script, keys []string, args ...any) ([]int64, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.timeout)
	defer cancel()
	call := &scriptCall{op: op, script: s, keys: keys, args: args}
	releases := a.takeReleases(keys[0])
	if a.honoursDeadlines {
		return a.runHere(ctx, op, releases, call)
	}
	done := make(chan scriptResult, 1)
	go func() {
		defer a.releasesDone(releases)
		// A panic here would kill the whole gateway: turn it into an error.
		defer func() {
			if p := recover(); p != nil {
				done <- scriptResult{err: fmt.Errorf("panic in Redis client: %v", p)}
			}
		}()
		a.send(ctx, releases, call)
		vals, err := call.result()
		done <- scriptResult{vals, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, a.wrap(op, r.err)
		}
		return r.vals, nil
	case <-ctx.Done():
		return nil, a.wrap(op, ctx.Err())
	}
}

// contextTimeoutEnabled reports whether client ends every call at its
// context's deadline. go-redis does only with ContextTimeoutEnabled;
// without it a call on a frozen server waits for the client's own read
// timeout.
func contextTimeoutEnabled(client redis.UniversalClient) bool {
	switch c := client.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	}
	return false
}

// runHere is run on the caller's goroutine, for a client that ends the
// call at ctx's deadline itself.
func (a *RedisAttempts) runHere(ctx context.Context, op string, releases []*scriptCall, call *scriptCall) (vals []int64, err error) {
	defer a.releasesDone(releases)
	defer func() {
		// A panic in the client must not reach the gateway as one.
		if p := recover(); p != nil {
			vals, err = nil, a.wrap(op, fmt.Errorf("panic in Redis client: %v", p))
		}
	}()
	a.send(ctx, releases, call)
	if vals, err = call.result(); err != nil {
		return nil, a.wrap(op, err)
	}
	return vals, nil
}

// wrap types a failed call: ErrBusy when it never got a connection,
// ErrUnavailable otherwise.
func (a *RedisAttempts) wrap(op string, err error) error {
	if isPoolTimeout(err) {
		return fmt.Errorf("%w: %s: %w", ErrBusy, op, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

// isPoolTimeout reports go-redis's "no free connection in time" error.
// go-redis keeps it in an internal package, so it is matched by its text;
// TestPoolExhaustionIsNotAnOutage fails if that text ever changes.
func isPoolTimeout(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		switch err.Error() {
		case "redis: connection pool timeout", "redis: connection pool exhausted":
			return true
		}
	}
	return false
}

// millis rounds d up to whole milliseconds, at least 1 (PX and PEXPIRE
// take positive integers).
func millis(d time.Duration) int64 {
	return max(1, int64((d+time.Millisecond-1)/time.Millisecond))
}

// The scripts share KEYS = {lock, fails, claims} and return two integers.
// A lock key without expiry (written by something else) is treated as a
// lock for Window and given that expiry, so it cannot lock an account
// forever.
const nowLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// reserveScript: ARGV max, window ms, claim ms, id. Returns {1, 0} when
// claimed, {0, retry-after ms} when not. The common case (no lock, no
// failures, no other attempt in flight) costs six commands: a set is only
// pruned when it exists, and a claims set created by this ZADD has no
// expiry that PEXPIRE could shorten. Redis deletes a set whose last member
// is removed, so a count of 0 means the key does not exist.
var reserveScript = redis.NewScript(`
local max, window, claim = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local lock = redis.call('PTTL', KEYS[1])
if lock == -1 then
  redis.call('PEXPIRE', KEYS[1], window)
  lock = window
end
if lock > 0 then
  return {0, lock}
end
` + nowLua + `
local fails = redis.call('ZCARD', KEYS[2])
if fails > 0 then
  fails = fails - redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
end
local claims = redis.call('ZCARD', KEYS[3])
if claims > 0 then
  claims = claims - redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
end
if fails + claims >= max then
  local wait = window
  local f = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #f == 2 then wait = math.min(wait, tonumber(f[2]) + window - now) end
  local c = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  if #c == 2 then wait = math.min(wait, tonumber(c[2]) - now) end
  return {0, math.max(wait, 1)}
end
redis.call('ZADD', KEYS[3], now + claim, ARGV[4])
if claims == 0 or redis.call('PTTL', KEYS[3]) < claim then
  redis.call('PEXPIRE', KEYS[3], claim)
end
return {1, 0}
`)

// failedScript: ARGV max, window ms, id. Moves the claim to the failures;
// returns {1, lock ms} when failures reach max (locking for window unless
// a longer lock is in place), else {0, 0}.
var failedScript = redis.NewScript(nowLua + `
local max, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
redis.call('ZADD', KEYS[2], now, ARGV[3])
redis.call('PEXPIRE', KEYS[2], window)
if redis.call('ZCARD', KEYS[2]) >= max then
  if redis.call('PTTL', KEYS[1]) < window then
    redis.call('SET', KEYS[1], '1', 'PX', window)
  end
  return {1, redis.call('PTTL', KEYS[1])}
end
return {0, 0}
`)

// succeededScript: ARGV id. Drops the claim and, when the claim was still
// there, every failure; returns {claims removed, 0}. Running it twice (a
// deferred release and its copy) therefore changes nothing the second
// time, even if failures were recorded in between.
var succeededScript = redis.NewScript(`
local removed = redis.call('ZREM', KEYS[3], ARGV[1])
if removed == 1 then
  redis.call('DEL', KEYS[2])
end
return {removed, 0}
`)

// cancelScript: ARGV id. Drops the claim; returns {claims removed, 0}.
var cancelScript = redis.NewScript(`
return {redis.call('ZREM', KEYS[3], ARGV[1]), 0}
`)

// lockedForScript: ARGV window ms. Returns {0, lock ms} (0: unlocked).
var lockedForScript = redis.NewScript(`
local lock = redis.call('PTTL', KEYS[1])
if lock == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  lock = tonumber(ARGV[1])
end
return {0, math.max(lock, 0)}
`)

// lockScript: ARGV ms. Locks for ms unless a longer lock is in place;
// returns {1, lock ms}.
var lockScript = redis.NewScript(`
local d = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < d then
  redis.call('SET', KEYS[1], '1', 'PX', d)
end
return {1, redis.call('PTTL', KEYS[1])}
`)
