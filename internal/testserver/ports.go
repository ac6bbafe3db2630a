package testserver

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// FreePorts returns n different loopback TCP ports that were free a moment
// ago.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	// Hold all listeners until every port is chosen so they differ.
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("no free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// portClashAttempts bounds RetryPortClash.
const portClashAttempts = 3

// RetryPortClash calls start, which picks free ports and starts a server on
// them, again while it fails because a port is taken: another process can
// bind a free port between the probe and the server's own bind. Servers say
// so with "already in use" (EADDRINUSE) in their error or their log, which
// the error must carry. It gives up after three attempts.
func RetryPortClash(start func() error) error {
	var err error
	for range portClashAttempts {
		if err = start(); err == nil || !strings.Contains(err.Error(), "already in use") {
			return err
		}
	}
	return err
}

// Accepts reports whether something accepts TCP connections on addr
// (host:port) within a second.
func Accepts(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}
