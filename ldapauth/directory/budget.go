package directory

import (
	"context"
	"sync"
	"time"
)

// A server is marked down only on evidence from the server: a refused or
// reset connection, a failed TLS handshake, or a step that timed out
// although it had its whole allowance (dial_timeout to connect,
// request_timeout for an operation). A request that spent its time
// queueing for one of the gateway's own pool slots proves nothing about
// the directory: it does not start a step it has too little time left for,
// and a step it did start with a shortened allowance that then runs out is
// KindBusy (503 with Retry-After, no failover, never stale_if_error), not
// KindUnavailable.

// budget follows the steps of one Authenticate call, so a failure can be
// told apart: did the step time out with its full allowance, or with what
// the request had left?
type budget struct {
	mu        sync.Mutex
	start     time.Time
	allowance time.Duration
	cut       bool // allowance was shorter than the step's configured timeout
}

type budgetKey struct{}

func withBudget(ctx context.Context) context.Context {
	return context.WithValue(ctx, budgetKey{}, &budget{})
}

func budgetFrom(ctx context.Context) *budget {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	return b
}

// allowance is what a step configured to take at most full may take now:
// full, or less when the request's deadline comes first. The step is
// remembered as the request's current one.
func allowance(ctx context.Context, full time.Duration) time.Duration {
	t := full
	if dl, ok := ctx.Deadline(); ok {
		t = min(t, time.Until(dl))
	}
	t = atLeastOneMillisecond(t)
	if b := budgetFrom(ctx); b != nil {
		b.mu.Lock()
		b.start, b.allowance, b.cut = time.Now(), t, t < full
		b.mu.Unlock()
	}
	return t
}

// timedOutShort reports whether the current step ran with a shortened
// allowance and used all of it: its failure is the request's lack of time,
// not the server's.
func timedOutShort(ctx context.Context) bool {
	b := budgetFrom(ctx)
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	// A timer fires at, never before, its deadline; the millisecond covers
	// the rounding of go-ldap's timeout.
	return b.cut && time.Since(b.start) >= b.allowance-time.Millisecond
}

// outOfTime is the KindBusy error of a step that ran out of the request's
// time: the server gets no verdict.
func outOfTime(server string, err error) *Error {
	return &Error{Kind: KindBusy, Reason: "the request ran out of time waiting for a connection to " + server +
		" and could not finish; no verdict on the server (raise pool_size if this persists)", Err: err}
}

// tooLateToStart is the KindBusy error of a request that got a pool slot
// after waiting, with less time left than the step it would start may
// take.
func tooLateToStart(server, step string, left time.Duration) *Error {
	return &Error{Kind: KindBusy, Reason: "waited for a free connection to " + server + "; " +
		left.Round(time.Millisecond).String() + " of the request's time left is less than " + step +
		", so it was not started (raise pool_size if this persists)"}
}
