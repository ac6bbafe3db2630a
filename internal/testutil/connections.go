package testutil

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// OpenConnections counts this machine's established TCP connections to
// addr, a 127.0.0.1 address (the client ends), from /proc/net/tcp: what a
// test reads to prove a pool closed what it opened.
func OpenConnections(t testing.TB, addr string) int {
	t.Helper()
	host, portText, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("OpenConnections needs a 127.0.0.1 address, got %q", addr)
	}
	port, _ := strconv.Atoi(portText)
	want := fmt.Sprintf("0100007F:%04X", port)
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		t.Fatalf("cannot count connections: %v", err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st ...; st 01 = ESTABLISHED
		fields := strings.Fields(sc.Text())
		if len(fields) > 3 && fields[2] == want && fields[3] == "01" {
			n++
		}
	}
	return n
}
