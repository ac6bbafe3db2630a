package testserver

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy is a TCP proxy on loopback in front of a real server: a slow or
// failing network without a fake server.
//
//   - SetLatency adds a one-way latency to every chunk of data in each
//     direction (none by default): a healthy but slow network. Data keeps
//     its order and the proxy does not throttle throughput: a chunk read
//     at t is written at t + latency, whatever is queued behind it.
//   - Accepted and Open count the connections accepted and those still
//     open, so a test can tell which of several addresses of one server a
//     client used, and whether the client let go of its connections.
//   - Cut and Restore break the network between client and server and
//     mend it, without touching the server.
//
// Every connection and goroutine it starts ends with Close.
type Proxy struct {
	l        net.Listener
	target   string
	latency  atomic.Int64 // nanoseconds, one way
	accepted atomic.Int64
	open     atomic.Int64

	mu     sync.Mutex
	conns  map[net.Conn]struct{} // both ends of every forwarded connection
	closed bool
	cut    bool // Cut: accepted connections are closed at once
	wg     sync.WaitGroup
}

// StartProxy listens on listen (e.g. "127.0.0.1:0", "[::1]:0") and
// forwards every connection to target.
func StartProxy(listen, target string) (*Proxy, error) {
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	p := &Proxy{l: l, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// StartProxyT is StartProxy on 127.0.0.1 (a free port) for a test: it
// fails the test when the proxy cannot start and closes the proxy when
// the test ends.
func StartProxyT(t testing.TB, target string) *Proxy {
	t.Helper()
	p, err := StartProxy("127.0.0.1:0", target)
	if err != nil {
		t.Fatalf("proxy to %s: %v", target, err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// Addr is the proxy's listening address; Port its port.
func (p *Proxy) Addr() string { return p.l.Addr().String() }
func (p *Proxy) Port() int    { return p.l.Addr().(*net.TCPAddr).Port }

// Accepted counts the connections accepted so far; Open those not closed
// by either side yet.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }
func (p *Proxy) Open() int64     { return p.open.Load() }

// SetLatency changes the one-way latency of data read from now on.
func (p *Proxy) SetLatency(d time.Duration) { p.latency.Store(int64(d)) }

// Cut closes every forwarded connection and closes new ones as soon as
// they are accepted, as a network failure between client and server
// would, until Restore. The server is not touched.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
}

// Restore forwards new connections again after Cut.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// Close stops listening, closes every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	err := p.l.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		if !p.track(c) {
			c.Close()
			return
		}
		p.open.Add(1)
		p.wg.Add(1)
		go p.forward(c)
	}
}

// track registers one end of a connection; false once the proxy closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

// forget closes one end of a connection and stops tracking it.
func (p *Proxy) forget(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) isCut() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut
}

// forward copies both ways until either side ends, then closes both (as
// a proxy in the middle of a TCP connection would).
func (p *Proxy) forward(client net.Conn) {
	defer p.wg.Done()
	defer p.open.Add(-1)
	defer p.forget(client)
	if p.isCut() {
		return
	}
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	if !p.track(server) {
		server.Close()
		return
	}
	defer p.forget(server)
	done := make(chan struct{}, 2)
	go func() { p.pipe(client, server); done <- struct{}{} }()
	go func() { p.pipe(server, client); done <- struct{}{} }()
	<-done
	// Closing both ends ends the other direction.
	client.Close()
	server.Close()
	<-done
}

// chunk is data read at a moment, due to be written latency later.
type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies from src to dst, each chunk delayed by the latency current
// when it was read, until src ends or dst fails.
func (p *Proxy) pipe(src, dst net.Conn) {
	queue := make(chan chunk, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		for c := range queue {
			if wait := time.Until(c.due); wait > 0 {
				timer.Reset(wait)
				<-timer.C
			}
			if _, err := dst.Write(c.data); err != nil {
				// Unblock the reader, then drain until it closes the queue.
				src.Close()
				for range queue {
				}
				return
			}
		}
	}()
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			queue <- chunk{data: append([]byte(nil), buf[:n]...), due: time.Now().Add(time.Duration(p.latency.Load()))}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				src.Close()
			}
			break
		}
	}
	close(queue)
	<-done
}
