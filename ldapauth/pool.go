package ldapauth

import (
	"context"
	"strconv"
	"sync"
	"time"

	ldap "github.com/go-ldap/ldap/v3"
)

// pool is a bounded set of connections to one server for one purpose.
// Service-account connections and user-bind connections live in separate
// pools: a user bind changes who a connection acts as, and a later search
// must never run with a user's identity (or a user bind be mistaken for the
// service account's).
type pool struct {
	dialer      *dialer
	idleTimeout time.Duration
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

func newPool(d *dialer, size int, idleTimeout time.Duration) *pool {
	return &pool{dialer: d, idleTimeout: idleTimeout, slots: make(chan struct{}, size)}
}

// get returns a connection and whether it was freshly dialed. It waits for a
// free slot no longer than ctx allows.
func (p *pool) get(ctx context.Context) (conn *ldap.Conn, fresh bool, err error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, false, unavailable("all "+strconv.Itoa(cap(p.slots))+" connections to "+p.dialer.srv.URL+" are busy", ctx.Err())
	}
	if c := p.takeIdle(); c != nil {
		return c, false, nil
	}
	c, err := p.dialer.dial(ctx)
	if err != nil {
		<-p.slots
		return nil, false, err
	}
	// A pool closed by a reload still serves the requests already using it;
	// put closes their connections instead of keeping them.
	return c, true, nil
}

// takeIdle pops the most recently used idle connection that is still alive.
func (p *pool) takeIdle() *ldap.Conn {
	var stale []*ldap.Conn
	defer func() { closeAll(stale) }()
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.idle) > 0 {
		last := p.idle[len(p.idle)-1]
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

// put gives a connection back. A connection that failed at the transport
// level is closed instead of reused.
func (p *pool) put(c *ldap.Conn, healthy bool) {
	p.mu.Lock()
	if !healthy || p.closed || c.IsClosing() {
		p.mu.Unlock()
		c.Close()
		<-p.slots
		return
	}
	p.idle = append(p.idle, idleConn{conn: c, since: time.Now()})
	if p.reaper == nil {
		p.reaper = time.AfterFunc(p.idleTimeout, p.reap)
	}
	p.mu.Unlock()
	<-p.slots
}

// reap closes connections idle for longer than idleTimeout, so an API that
// stopped receiving traffic does not keep sockets open forever. It runs on
// a timer only while idle connections exist; no goroutine lives longer.
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
	clearTail(p.idle, len(keep))
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
	clearTail(p.idle, 0)
	p.idle = p.idle[:0]
	p.mu.Unlock()
	closeAll(stale)
}

// close shuts the pool: idle connections now, busy ones when they come back.
// The reaper timer is stopped so nothing keeps the closed pool alive.
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

func clearTail(s []idleConn, from int) {
	for i := from; i < len(s); i++ {
		s[i] = idleConn{}
	}
}

func closeAll(conns []*ldap.Conn) {
	for _, c := range conns {
		c.Close()
	}
}
