package testutil

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestClosedAddr(t *testing.T) {
	addr := ClosedAddr(t)
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("ClosedAddr = %q, want a loopback address", addr)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s accepts connections", addr)
	}
}
