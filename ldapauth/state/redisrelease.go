package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// A cold check in fleet mode needs Redis twice: to reserve the attempt
// before the bind, and to settle it after. The reservation must be a round
// trip of its own (the bind waits for it); a release (Succeeded, Cancel)
// need not: nobody waits for its answer. With WithDeferredRelease a
// release is queued and sent in the same pipeline as this node's next
// Redis call, ahead of it, or on its own after a short delay when no call
// comes. A check then costs one round trip. Deferring a release only
// keeps a slot taken a little longer and failures a little longer, never
// shorter, so no bound is loosened; a release lost with its pipeline (an
// outage) is a claim that expires after the claim TTL, as for a node that
// died mid-bind. Failed is never deferred: its answer (did this lock the
// account?) is needed at once.

// WithDeferredRelease makes Succeeded and Cancel return at once and send
// their release with the next Redis call, or after flushAfter when no call
// comes sooner. The Err variants stay synchronous.
func WithDeferredRelease(flushAfter time.Duration) RedisOption {
	return func(a *RedisAttempts) { a.releaseAfter = flushAfter }
}

// maxQueuedReleases sends the queue at once when this many wait, so a
// burst never builds a long pipeline.
const maxQueuedReleases = 64

// scriptCall is one script run in a pipeline.
type scriptCall struct {
	op     string
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
	err    error // set when the call could not be sent
}

func (c *scriptCall) result() ([]int64, error) {
	if c.err != nil {
		return nil, c.err
	}
	vals, err := c.cmd.Int64Slice()
	if err == nil && len(vals) != 2 {
		err = fmt.Errorf("script returned %d values, want 2", len(vals))
	}
	return vals, err
}

// releaseQueue holds releases waiting to be sent, and remembers those on
// their way. A later call for the same account that finds one of them
// still on its way sends a copy ahead of itself in its own pipeline, so on
// one node a call never overtakes a release queued before it (it would see
// a slot still taken and failures not yet forgotten), and never waits for
// another call's round trip. Releases are idempotent (see succeededScript),
// so whichever copy arrives second changes nothing.
type releaseQueue struct {
	mu      sync.Mutex
	pending []*scriptCall
	timer   *time.Timer // armed while releases wait
	// inFlight maps an account's lock key to its releases on their way.
	inFlight map[string][]*scriptCall
}

// deferRelease queues the reservation's release.
func (r *redisReservation) deferRelease(op string, s *redis.Script) {
	if !r.settled.CompareAndSwap(false, true) {
		r.a.report(op, ErrAlreadySettled)
		return
	}
	a := r.a
	q := &a.releases
	q.mu.Lock()
	q.pending = append(q.pending, &scriptCall{op: op, script: s, keys: r.keys, args: []any{r.id}})
	switch {
	case len(q.pending) >= maxQueuedReleases && q.timer != nil:
		q.timer.Reset(0)
	case len(q.pending) >= maxQueuedReleases:
		q.timer = time.AfterFunc(0, a.flushReleases)
	case q.timer == nil:
		q.timer = time.AfterFunc(a.releaseAfter, a.flushReleases)
	}
	q.mu.Unlock()
}

// takeReleases empties the queue for the caller to send, preceded by
// copies of the releases for account (its lock key; "" for none) that
// other calls are still carrying. The caller gives the result to
// releasesDone once Redis has answered.
func (a *RedisAttempts) takeReleases(account string) []*scriptCall {
	q := &a.releases
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.timer != nil {
		q.timer.Stop()
		q.timer = nil
	}
	var out []*scriptCall
	if account != "" {
		for _, c := range q.inFlight[account] {
			out = append(out, &scriptCall{op: c.op, script: c.script, keys: c.keys, args: c.args})
		}
	}
	if len(q.pending) > 0 && q.inFlight == nil {
		q.inFlight = map[string][]*scriptCall{}
	}
	for _, c := range q.pending {
		q.inFlight[c.keys[0]] = append(q.inFlight[c.keys[0]], c)
	}
	out = append(out, q.pending...)
	q.pending = nil
	return out
}

// releasesDone forgets releases Redis has answered (copies are not
// remembered, so they are skipped).
func (a *RedisAttempts) releasesDone(calls []*scriptCall) {
	if len(calls) == 0 {
		return
	}
	q := &a.releases
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, c := range calls {
		k := c.keys[0]
		rest := slices.DeleteFunc(q.inFlight[k], func(x *scriptCall) bool { return x == c })
		if len(rest) == 0 {
			delete(q.inFlight, k)
		} else {
			q.inFlight[k] = rest
		}
	}
}

// flushReleases sends the queued releases on their own, bounded by the
// timeout. It runs on a timer only while releases wait.
func (a *RedisAttempts) flushReleases() {
	defer func() { _ = recover() }() // a panic here must never reach the gateway
	calls := a.takeReleases("")
	if len(calls) == 0 {
		return
	}
	defer a.releasesDone(calls)
	ctx, cancel := context.WithTimeout(context.Background(), a.timeout)
	defer cancel()
	a.send(ctx, calls, nil)
}

// send runs the releases and main (nil from flushReleases) in one
// pipeline, one round trip, and reports the releases' errors; the caller
// reads main's result. Releases are sent as EVAL (their scripts are a few
// lines) so none can fail for a script Redis forgot (a restart, SCRIPT
// FLUSH) and run out of order; main is EVALSHA, sent once more as EVAL
// when Redis does not know it, which is safe because it did not run.
// Releases that never got a connection (this node's pool was exhausted)
// are queued again.
func (a *RedisAttempts) send(ctx context.Context, releases []*scriptCall, main *scriptCall) {
	if len(releases) == 0 {
		main.cmd = main.script.Run(ctx, a.client, main.keys, main.args...)
		return
	}
	_, _ = a.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, c := range releases {
			c.cmd = c.script.Eval(ctx, p, c.keys, c.args...)
		}
		if main != nil {
			main.cmd = main.script.EvalSha(ctx, p, main.keys, main.args...)
		}
		return nil
	})
	if main != nil && isNoScript(main.cmd.Err()) {
		main.cmd = main.script.Eval(ctx, a.client, main.keys, main.args...)
	}
	var retry []*scriptCall
	for _, c := range releases {
		_, err := c.result()
		switch {
		case isPoolTimeout(err):
			retry = append(retry, c)
		case err != nil:
			a.report(c.op, a.wrap(c.op, err))
		}
	}
	a.requeue(retry)
}

// requeue puts releases back in the queue.
func (a *RedisAttempts) requeue(calls []*scriptCall) {
	if len(calls) == 0 {
		return
	}
	q := &a.releases
	q.mu.Lock()
	for _, c := range calls {
		q.pending = append(q.pending, &scriptCall{op: c.op, script: c.script, keys: c.keys, args: c.args})
	}
	if q.timer == nil {
		q.timer = time.AfterFunc(a.releaseAfter, a.flushReleases)
	}
	q.mu.Unlock()
}

func isNoScript(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.HasPrefix(re.Error(), "NOSCRIPT")
}
