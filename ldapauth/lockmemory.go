package ldapauth

import (
	"container/heap"
	"sync"
	"time"
)

// lockMemory remembers the locks a gate saw, so that the first attempt
// allowed after one ends can be logged as "unlocked". An entry is kept for
// its lock plus as long again (an unlock nobody tries within that time is
// not logged), and at most limit entries are kept: when full, entries past
// their keeping time go first, then the ones closest to it. Every call is
// O(log n) under one mutex; nothing scans the memory.
type lockMemory struct {
	limit int
	now   func() time.Time

	mu    sync.Mutex
	locks map[string]rememberedLock
	queue forgetQueue // may hold stale items for keys locked again or forgotten
}

type rememberedLock struct {
	until, forgetAt time.Time
}

func newLockMemory(limit int) *lockMemory {
	return &lockMemory{limit: max(limit, 1), now: time.Now, locks: map[string]rememberedLock{}}
}

// locked remembers that key is locked for d from now.
func (m *lockMemory) locked(key string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	l := rememberedLock{until: now.Add(d), forgetAt: now.Add(2 * d)}
	if _, known := m.locks[key]; !known {
		m.dropForgotten(now)
		for len(m.locks) >= m.limit {
			m.dropFirst()
		}
	}
	m.locks[key] = l
	heap.Push(&m.queue, forgetItem{key: key, at: l.forgetAt})
	if len(m.queue) > 2*m.limit+16 {
		m.compact()
	}
}

// ended reports, once, that key's remembered lock has ended.
func (m *lockMemory) ended(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.locks[key]
	if !ok {
		return false
	}
	now := m.now()
	if now.Before(l.until) {
		return false
	}
	delete(m.locks, key)
	return !now.After(l.forgetAt)
}

// dropForgotten removes entries whose keeping time has passed.
func (m *lockMemory) dropForgotten(now time.Time) {
	for len(m.queue) > 0 && !m.queue[0].at.After(now) {
		m.dropFirst()
	}
}

// dropFirst removes the entry to be forgotten first (stale queue items
// are discarded on the way).
func (m *lockMemory) dropFirst() {
	for len(m.queue) > 0 {
		it := heap.Pop(&m.queue).(forgetItem)
		if l, ok := m.locks[it.key]; ok && l.forgetAt.Equal(it.at) {
			delete(m.locks, it.key)
			return
		}
	}
}

// compact rebuilds the queue from the live entries.
func (m *lockMemory) compact() {
	m.queue = m.queue[:0]
	for k, l := range m.locks {
		m.queue = append(m.queue, forgetItem{key: k, at: l.forgetAt})
	}
	heap.Init(&m.queue)
}

func (m *lockMemory) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.locks)
}

type forgetItem struct {
	key string
	at  time.Time
}

// forgetQueue is a min-heap of forgetItems by time.
type forgetQueue []forgetItem

func (q forgetQueue) Len() int           { return len(q) }
func (q forgetQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q forgetQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *forgetQueue) Push(x any)        { *q = append(*q, x.(forgetItem)) }
func (q *forgetQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}
