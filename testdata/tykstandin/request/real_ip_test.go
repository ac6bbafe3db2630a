// STAND-IN tests (not Tyk code): check RealIP follows the gateway's order
// (context value, X-Real-IP, X-Forwarded-For by depth, RemoteAddr) and its
// handling of bad values.
package request

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/TykTechnologies/tyk/config"
)

func TestRealIP(t *testing.T) {
	const remote = "192.0.2.9:41000"
	tests := []struct {
		name       string
		depth      *int // nil: Global unset
		remoteAddr string
		realIP     string
		forwarded  string
		want       string
	}{
		{"remote addr only", nil, remote, "", "", "192.0.2.9"},
		{"remote addr ipv6", nil, "[2001:db8::1]:443", "", "", "2001:db8::1"},
		{"remote addr without port", nil, "192.0.2.9", "", "", ""},
		{"x-real-ip wins over x-forwarded-for", nil, remote, "198.51.100.1", "203.0.113.1", "198.51.100.1"},
		{"x-real-ip canonical form", nil, remote, "2001:DB8:0:0::1", "", "2001:db8::1"},
		{"x-real-ip mapped ipv4", nil, remote, "::ffff:198.51.100.1", "", "198.51.100.1"},
		{"invalid x-real-ip falls through", nil, remote, "bob", "203.0.113.1", "203.0.113.1"},
		{"x-real-ip with port is invalid", nil, remote, "198.51.100.1:80", "", "192.0.2.9"},
		{"xff single", nil, remote, "", "203.0.113.1", "203.0.113.1"},
		{"xff first entry without Global", nil, remote, "", "203.0.113.1, 10.0.0.2, 10.0.0.1", "203.0.113.1"},
		{"xff first entry trimmed", nil, remote, "", "203.0.113.1 , 10.0.0.1", "203.0.113.1"},
		{"invalid xff falls back to remote addr", nil, remote, "", "bob, 10.0.0.1", "192.0.2.9"},
		{"xff with port is invalid", nil, remote, "", "203.0.113.1:5000", "192.0.2.9"},
		{"depth 0 first entry", ptr(0), remote, "", "203.0.113.1, 10.0.0.2, 10.0.0.1", "203.0.113.1"},
		{"depth 1 last entry", ptr(1), remote, "", "203.0.113.1, 10.0.0.2, 10.0.0.1", "10.0.0.1"},
		{"depth 2 second from right", ptr(2), remote, "", "203.0.113.1, 10.0.0.2, 10.0.0.1", "10.0.0.2"},
		{"depth equal to length", ptr(3), remote, "", "203.0.113.1, 10.0.0.2, 10.0.0.1", "203.0.113.1"},
		{"depth beyond length gives empty", ptr(4), remote, "", "203.0.113.1, 10.0.0.2, 10.0.0.1", ""},
		{"negative depth gives empty", ptr(-1), remote, "", "203.0.113.1", ""},
		{"depth ignored without xff", ptr(5), remote, "", "", "192.0.2.9"},
		{"x-real-ip wins over depth", ptr(9), remote, "198.51.100.1", "203.0.113.1", "198.51.100.1"},
		{"depth picks invalid entry", ptr(1), remote, "", "203.0.113.1, junk", "192.0.2.9"},
	}
	defer func(g func() config.Config) { Global = g }(Global)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			Global = nil
			if tc.depth != nil {
				var c config.Config
				c.HttpServerOptions.XFFDepth = *tc.depth
				Global = func() config.Config { return c }
			}
			r := httptest.NewRequest(http.MethodGet, "http://gw.example/api", nil)
			r.RemoteAddr = tc.remoteAddr
			if tc.realIP != "" {
				r.Header.Set("X-Real-IP", tc.realIP)
			}
			if tc.forwarded != "" {
				r.Header.Set("X-Forwarded-For", tc.forwarded)
			}
			if got := RealIP(r); got != tc.want {
				t.Fatalf("RealIP = %q, want %q", got, tc.want)
			}
		})
	}
}

// Only the first header line of each name counts, as with http.Header.Get.
func TestRealIPReadsFirstHeaderLineOnly(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "http://gw.example/", nil)
	r.RemoteAddr = "192.0.2.9:1"
	r.Header.Add("X-Forwarded-For", "junk")
	r.Header.Add("X-Forwarded-For", "203.0.113.1")
	if got := RealIP(r); got != "192.0.2.9" {
		t.Fatalf("RealIP = %q, want the remote address", got)
	}
}

// A string stored under the context key "remote_addr" beats every header;
// a value of another type panics, as in Tyk.
func TestRealIPContextValue(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "http://gw.example/", nil)
	r.RemoteAddr = "192.0.2.9:1"
	r.Header.Set("X-Real-IP", "198.51.100.1")
	// The key is a plain string because that is what Tyk looks up.
	withString := r.WithContext(context.WithValue(r.Context(), "remote_addr", "not-even-an-ip"))
	if got := RealIP(withString); got != "not-even-an-ip" {
		t.Fatalf("RealIP = %q, want the context value as is", got)
	}
	withInt := r.WithContext(context.WithValue(r.Context(), "remote_addr", 42))
	defer func() {
		if recover() == nil {
			t.Fatal("a non-string context value did not panic")
		}
	}()
	RealIP(withInt)
}

func ptr(n int) *int { return &n }
