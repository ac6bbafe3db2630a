package directory

import (
	"context"
	"strconv"
	"sync"
	"time"

	ldap "github.com/go-ldap/ldap/v3"
	"go.opentelemetry.io/otel/codes"
)

// pool is a bounded set of connections to one server for one purpose.
// Service-account connections and user-bind connections live in separate
// pools: a user bind changes who a connection acts as, and a later search
// must never run with a user's identity (or a user bind be mistaken for the
// service account's).
type pool struct {
	dialer      *dialer
	idleTimeout time.Duration
	purpose     string        // "service" or "user", for metrics and spans
	metrics     poolOptions   // server and purpose
	slots       chan struct{} // one token per connection, idle or in use

	mu     sync.Mutex
	idle   []idleConn // most recently used last
	closed bool
	reaper *time.Timer // armed while idle connections exist
}

type idleConn struct {
	conn  *ldap.Conn
	since time.Time
}

func newPool(d *dialer, purpose string, size int, idleTimeout time.Duration) *pool {
	return &pool{dialer: d, idleTimeout: idleTimeout, purpose: purpose, metrics: newPoolOptions(d.srv, purpose), slots: make(chan struct{}, size)}
}

// get returns a connection and whether it was freshly dialed. It waits for
// a free slot no longer than ctx allows; running out of time there is
// KindBusy, which says nothing about the directory's health. A request that
// had to wait starts nothing it lacks the time for: reusing a connection
// needs a whole request_timeout left, dialing a whole dial_timeout, else it
// gives the slot back with KindBusy instead of a step whose timeout would
// look like the server's fault.
func (p *pool) get(ctx context.Context) (conn *ldap.Conn, fresh bool, err error) {
	waited := false
	select {
	case p.slots <- struct{}{}:
	default:
		waited = true
		if err := p.wait(ctx); err != nil {
			return nil, false, err
		}
	}
	meters.Get().connUsed.Add(ctx, 1, p.metrics.add...)
	left, limited := timeLeft(ctx)
	if c := p.takeIdle(); c != nil {
		if waited && limited && left < p.dialer.requestTimeout {
			p.put(c, true)
			return nil, false, tooLateToStart(p.dialer.srv.URL, "request_timeout", left)
		}
		return c, false, nil
	}
	if waited && limited && left < p.dialer.dialTimeout {
		p.freeSlot()
		return nil, false, tooLateToStart(p.dialer.srv.URL, "dial_timeout", left)
	}
	c, err := p.dialer.dial(ctx)
	if err != nil {
		p.freeSlot()
		return nil, false, err
	}
	// A pool closed by a reload still serves the requests already using it;
	// put closes their connections instead of keeping them.
	return c, true, nil
}

// wait waits for a free slot, in a span of its own: a request queued
// behind a saturated pool shows where its time went.
func (p *pool) wait(ctx context.Context) error {
	start := time.Now()
	_, span := startOp(ctx, OpPoolWait, p.dialer.srv)
	if span.span.IsRecording() {
		span.span.SetAttributes(AttrPool.String(p.purpose))
	}
	select {
	case p.slots <- struct{}{}:
		span.span.End()
		meters.Get().connWait.Record(ctx, time.Since(start).Seconds(), p.metrics.record...)
		return nil
	case <-ctx.Done():
		err := &Error{Kind: KindBusy, Reason: "all " + strconv.Itoa(cap(p.slots)) + " connections to " + p.dialer.srv.URL + " stayed busy", Err: ctx.Err()}
		span.span.SetStatus(codes.Error, err.Kind.String())
		span.span.End()
		in := meters.Get()
		in.connWait.Record(ctx, time.Since(start).Seconds(), p.metrics.record...)
		in.connTimeouts.Add(ctx, 1, p.metrics.add...)
		return err
	}
}

// freeSlot gives a slot back.
func (p *pool) freeSlot() {
	<-p.slots
	meters.Get().connUsed.Add(context.Background(), -1, p.metrics.add...)
}

// timeLeft is what remains of ctx's deadline, if it has one.
func timeLeft(ctx context.Context) (time.Duration, bool) {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	return time.Until(dl), true
}

// takeIdle pops the most recently used idle connection that is still alive.
func (p *pool) takeIdle() *ldap.Conn {
	var stale []*ldap.Conn
	defer func() { closeAll(stale) }()
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.idle) > 0 {
		last := p.idle[len(p.idle)-1]
		p.idle[len(p.idle)-1] = idleConn{}
		p.idle = p.idle[:len(p.idle)-1]
		// IsClosing turns true as soon as go-ldap's reader sees the server
		// hang up, e.g. after a directory restart or an idle cut-off.
		if last.conn.IsClosing() || time.Since(last.since) > p.idleTimeout {
			stale = append(stale, last.conn)
			continue
		}
		return last.conn
	}
	return nil
}

