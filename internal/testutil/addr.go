package testutil

import (
	"net"
	"testing"
)

// ClosedAddr returns a loopback host:port that nobody listened on a moment
// ago: for a server that refuses connections, or one to start there.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}
