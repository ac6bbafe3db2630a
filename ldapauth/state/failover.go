package state

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Backoff while the shared state is unreachable: requests use the local
// counts without paying the Redis timeout, and one request at a time probes
// Redis once the backoff has passed.
const (
	failoverMinBackoff = time.Second
	failoverMaxBackoff = 30 * time.Second
)

// Failover is an Attempts that uses primary (shared, in Redis) while it
// answers and secondary (in this process) while it does not, so Redis
// trouble never opens the gate and never takes it down: an unreachable
// Redis costs one bounded call, then local counting until a probe finds it
// back. Only an error wrapping ErrUnavailable starts an outage; ErrBusy
// (this node's Redis connections all in use) is passed to the caller
// without one. Only the probe ends an outage: a call that started before
// it and succeeds late changes nothing, so there is one warning per outage
// and the backoff keeps growing while probes fail. It logs one line when
// Redis answers again. Locks are written to both, so a lock survives an
// outage.
type Failover struct {
	primary, secondary Attempts
	log                *slog.Logger
	now                func() time.Time

	mu      sync.Mutex
	down    bool
	retryAt time.Time
	backoff time.Duration
	probing bool
}

// NewFailover returns primary backed by secondary.
func NewFailover(primary, secondary Attempts, log *slog.Logger) *Failover {
	return &Failover{primary: primary, secondary: secondary, log: log, now: time.Now}
}

// Reserve implements Attempts.
func (f *Failover) Reserve(ctx context.Context, key string) (Reservation, error) {
	if probe, ok := f.usePrimary(); ok {
		r, err := f.primary.Reserve(ctx, key)
		switch {
		case errors.Is(err, ErrBusy):
			f.release(probe)
			return nil, err
		case !errors.Is(err, ErrUnavailable):
			f.up(probe)
			if err != nil {
				return nil, err
			}
			return &failoverReservation{f: f, primary: r, key: key}, nil
		}
		f.fail(probe, err)
	}
	return f.secondary.Reserve(ctx, key)
}

// LockedFor implements Attempts.
func (f *Failover) LockedFor(ctx context.Context, key string) time.Duration {
	local := f.secondary.LockedFor(ctx, key)
	if probe, ok := f.usePrimary(); ok {
		if le, can := f.primary.(interface {
			LockedForErr(context.Context, string) (time.Duration, error)
		}); can {
			d, err := le.LockedForErr(ctx, key)
			if err != nil {
				f.settle(probe, err)
				return local
			}
			f.up(probe)
			return max(d, local)
		}
		f.up(probe)
		return max(f.primary.LockedFor(ctx, key), local)
	}
	return local
}

// Lock implements Attempts.
func (f *Failover) Lock(ctx context.Context, key string, d time.Duration) {
	f.secondary.Lock(ctx, key, d)
	if probe, ok := f.usePrimary(); ok {
		if le, can := f.primary.(interface {
			LockErr(context.Context, string, time.Duration) error
		}); can {
			if err := le.LockErr(ctx, key, d); err != nil {
				f.settle(probe, err)
				return
			}
		} else {
			f.primary.Lock(ctx, key, d)
		}
		f.up(probe)
	}
}

// usePrimary reports whether to ask the primary, and whether as the probe
// of an outage.
func (f *Failover) usePrimary() (probe, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.down {
		return false, true
	}
	if f.probing || f.now().Before(f.retryAt) {
		return false, false
	}
	f.probing = true
	return true, true
}

// up records an answer from the primary. Only the probe's answer ends an
// outage: a call that started before the outage and succeeds late says
// nothing about Redis now.
func (f *Failover) up(probe bool) {
	if !probe {
		return
	}
	f.mu.Lock()
	wasDown := f.down
	f.down, f.probing, f.backoff = false, false, 0
	f.mu.Unlock()
	if wasDown {
		meters.Get().redisFallback.Add(context.Background(), -1)
		f.log.Info("the shared brute-force state (Redis) answers again; counting is fleet-wide again")
	}
}

// settle records a failed call: an outage for ErrUnavailable, no verdict
// otherwise (ErrBusy, an invalid key).
func (f *Failover) settle(probe bool, err error) {
	if errors.Is(err, ErrUnavailable) {
		f.fail(probe, err)
		return
	}
	f.release(probe)
}

// release gives up a probe claim without a verdict.
func (f *Failover) release(probe bool) {
	if !probe {
		return
	}
	f.mu.Lock()
	f.probing = false
	f.mu.Unlock()
}

// fail records that Redis did not answer. The first failure starts an
// outage (one warning); a failed probe doubles the backoff; a failure of a
// call that started before the outage changes nothing.
func (f *Failover) fail(probe bool, err error) {
	f.mu.Lock()
	first := !f.down
	switch {
	case first:
		f.backoff = failoverMinBackoff
	case probe:
		f.backoff = min(f.backoff*2, failoverMaxBackoff)
		f.probing = false
	default:
		f.mu.Unlock()
		return
	}
	f.down = true
	f.retryAt = f.now().Add(f.backoff)
	f.mu.Unlock()
	if first {
		meters.Get().redisFallback.Add(context.Background(), 1)
		f.log.Warn("the shared brute-force state (Redis) is unreachable; counting failures on this node only until it answers",
			"error", err.Error())
	}
}

// failoverReservation settles on the primary it came from; when the
// primary cannot record a failure, the failure is counted locally instead,
// so an outage between reserve and settle loses nothing.
type failoverReservation struct {
	f       *Failover
	primary Reservation
	key     string
}

type failedErr interface {
	FailedErr(context.Context) (bool, error)
}

func (r *failoverReservation) Failed(ctx context.Context) bool {
	fe, can := r.primary.(failedErr)
	if !can {
		return r.primary.Failed(ctx)
	}
	locked, err := fe.FailedErr(ctx)
	if err == nil || !(errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBusy)) {
		return locked
	}
	if errors.Is(err, ErrUnavailable) {
		r.f.fail(false, err)
	}
	if local, lerr := r.f.secondary.Reserve(ctx, r.key); lerr == nil {
		return local.Failed(ctx)
	}
	return false
}

func (r *failoverReservation) Succeeded(ctx context.Context) { r.primary.Succeeded(ctx) }
func (r *failoverReservation) Cancel(ctx context.Context)    { r.primary.Cancel(ctx) }
