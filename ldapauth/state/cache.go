package state

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	gocache "github.com/patrickmn/go-cache"
)

// processKey keys every cache MAC. It is random per process and never leaves
// memory, so a cache key reveals nothing about a password, cannot be
// precomputed by an attacker, and differs on every gateway node. It is made
// on first use, not in init: a plugin does no work while it is being loaded.
var processKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		// crypto/rand does not fail on Linux; if it ever did, a fixed key
		// would be worse than not caching, so callers see nil and the caches
		// stay off.
		return nil
	}
	return k
})

// MAC identifies one pair of credentials: HMAC-SHA256 under a key derived
// from the process key and the configuration, over the length-prefixed
// username and password. It is all a cache entry is keyed by; neither the
// password nor any unkeyed hash of it is kept.
type MAC [sha256.Size]byte

// CacheOptions configures a Cache.
type CacheOptions struct {
	// TTL is how long a success is served from memory; 0 disables the
	// positive side.
	TTL time.Duration
	// NegativeTTL is how long a rejected password is remembered; 0 disables
	// the negative side.
	NegativeTTL time.Duration
	// StaleFor is how much longer a success may be served while the
	// directory cannot be reached.
	StaleFor time.Duration
	// MaxEntries bounds each side.
	MaxEntries int
	// SpellingsPerUser bounds how many typed spellings of one user ("Alice",
	// "alice", " alice") hold entries at once (DefaultSpellingsPerUser when
	// 0), so one account cannot fill the positive side.
	SpellingsPerUser int
	// Salt separates configurations: equal credentials under two
	// configurations never share an entry.
	Salt []byte
	// Logger receives the one warning per episode of a full positive side.
	Logger *slog.Logger
}

// DefaultSpellingsPerUser is the default of CacheOptions.SpellingsPerUser.
const DefaultSpellingsPerUser = 4

// Cache remembers recent decisions for exact credentials. Successes and
// rejections live in separate go-cache instances with separate bounds, so a
// flood of wrong passwords can fill (and reset) only the negative side and
// never evicts users who logged in. Successes are indexed per user as well:
// each user holds at most SpellingsPerUser entries, the oldest spelling
// giving way to a new one.
//
// go-cache runs no janitor here (cleanup interval 0): expired entries are
// swept from the request path when a bound is reached, so the cache starts
// no goroutine.
type Cache[G any] struct {
	opts CacheOptions
	key  []byte // HMAC key for MACs; nil when caching is impossible

	positive  *gocache.Cache // string(MAC) -> *cachedGrant[G]
	negative  *gocache.Cache // string(MAC) -> struct{}
	spellings *gocache.Cache // user key -> *spellingList
	indexMu   sync.Mutex     // serialises spelling-list and dependency updates (cold path only)
	hashers   sync.Pool      // *Hasher

	// deps indexes successes by what they depended on (see StoreWatched):
	// key -> set of MACs. Guarded by indexMu.
	deps    map[string]map[string]struct{}
	stores  int           // indexed stores, to prune deps now and then
	gen     atomic.Uint64 // bumped by every eviction (see Generation)
	evicted atomic.Uint64

	lastSweep atomic.Int64 // unix nanos of the last expired-entry sweep
	full      atomic.Bool  // the positive side is full and that was logged
}

type cachedGrant[G any] struct {
	grant      G
	freshUntil int64 // unix nanos
}

type spellingList struct{ macs []string }

// NewCache returns an empty cache.
func NewCache[G any](opts CacheOptions) *Cache[G] {
	if opts.SpellingsPerUser <= 0 {
		opts.SpellingsPerUser = DefaultSpellingsPerUser
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 10_000
	}
	c := &Cache[G]{
		opts:      opts,
		positive:  gocache.New(gocache.NoExpiration, 0),
		negative:  gocache.New(gocache.NoExpiration, 0),
		spellings: gocache.New(gocache.NoExpiration, 0),
		deps:      map[string]map[string]struct{}{},
	}
	if pk := processKey(); pk != nil {
		derive := hmac.New(sha256.New, pk)
		derive.Write(opts.Salt)
		c.key = derive.Sum(nil)
	}
	c.hashers.New = func() any { return &Hasher{mac: hmac.New(sha256.New, c.key)} }
	return c
}

// Hasher computes MACs without allocating. Get one with Cache.Hasher and
// give it back with Cache.Release.
type Hasher struct {
	mac hash.Hash
	len [4]byte
}

// Hasher returns a pooled Hasher.
func (c *Cache[G]) Hasher() *Hasher { return c.hashers.Get().(*Hasher) }

// Release returns h to the pool.
func (c *Cache[G]) Release(h *Hasher) { c.hashers.Put(h) }

// Sum writes the MAC of the credentials into out.
func (h *Hasher) Sum(username, password []byte, out *MAC) {
	h.mac.Reset()
	binary.BigEndian.PutUint32(h.len[:], uint32(len(username)))
	h.mac.Write(h.len[:])
	h.mac.Write(username)
	binary.BigEndian.PutUint32(h.len[:], uint32(len(password)))
	h.mac.Write(h.len[:])
	h.mac.Write(password)
	h.mac.Sum(out[:0])
}

// lookupKey views m as a string for a map lookup without copying it.
// go-cache does not keep the key of a Get, and m outlives the call.
func lookupKey(m *MAC) string { return unsafe.String(&m[0], len(m)) }

