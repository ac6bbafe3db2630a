package ldapauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	gocache "github.com/patrickmn/go-cache"
)

// processKey keys every cache key HMAC. It is random per process and never
// leaves memory, so a cache key reveals nothing about a password, cannot be
// precomputed by an attacker, and differs on every gateway node. It is made
// on first use, not in init: a plugin does no work while it is being loaded.
var processKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		// crypto/rand does not fail on Linux; if it ever did, a fixed key
		// would be worse than refusing to cache, so the caller sees nil.
		return nil
	}
	return k
})

// decisionCache remembers recent decisions for exact credentials. Positive
// and negative entries live in separate go-cache instances with separate
// bounds, so a flood of wrong passwords can fill (and reset) only the
// negative side and never evicts the users who logged in correctly.
//
// Keys are HMAC-SHA256(apiKey, len(username), username, len(password),
// password) with apiKey = HMAC-SHA256(processKey, config fingerprint):
// length prefixes make every input distinct, the per-configuration key keeps
// APIs with different settings apart (and costs nothing per request, unlike
// hashing the fingerprint into every message), and neither the password nor
// any unkeyed hash of it is stored. Lookups are by
// exact key in a Go map; the entry found is then checked once more against
// the MAC with hmac.Equal, a constant-time comparison. A client never
// supplies a key, only credentials whose MAC it cannot compute.
type decisionCache struct {
	ttl         time.Duration // positive entries; 0 disables the cache
	negativeTTL time.Duration // rejected passwords; 0 disables
	staleFor    time.Duration // extra life of a success while LDAP is down
	maxEntries  int

	positive *gocache.Cache
	negative *gocache.Cache
	scratch  sync.Pool // *keyScratch

	lastSweep atomic.Int64 // unix nanos of the last expired-entry sweep
	full      atomic.Bool  // positive side hit its bound (logged once)
}

// cachedGrant is a positive entry: the decision plus when it stops being
// fresh. go-cache expires it later, at freshUntil + staleFor.
type cachedGrant struct {
	mac        [sha256.Size]byte
	grant      *Grant
	freshUntil int64 // unix nanos
}

// keyScratch is per-call working memory, pooled so the hot path does not
// allocate: the decoded credentials, the MAC state and its output.
type keyScratch struct {
	creds CredentialsBuffer
	mac   hash.Hash
	sum   [sha256.Size]byte
	len   [4]byte
}

func newDecisionCache(cfg *Config) *decisionCache {
	c := &decisionCache{
		ttl:         cfg.CacheTTL,
		negativeTTL: cfg.NegativeCacheTTL,
		staleFor:    cfg.StaleIfError,
		maxEntries:  cfg.CacheMaxEntries,
	}
	// No janitor goroutines (cleanup interval 0): expired entries are swept
	// from the request path when a bound is reached, so the plugin starts no
	// goroutine that could outlive an API or crash the gateway.
	c.positive = gocache.New(gocache.NoExpiration, 0)
	c.negative = gocache.New(gocache.NoExpiration, 0)
	derive := hmac.New(sha256.New, processKey())
	derive.Write(cfg.Fingerprint[:])
	apiKey := derive.Sum(nil)
	c.scratch.New = func() interface{} {
		return &keyScratch{mac: hmac.New(sha256.New, apiKey)}
	}
	return c
}

func (c *decisionCache) getScratch() *keyScratch  { return c.scratch.Get().(*keyScratch) }
func (c *decisionCache) putScratch(s *keyScratch) { c.scratch.Put(s) }

// computeKey writes the MAC of the credentials into s.sum.
func (c *decisionCache) computeKey(s *keyScratch, username, password []byte) {
	s.mac.Reset()
	binary.BigEndian.PutUint32(s.len[:], uint32(len(username)))
	s.mac.Write(s.len[:])
	s.mac.Write(username)
	binary.BigEndian.PutUint32(s.len[:], uint32(len(password)))
	s.mac.Write(s.len[:])
	s.mac.Write(password)
	s.mac.Sum(s.sum[:0])
}

// lookupKey views s.sum as a string for a map lookup without copying it.
// go-cache does not keep the key of a Get, and s is not reused until the
// caller returns it to the pool.
func (s *keyScratch) lookupKey() string {
	return unsafe.String(&s.sum[0], len(s.sum))
}

func (c *decisionCache) enabled() bool { return c.ttl > 0 && processKey() != nil }

// fresh returns a cached success that is still within cache_ttl.
func (c *decisionCache) fresh(key string, mac *[sha256.Size]byte, now time.Time) *Grant {
	e := c.lookupGrant(key, mac)
	if e == nil || now.UnixNano() >= e.freshUntil {
		return nil
	}
	return e.grant
}

// stale returns a cached success past cache_ttl but within stale_if_error.
// go-cache has already dropped entries past both.
func (c *decisionCache) stale(key string, mac *[sha256.Size]byte) *Grant {
	if c.staleFor <= 0 {
		return nil
	}
	if e := c.lookupGrant(key, mac); e != nil {
		return e.grant
	}
	return nil
}

func (c *decisionCache) lookupGrant(key string, mac *[sha256.Size]byte) *cachedGrant {
	if !c.enabled() {
		return nil
	}
	v, ok := c.positive.Get(key)
	if !ok {
		return nil
	}
	e := v.(*cachedGrant)
	if !hmac.Equal(e.mac[:], mac[:]) {
		return nil
	}
	return e
}

// rejected reports whether these exact credentials were recently refused.
func (c *decisionCache) rejected(key string) bool {
	if c.negativeTTL <= 0 || processKey() == nil {
		return false
	}
	_, ok := c.negative.Get(key)
	return ok
}

// storeGrant caches a success. At the bound, expired entries are swept (at
// most once a second); if that frees nothing the new entry is not cached:
// known-good entries are never evicted to make room.
func (c *decisionCache) storeGrant(mac [sha256.Size]byte, g *Grant, now time.Time) (stored bool) {
	if !c.enabled() {
		return false
	}
	if c.positive.ItemCount() >= c.maxEntries {
		c.sweep(now)
		if c.positive.ItemCount() >= c.maxEntries {
			c.full.Store(true)
			return false
		}
	}
	c.positive.Set(string(mac[:]), &cachedGrant{mac: mac, grant: g, freshUntil: now.Add(c.ttl).UnixNano()}, c.ttl+c.staleFor)
	return true
}

// storeRejection remembers refused credentials. At the bound the negative
// side is emptied: forgetting rejections only costs directory round trips.
func (c *decisionCache) storeRejection(mac [sha256.Size]byte) {
	if c.negativeTTL <= 0 || processKey() == nil {
		return
	}
	if c.negative.ItemCount() >= c.maxEntries {
		c.negative.Flush()
	}
	c.negative.Set(string(mac[:]), true, c.negativeTTL)
}

func (c *decisionCache) sweep(now time.Time) {
	last := c.lastSweep.Load()
	if now.UnixNano()-last < int64(time.Second) || !c.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	c.positive.DeleteExpired()
	c.negative.DeleteExpired()
}

// sizes reports the number of positive and negative entries.
func (c *decisionCache) sizes() (positive, negative int) {
	return c.positive.ItemCount(), c.negative.ItemCount()
}
