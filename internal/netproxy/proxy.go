// Package netproxy is a loopback TCP proxy for tests: it sits in front of a
// real server (slapd, redis-server) and adds a one-way latency to every
// chunk of data in each direction, so a test sees a healthy but slow
// network instead of a fake server. Data keeps its order and the proxy
// does not throttle throughput: a chunk read at t is written at
// t + latency, whatever is queued behind it. Every connection and
// goroutine it starts ends with Close.
package netproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy forwards connections from its loopback address to one target.
type Proxy struct {
	ln      net.Listener
	target  string
	latency atomic.Int64 // nanoseconds, one way

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup

	accepted atomic.Int64
}

// Start listens on 127.0.0.1 (a free port) and forwards every connection
// to target, adding latency in each direction.
func Start(target string, latency time.Duration) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.latency.Store(int64(latency))
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// StartT is Start for a test: it fails the test when the proxy cannot
// start and closes the proxy when the test ends.
func StartT(t testing.TB, target string, latency time.Duration) *Proxy {
	t.Helper()
	p, err := Start(target, latency)
	if err != nil {
		t.Fatalf("netproxy: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// Addr is the host:port clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetLatency changes the one-way latency of data read from now on.
func (p *Proxy) SetLatency(d time.Duration) { p.latency.Store(int64(d)) }

// Accepted counts the connections the proxy has accepted.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Close stops accepting, closes every open connection and waits for the
// proxy's goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.accepted.Add(1)
		server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			_ = client.Close()
			continue
		}
		if !p.track(client, server) {
			return
		}
		p.wg.Add(2)
		go p.pipe(client, server)
		go p.pipe(server, client)
	}
}

// track registers both ends of a connection; false once the proxy closed.
func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *Proxy) forget(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

// chunk is data read at a moment, due to be written latency later.
type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies from src to dst, each chunk delayed by the latency current
// when it was read. When either side ends, both are closed (as a proxy
// in the middle of a TCP connection would).
func (p *Proxy) pipe(src, dst net.Conn) {
	defer p.wg.Done()
	queue := make(chan chunk, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer p.forget(dst)
		defer p.forget(src)
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		for c := range queue {
			if wait := time.Until(c.due); wait > 0 {
				timer.Reset(wait)
				<-timer.C
			}
			if _, err := dst.Write(c.data); err != nil {
				// Unblock the reader, then drain until it closes the queue.
				_ = src.Close()
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
				_ = src.Close()
			}
			break
		}
	}
	close(queue)
	<-done
}
