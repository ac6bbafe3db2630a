package testserver

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// echo serves lines back on loopback until the test ends.
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
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					_, _ = c.Write(append(sc.Bytes(), '\n'))
				}
			}()
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
