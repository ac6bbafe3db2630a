package state

import (
	"context"
	"time"
)

// Generation is a point in a Cache's eviction history. A decision read
// from the directory before an eviction must not be cached after it: the
// change that caused the eviction may have happened after the read. Take
// the Generation before asking the directory and pass it to the store.
type Generation uint64

// Generation returns the current eviction generation.
func (c *Cache[G]) Generation() Generation { return Generation(c.gen.Load()) }

// StoreWatched caches a success like StoreGrant, indexed under deps (the
// entries the decision depended on: the user's entry, its groups), so that
// Evict of any of them removes it. It caches nothing when an eviction
// happened since since was taken.
func (c *Cache[G]) StoreWatched(since Generation, m MAC, user string, deps []string, grant G, now time.Time) bool {
	if !c.positiveOn() {
		return false
	}
	c.indexMu.Lock()
	defer c.indexMu.Unlock()
	if Generation(c.gen.Load()) != since {
		return false
	}
	if !c.storeGrantLocked(m, user, grant, now) {
		return false
	}
	key := string(m[:])
	for _, d := range deps {
		set := c.deps[d]
		if set == nil {
			set = make(map[string]struct{}, 1)
			c.deps[d] = set
		}
		set[key] = struct{}{}
	}
	if c.stores++; c.stores%pruneEvery == 0 {
		c.pruneIndexLocked()
	}
	return true
}

// StoreRejectionSince remembers refused credentials unless an eviction
// happened since since was taken (the refusal may be out of date).
func (c *Cache[G]) StoreRejectionSince(since Generation, m MAC) {
	c.indexMu.Lock()
	defer c.indexMu.Unlock()
	if Generation(c.gen.Load()) == since {
		c.StoreRejection(m)
	}
}

// pruneEvery is how many indexed stores pass between sweeps of index
// entries whose grants expired or were displaced.
const pruneEvery = 1024

// Evict removes every success indexed under any of keys, and every
// remembered rejection (a rejection is not indexed by account: any change
// may have made a refused password right). It returns how many successes
// it removed. Its cost is the number of entries removed, not the size of
// the cache.
func (c *Cache[G]) Evict(keys []string) int {
	c.indexMu.Lock()
	defer c.indexMu.Unlock()
	c.gen.Add(1)
	removed := 0
	for _, k := range keys {
		for mac := range c.deps[k] {
			if _, ok := c.positive.Get(mac); ok {
				removed++
			}
			c.positive.Delete(mac)
		}
		delete(c.deps, k)
	}
	if c.negative.ItemCount() > 0 {
		c.negative.Flush()
	}
	c.evicted.Add(uint64(removed))
	if removed > 0 {
		meters.Get().cacheEvictions.Add(context.Background(), int64(removed), evictedByChange...)
	}
	return removed
}

// EvictAll empties the cache: after a gap in watching, any entry may be
// out of date.
func (c *Cache[G]) EvictAll() int {
	c.indexMu.Lock()
	defer c.indexMu.Unlock()
	c.gen.Add(1)
	removed := c.positive.ItemCount()
	c.positive.Flush()
	c.negative.Flush()
	c.spellings.Flush()
	clear(c.deps)
	c.evicted.Add(uint64(removed))
	if removed > 0 {
		meters.Get().cacheEvictions.Add(context.Background(), int64(removed), evictedByResync...)
	}
	return removed
}

// Evicted reports how many successes Evict and EvictAll removed so far
// (for metrics).
func (c *Cache[G]) Evicted() uint64 { return c.evicted.Load() }

// pruneIndexLocked drops index entries whose grants are gone. Caller holds
// indexMu.
func (c *Cache[G]) pruneIndexLocked() {
	for k, set := range c.deps {
		for mac := range set {
			if _, ok := c.positive.Get(mac); !ok {
				delete(set, mac)
			}
		}
		if len(set) == 0 {
			delete(c.deps, k)
		}
	}
}

// IndexKeys lists the dependency keys of the successes still cached
// (it drops the index entries of expired ones first).
func (c *Cache[G]) IndexKeys() []string {
	c.indexMu.Lock()
	defer c.indexMu.Unlock()
	c.pruneIndexLocked()
	keys := make([]string, 0, len(c.deps))
	for k := range c.deps {
		keys = append(keys, k)
	}
	return keys
}
