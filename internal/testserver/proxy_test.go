package testserver

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// echo serves back what it receives on loopback until the test ends.
func echo(t *testing.T, network string) string {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		go func() {
			buf := make([]byte, 512)
			for {
				n, from, err := c.ReadFrom(buf)
				if err != nil {
					return
				}
				_, _ = c.WriteTo(buf[:n], from)
			}
		}()
		return c.LocalAddr().String()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return l.Addr().String()
}

func TestProxyCounts(t *testing.T) {
	p, err := StartProxy("127.0.0.1:0", echo(t, "tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "hello\n" {
		t.Fatalf("echo through the proxy: %q, %v", line, err)
	}
	if p.Accepted() != 1 || p.Open() != 1 {
		t.Fatalf("accepted %d open %d, want 1 and 1", p.Accepted(), p.Open())
	}
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for p.Open() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the closed connection is still counted open")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Cut ends open connections and refuses new ones; Restore forwards again.
func TestProxyCutAndRestore(t *testing.T) {
	p, err := StartProxy("127.0.0.1:0", echo(t, "tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	roundTrip := func() error {
		c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Write([]byte("ping\n")); err != nil {
			return err
		}
		_, err = bufio.NewReader(c).ReadString('\n')
		return err
	}
	if err := roundTrip(); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	held, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := held.Write([]byte("first\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(held)
	_ = held.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("an open connection survived Cut")
	}
	if err := roundTrip(); err == nil {
		t.Fatal("a new connection was forwarded while cut")
	}
	p.Restore()
	if err := roundTrip(); err != nil {
		t.Fatalf("after Restore: %v", err)
	}
}

func TestProxyLatencyAndIntegrity(t *testing.T) {
	for _, latency := range []time.Duration{0, 30 * time.Millisecond} {
		t.Run(latency.String(), func(t *testing.T) {
			p := StartProxyT(t, echo(t, "tcp"))
			p.SetLatency(latency)
			c, err := net.Dial("tcp", p.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			msg := bytes.Repeat([]byte("0123456789"), 10_000) // several chunks
			start := time.Now()
			go func() { _, _ = c.Write(msg) }()
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(c, got); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			if !bytes.Equal(got, msg) {
				t.Fatal("data changed or reordered on the way")
			}
			if took < 2*latency {
				t.Fatalf("round trip took %v, want at least %v", took, 2*latency)
			}
			if p.Accepted() != 1 {
				t.Fatalf("accepted %d connections, want 1", p.Accepted())
			}
		})
	}
}

func TestProxySetLatency(t *testing.T) {
	p := StartProxyT(t, echo(t, "tcp"))
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip := func() time.Duration {
		start := time.Now()
		if _, err := c.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	roundTrip()
	p.SetLatency(40 * time.Millisecond)
	if took := roundTrip(); took < 80*time.Millisecond {
		t.Fatalf("round trip after SetLatency took %v, want at least 80ms", took)
	}
}

func TestProxyCloseEndsEverything(t *testing.T) {
	p, err := StartProxy("127.0.0.1:0", echo(t, "tcp"))
	if err != nil {
		t.Fatal(err)
	}
	p.SetLatency(10 * time.Millisecond)
	var conns []net.Conn
	for range 5 {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = c.Write([]byte("hello"))
		conns = append(conns, c)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		// Whatever was in flight, the connection ends: EOF or reset.
		if _, err := io.ReadAll(c); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("a client connection stayed open after Close")
			}
		}
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("the proxy still accepts after Close")
	}
}

func TestUDPRelayDrops(t *testing.T) {
	r, err := StartUDPRelay("127.0.0.1:0", echo(t, "udp"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ask := func() error {
		c, err := net.Dial("udp", r.Addr())
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := c.Write([]byte("q")); err != nil {
			return err
		}
		buf := make([]byte, 8)
		_, err = c.Read(buf)
		return err
	}
	if err := ask(); err != nil {
		t.Fatalf("relaying: %v", err)
	}
	r.Drop(true)
	if err := ask(); err == nil {
		t.Fatal("an answer while dropping")
	}
	if r.Received() != 2 {
		t.Fatalf("received %d, want 2", r.Received())
	}
}
