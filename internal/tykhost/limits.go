package tykhost

import (
	"sync"
	"time"

	"github.com/TykTechnologies/tyk/user"
)

// limiter keeps the rate-limit and quota counters the gateway keeps in Redis,
// keyed by session KeyID so every API that sees the same KeyID shares them
// (Tyk keys both by the session's key).
type limiter struct {
	mu     sync.Mutex
	hits   map[string][]time.Time // rolling window per key
	quotas map[string]*quotaCounter
}

type quotaCounter struct {
	used   int64
	renews time.Time
}

func newLimiter() *limiter {
	return &limiter{hits: make(map[string][]time.Time), quotas: make(map[string]*quotaCounter)}
}

// limitFor picks the limits Tyk applies: the API's access-right limit when it
// is set, else the session's own.
func limitFor(s *user.SessionState, apiID string) user.APILimit {
	if ad, ok := s.AccessRights[apiID]; ok && !ad.Limit.IsEmpty() {
		return ad.Limit
	}
	return s.APILimit()
}

// allowRate records a hit and reports whether it fits in rate per per
// seconds (a rolling window like Tyk's default Redis limiter). rate <= 0
// means no limit.
func (l *limiter) allowRate(key string, lim user.RateLimit, now time.Time) bool {
	if lim.Rate <= 0 || lim.Per <= 0 {
		return true
	}
	window := time.Duration(lim.Per * float64(time.Second))
	l.mu.Lock()
	defer l.mu.Unlock()
	kept := l.hits[key][:0]
	for _, t := range l.hits[key] {
		if now.Sub(t) < window {
			kept = append(kept, t)
		}
	}
	if float64(len(kept)) >= lim.Rate {
		l.hits[key] = kept
		return false
	}
	l.hits[key] = append(kept, now)
	return true
}

// useQuota counts one request against the quota and reports whether it is
// still within QuotaMax, plus what remains. QuotaMax <= 0 means no quota.
// The counter restarts after QuotaRenewalRate seconds when that is set.
func (l *limiter) useQuota(key string, lim user.APILimit, now time.Time) (ok bool, remaining int64) {
	if lim.QuotaMax <= 0 {
		return true, lim.QuotaMax
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.quotas[key]
	if q == nil || (!q.renews.IsZero() && !now.Before(q.renews)) {
		q = &quotaCounter{}
		if lim.QuotaRenewalRate > 0 {
			q.renews = now.Add(time.Duration(lim.QuotaRenewalRate) * time.Second)
		}
		l.quotas[key] = q
	}
	q.used++
	remaining = lim.QuotaMax - q.used
	if remaining < 0 {
		remaining = 0
	}
	return q.used <= lim.QuotaMax, remaining
}
