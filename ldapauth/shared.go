package ldapauth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/state"
)

// sharedSet holds what gates share: one in-process attempt counter per
// directory scope, and one Redis client per Redis. Each is
// dropped when the last gate using it closes. Its lock is its own: gates
// release what they hold while the registry's lock is held.
type sharedSet struct {
	mu    sync.Mutex
	local map[localScope]*localShare
	redis map[string]*refCounted[redis.UniversalClient]
}

// localShare is one in-process counter and the limits of every gate using
// it: the strictest of them applies to all, so APIs on one directory with
// different limits still give an account one budget, never the sum.
type localShare struct {
	attempts *state.LocalAttempts
	limits   []state.Limits // one per gate using it
}

type refCounted[T any] struct {
	value T
	users int
}

// localScope is what makes two gates share in-process counts.
type localScope struct {
	directory string
	kind      string // "account" or "client"
}

func newSharedSet() sharedSet {
	return sharedSet{
		local: map[localScope]*localShare{},
		redis: map[string]*refCounted[redis.UniversalClient]{},
	}
}

// sharedRedisCandidate is a Redis client made outside the registry's lock;
// the set adopts it or keeps the one it already has for that Redis.
type sharedRedisCandidate struct {
	id      string
	client  redis.UniversalClient
	adopted bool
}

// discardUnused closes a candidate nobody adopted.
func (c *sharedRedisCandidate) discardUnused() {
	if c != nil && !c.adopted {
		_ = c.client.Close()
	}
}

// redisIdentity tells two Redis settings apart without keeping a password
// in clear in memory longer than the client does.
func redisIdentity(o state.RedisOptions, timeout time.Duration) string {
	pw := sha256.Sum256([]byte(o.Password.Reveal() + "\x00" + o.SentinelPassword.Reveal()))
	return fmt.Sprintf("%q|%v|%s|%s|%d|%v|%v|%s|%s|%s|%s|%s|%v|%s", o.Addrs, o.Cluster, o.MasterName, o.Username, o.DB,
		o.TLS, o.TLSInsecureSkipVerify, o.CAFile, o.CertFile, o.KeyFile, o.TLSMinVersion, o.TLSMaxVersion, timeout, hex.EncodeToString(pw[:8]))
}

// releaseFlushDelay is how long a settled attempt's release waits for
// another Redis call to travel with before it is sent alone: a cold check
// in fleet mode then costs one Redis round trip, the reservation.
const releaseFlushDelay = 5 * time.Millisecond

// attempts returns the account and client counters for a gate of cfg and
// the function that gives them back. Local mode shares one in-process
// counter per directory scope; Redis mode keys the shared Redis by an HMAC
// of scope and account under session_key_secret and falls back to the
// in-process counter while Redis is unreachable.
func (s *sharedSet) attempts(cfg *Config, candidate *sharedRedisCandidate, log *slog.Logger) (accounts, clients state.Attempts, release func()) {
	scope := directoryScope(cfg)
	var releases []func()
	acquireLocal := func(kind string, limits state.Limits) state.Attempts {
		a, rel := s.acquireLocal(localScope{directory: scope, kind: kind}, limits)
		releases = append(releases, rel)
		return a
	}
	var client redis.UniversalClient
	if cfg.SharedState == SharedRedis && candidate != nil {
		var rel func()
		client, rel = s.acquireRedis(candidate)
		releases = append(releases, rel)
	}
	build := func(kind string, limits state.Limits) state.Attempts {
		local := acquireLocal(kind, limits)
		if client == nil {
			return local
		}
		remote, err := state.NewRedisAttempts(client, "ldapauth:", limits, cfg.RedisTimeout,
			state.WithClaimTTL(cfg.Directory.DialTimeout+cfg.Directory.RequestTimeout+time.Second),
			state.WithDeferredRelease(releaseFlushDelay))
		if err != nil {
			log.Error("cannot use Redis for failure counts; counting on this node", "error", err.Error())
			return local
		}
		return state.NewScoped(state.NewFailover(remote, local, log), []byte(cfg.SessionKeySecret.Reveal()), scope+"|"+kind)
	}
	accounts = build("account", accountLimits(cfg))
	if cfg.MaxFailuresPerClient > 0 {
		clients = build("client", clientLimits(cfg))
	}
	var once sync.Once
	return accounts, clients, func() {
		once.Do(func() {
			for _, rel := range releases {
				rel()
			}
		})
	}
}

func (s *sharedSet) acquireLocal(key localScope, limits state.Limits) (*state.LocalAttempts, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.local[key]
	if sh == nil {
		sh = &localShare{attempts: state.NewLocalAttempts(limits, 0)}
		s.local[key] = sh
	}
	sh.limits = append(sh.limits, limits)
	sh.attempts.SetLimits(strictest(sh.limits))
	return sh.attempts, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if i := slices.Index(sh.limits, limits); i >= 0 {
			sh.limits = slices.Delete(sh.limits, i, i+1)
		}
		if len(sh.limits) == 0 {
			delete(s.local, key)
			return
		}
		sh.attempts.SetLimits(strictest(sh.limits))
	}
}

// strictest is the fewest failures over the longest window. The window of
// a gate that does not limit attempts (max_failures 0) does not stretch
// the window of one that does.
func strictest(all []state.Limits) state.Limits {
	out := state.Limits{Max: unlimited}
	for _, l := range all {
		out.Max = min(out.Max, l.Max)
	}
	for _, l := range all {
		if l.Max < unlimited || out.Max == unlimited {
			out.Window = max(out.Window, l.Window)
		}
	}
	return out
}

func (s *sharedSet) acquireRedis(c *sharedRedisCandidate) (redis.UniversalClient, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rc := s.redis[c.id]
	if rc == nil {
		rc = &refCounted[redis.UniversalClient]{value: c.client}
		s.redis[c.id] = rc
		c.adopted = true
	}
	rc.users++
	return rc.value, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if rc.users--; rc.users == 0 {
			delete(s.redis, c.id)
			_ = rc.value.Close()
		}
	}
}
