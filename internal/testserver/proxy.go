package testserver

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy is a TCP proxy on loopback in front of a real server. It counts
// the connections it accepted and those still open, so a test can tell
// which of several addresses of one server a client used, and whether the
// client let go of its connections.
type Proxy struct {
	l        net.Listener
	target   string
	accepted atomic.Int64
	open     atomic.Int64

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	cut    bool // Cut: accepted connections are closed at once
	wg     sync.WaitGroup
}

// StartProxy listens on listen (e.g. "[::1]:0") and forwards every
// connection to target.
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

// Addr is the proxy's listening address; Port its port.
func (p *Proxy) Addr() string { return p.l.Addr().String() }
func (p *Proxy) Port() int    { return p.l.Addr().(*net.TCPAddr).Port }

// Accepted counts the connections accepted so far; Open those not closed
// by either side yet.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }
func (p *Proxy) Open() int64     { return p.open.Load() }

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

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

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

func (p *Proxy) isCut() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut
}

// forward copies both ways until either side closes, then closes both.
func (p *Proxy) forward(c net.Conn) {
	defer p.wg.Done()
	defer p.open.Add(-1)
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		c.Close()
	}()
	if p.isCut() {
		return
	}
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
	// Closing both ends ends the other copy.
	c.Close()
	up.Close()
	<-done
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

// UDPRelay relays UDP datagrams (DNS questions) on loopback to a real
// server and its answers back, or drops them while switched off: a DNS
// server that stopped answering, without stopping the server. It counts
// the datagrams it received.
type UDPRelay struct {
	conn     *net.UDPConn
	target   *net.UDPAddr
	received atomic.Int64
	dropping atomic.Bool
	wg       sync.WaitGroup
}

// StartUDPRelay listens on listen (e.g. "127.0.0.1:0") and relays to target.
func StartUDPRelay(listen, target string) (*UDPRelay, error) {
	la, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return nil, err
	}
	ta, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP("udp", la)
	if err != nil {
		return nil, err
	}
	r := &UDPRelay{conn: conn, target: ta}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

// Addr is the relay's address.
func (r *UDPRelay) Addr() string { return r.conn.LocalAddr().String() }

// Received counts the datagrams received, relayed or dropped.
func (r *UDPRelay) Received() int64 { return r.received.Load() }

// Drop switches relaying off (true) or on (false).
func (r *UDPRelay) Drop(drop bool) { r.dropping.Store(drop) }

func (r *UDPRelay) serve() {
	defer r.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, from, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		r.received.Add(1)
		if r.dropping.Load() {
			continue
		}
		msg := append([]byte(nil), buf[:n]...)
		r.wg.Add(1)
		go r.relay(msg, from)
	}
}

// relay asks the target and sends its answer back to from.
func (r *UDPRelay) relay(msg []byte, from *net.UDPAddr) {
	defer r.wg.Done()
	up, err := net.DialUDP("udp", nil, r.target)
	if err != nil {
		return
	}
	defer up.Close()
	_ = up.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := up.Write(msg); err != nil {
		return
	}
	buf := make([]byte, 65535)
	n, err := up.Read(buf)
	if err != nil {
		return
	}
	_, _ = r.conn.WriteToUDP(buf[:n], from)
}

// Close stops the relay and waits for its goroutines.
func (r *UDPRelay) Close() error {
	err := r.conn.Close()
	r.wg.Wait()
	return err
}
