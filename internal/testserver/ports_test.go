package testserver

import (
	"net"
	"strconv"
	"testing"
)

func TestFreePorts(t *testing.T) {
	ports, err := FreePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] || p <= 0 || p > 65535 {
			t.Fatalf("ports %v: duplicate or out of range", ports)
		}
		seen[p] = true
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("port %d is not free: %v", p, err)
		}
		l.Close()
	}
	if len(ports) != 3 {
		t.Fatalf("%d ports, want 3", len(ports))
	}
}

func TestAccepts(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if !Accepts(addr) {
		t.Fatalf("Accepts(%s) = false with a listener", addr)
	}
	l.Close()
	if Accepts(addr) {
		t.Fatalf("Accepts(%s) = true after the listener closed", addr)
	}
}
