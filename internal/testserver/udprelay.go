package testserver

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

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
