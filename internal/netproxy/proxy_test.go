package netproxy

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// echo is a loopback TCP echo server for the proxy's own tests.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func TestLatencyAndIntegrity(t *testing.T) {
	for _, latency := range []time.Duration{0, 30 * time.Millisecond} {
		t.Run(latency.String(), func(t *testing.T) {
			p := StartT(t, echo(t), latency)
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

func TestSetLatency(t *testing.T) {
	p := StartT(t, echo(t), 0)
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

func TestCloseEndsEverything(t *testing.T) {
	p, err := Start(echo(t), 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
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