func (c *Cache[G]) positiveOn() bool { return c.opts.TTL > 0 && c.key != nil }
func (c *Cache[G]) negativeOn() bool { return c.opts.NegativeTTL > 0 && c.key != nil }

// Fresh returns a cached success that is still within TTL.
// It counts the lookup (ldapauth.cache.lookups, hit or miss).
func (c *Cache[G]) Fresh(m *MAC, now time.Time) (grant G, ok bool) {
	grant, ok = c.Recheck(m, now)
	if ok {
		meters.Get().cacheLookups.Add(context.Background(), 1, lookupHit...)
	} else {
		meters.Get().cacheLookups.Add(context.Background(), 1, lookupMiss...)
	}
	return grant, ok
}

// Recheck is Fresh without counting: for a second look at the same
// credentials within one request (after joining an in-flight check).
func (c *Cache[G]) Recheck(m *MAC, now time.Time) (grant G, ok bool) {
	e := c.lookup(m)
	if e == nil || now.UnixNano() >= e.freshUntil {
		return grant, false
	}
	return e.grant, true
}

// Stale returns a cached success past TTL but within StaleFor; go-cache has
// dropped entries past both already.
func (c *Cache[G]) Stale(m *MAC) (grant G, ok bool) {
	if c.opts.StaleFor <= 0 {
		return grant, false
	}
	if e := c.lookup(m); e != nil {
		return e.grant, true
	}
	return grant, false
}

func (c *Cache[G]) lookup(m *MAC) *cachedGrant[G] {
	if !c.positiveOn() {
		return nil
	}
	v, ok := c.positive.Get(lookupKey(m))
	if !ok {
		return nil
	}
	return v.(*cachedGrant[G])
}

// Rejected reports whether these exact credentials were recently refused.
func (c *Cache[G]) Rejected(m *MAC) bool {
	if !c.negativeOn() {
		return false
	}
	_, ok := c.negative.Get(lookupKey(m))
	if ok {
		meters.Get().cacheLookups.Add(context.Background(), 1, lookupNegativeHit...)
	}
	return ok
}

// StoreGrant caches a success for the credentials m of user (a key that is
// the same for every spelling of the account). At the bound, expired
// entries are swept (at most once a second); if that frees nothing the new
// entry is not cached: known-good entries are never evicted to make room.
func (c *Cache[G]) StoreGrant(m MAC, user string, grant G, now time.Time) (stored bool) {
	if !c.positiveOn() {
		return false
	}
	c.indexMu.Lock()
	defer c.indexMu.Unlock()
	return c.storeGrantLocked(m, user, grant, now)
}

// storeGrantLocked is StoreGrant with indexMu held.
func (c *Cache[G]) storeGrantLocked(m MAC, user string, grant G, now time.Time) bool {
	key := string(m[:])
	life := c.opts.TTL + c.opts.StaleFor
	list := c.spellingsOf(user)
	if !slices.Contains(list.macs, key) {
		if len(list.macs) >= c.opts.SpellingsPerUser {
			c.positive.Delete(list.macs[0])
			meters.Get().cacheEvictions.Add(context.Background(), 1, evictedPositive...)
			list.macs = append(list.macs[:0], list.macs[1:]...)
		} else if c.positive.ItemCount() >= c.opts.MaxEntries {
			c.sweep(now)
			if c.positive.ItemCount() >= c.opts.MaxEntries {
				c.logFull()
				return false
			}
		}
		list.macs = append(list.macs, key)
	}
	c.full.Store(false)
	c.spellings.Set(user, list, life)
	c.positive.Set(key, &cachedGrant[G]{grant: grant, freshUntil: now.Add(c.opts.TTL).UnixNano()}, life)
	return true
}

func (c *Cache[G]) spellingsOf(user string) *spellingList {
	if v, ok := c.spellings.Get(user); ok {
		list := v.(*spellingList)
		// Drop spellings whose entries expired.
		live := list.macs[:0]
		for _, k := range list.macs {
			if _, ok := c.positive.Get(k); ok {
				live = append(live, k)
			}
		}
		list.macs = live
		return list
	}
	return &spellingList{}
}

func (c *Cache[G]) logFull() {
	if c.full.CompareAndSwap(false, true) && c.opts.Logger != nil {
		c.opts.Logger.Warn("the decision cache is full; new successes are not cached until entries expire (raise cache_max_entries?)",
			"cache_max_entries", c.opts.MaxEntries)
	}
}

// StoreRejection remembers refused credentials. At the bound the negative
// side is emptied: forgetting rejections only costs directory round trips.
func (c *Cache[G]) StoreRejection(m MAC) {
	if !c.negativeOn() {
		return
	}
	if n := c.negative.ItemCount(); n >= c.opts.MaxEntries {
		c.negative.Flush()
		meters.Get().cacheEvictions.Add(context.Background(), int64(n), evictedNegative...)
	}
	c.negative.Set(string(m[:]), struct{}{}, c.opts.NegativeTTL)
}

func (c *Cache[G]) sweep(now time.Time) {
	last := c.lastSweep.Load()
	if now.UnixNano()-last < int64(time.Second) || !c.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	c.positive.DeleteExpired()
	c.negative.DeleteExpired()
	c.spellings.DeleteExpired()
	c.pruneIndexLocked()
}

// Sizes reports the number of positive and negative entries.
func (c *Cache[G]) Sizes() (positive, negative int) {
	return c.positive.ItemCount(), c.negative.ItemCount()
}