// put gives a connection back and frees its slot. A connection that failed
// at the transport level, or whose state is unknown because its operation
// panicked, is closed instead of reused.
func (p *pool) put(c *ldap.Conn, healthy bool) {
	defer p.freeSlot()
	p.mu.Lock()
	if !healthy || p.closed || c.IsClosing() {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.idle = append(p.idle, idleConn{conn: c, since: time.Now()})
	if p.reaper == nil {
		p.reaper = time.AfterFunc(p.idleTimeout, p.reap)
	}
	p.mu.Unlock()
}

// reap closes connections idle for longer than idleTimeout, so an API that
// stopped receiving traffic does not keep sockets open forever. It runs on
// a timer only while idle connections exist; no goroutine lives longer.
// Connections are closed after the lock is released: closing waits for
// go-ldap's reader.
func (p *pool) reap() {
	defer func() { _ = recover() }() // a panic here must never reach the gateway
	var stale []*ldap.Conn
	p.mu.Lock()
	keep := p.idle[:0]
	for _, ic := range p.idle {
		if time.Since(ic.since) >= p.idleTimeout || ic.conn.IsClosing() {
			stale = append(stale, ic.conn)
		} else {
			keep = append(keep, ic)
		}
	}
	clear(p.idle[len(keep):])
	p.idle = keep
	p.reaper = nil
	if len(p.idle) > 0 && !p.closed {
		p.reaper = time.AfterFunc(p.idleTimeout/2+time.Millisecond, p.reap)
	}
	p.mu.Unlock()
	closeAll(stale)
}

// dropIdle closes every idle connection. Called when one connection turned
// out broken: after a directory restart all of them are, and trying each in
// turn would make several requests fail for one outage.
func (p *pool) dropIdle() {
	p.mu.Lock()
	stale := make([]*ldap.Conn, 0, len(p.idle))
	for _, ic := range p.idle {
		stale = append(stale, ic.conn)
	}
	clear(p.idle)
	p.idle = p.idle[:0]
	p.mu.Unlock()
	closeAll(stale)
}

// close shuts the pool: idle connections now, busy ones when they come
// back. The reaper timer is stopped so nothing keeps the closed pool alive.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	if p.reaper != nil {
		p.reaper.Stop()
		p.reaper = nil
	}
	p.mu.Unlock()
	p.dropIdle()
}

// inUse reports how many slots are taken (for tests).
func (p *pool) inUse() int { return len(p.slots) }

func closeAll(conns []*ldap.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// withConn runs op on a pooled connection. When a reused connection fails
// at the transport level (the server restarted or cut idle connections),
// every idle connection of the pool is dropped and op runs once more on a
// fresh one, so one directory restart costs no failed request. The
// connection goes back to the pool on every path, a panic in op included
// (closed then, since its state is unknown).
func (d *Directory) withConn(ctx context.Context, p *pool, op func(*ldap.Conn) error) error {
	err := d.onePooled(ctx, p, op)
	if first, ok := err.(retryOnFresh); ok {
		d.log.Debug("pooled connection broke; retrying on a new one", "server", p.dialer.srv.URL, "error", first.err)
		err = d.onePooled(ctx, p, op)
		if retry, ok := err.(retryOnFresh); ok {
			err = retry.err
		}
		if KindOf(err) == KindBusy {
			// The retry only had what the first try left; the first
			// try's failure, with its whole allowance, is the evidence.
			err = first.err
		}
	}
	if isTransport(err) {
		if IsTimeout(err) {
			return unavailable(NoAnswerReason(p.dialer.srv.URL, "an LDAP operation", "request_timeout", d.opts.RequestTimeout), err)
		}
		return unavailable("no answer from "+p.dialer.srv.URL, err)
	}
	return err
}

// retryOnFresh marks a transport failure on a reused connection.
type retryOnFresh struct{ err error }

func (r retryOnFresh) Error() string { return r.err.Error() }

func (d *Directory) onePooled(ctx context.Context, p *pool, op func(*ldap.Conn) error) (err error) {
	c, fresh, err := p.get(ctx)
	if err != nil {
		return err
	}
	healthy := false
	defer func() { p.put(c, healthy) }()
	err = op(c)
	healthy = !isTransport(err)
	if !healthy && timedOutShort(ctx) {
		return outOfTime(p.dialer.srv.URL, err)
	}
	if !healthy && !fresh && ctx.Err() == nil {
		p.dropIdle()
		return retryOnFresh{err}
	}
	return err
}
