package e2e

import (
	"fmt"
	"net/http"
	"testing"
)

// TestClientAddressCannotBeChosen: the per-client limit counts an address
// the client cannot pick, through the loaded plugin.
//
// Without trusted_proxies, one connection spraying twelve usernames, each
// request with a new X-Real-IP and X-Forwarded-For, is one client: at most
// max_failures_per_client binds reach slapd, the rest get 429.
//
// With the test's own address as a trusted proxy, the client is the
// rightmost X-Forwarded-For entry that is not a proxy: entries the client
// writes further left are ignored, and rotating through addresses of one
// IPv6 /64 is still one client; another /64 is another client.
func TestClientAddressCannotBeChosen(t *testing.T) {
	e := newEnv(t)
	const limit = 4
	limits := []interface{}{"max_failures_per_client", limit, "client_failure_window", "1m"}
	e.load(
		e.api(classic, "spray-direct", e.direct(limits...)),
		e.api(classic, "spray-proxied", e.direct(append(limits, "trusted_proxies", []interface{}{"127.0.0.1", "::1"})...)),
	)

	spray := func(api string, n int, header func(i int) http.Header) (unauthorized, throttled, binds int) {
		t.Helper()
		before := e.counts()
		for i := range n {
			h := header(i)
			h.Set("Authorization", basic(fmt.Sprintf("sprayed-%s-%d", api, i), "Summer2026!"))
			switch r := e.do("/"+api+"/", h); r.status {
			case http.StatusUnauthorized:
				unauthorized++
			case http.StatusTooManyRequests:
				throttled++
			default:
				t.Fatalf("%s request %d: status %d %s", api, i, r.status, r.body)
			}
		}
		return unauthorized, throttled, e.counts().Sub(before).Binds
	}

	t.Run("spoofed headers without trusted proxies", func(t *testing.T) {
		u, th, binds := spray("spray-direct", 12, func(i int) http.Header {
			return http.Header{
				"X-Real-Ip":       {fmt.Sprintf("203.0.113.%d", i+1)},
				"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i+1)},
			}
		})
		if binds != limit || u != limit || th != 12-limit {
			t.Fatalf("12 sprayed usernames with rotated forwarding headers: %d binds, %d x 401, %d x 429; want %d binds and 401s, then 429",
				binds, u, th, limit)
		}
	})

	t.Run("rotated IPv6 addresses of one /64 behind a trusted proxy", func(t *testing.T) {
		u, th, binds := spray("spray-proxied", 10, func(i int) http.Header {
			return http.Header{"X-Forwarded-For": {fmt.Sprintf("192.0.2.%d, 2001:db8:aa:bb:%x::%x", i+1, i+1, i+7)}}
		})
		if binds != limit || u != limit || th != 10-limit {
			t.Fatalf("10 sprayed usernames from rotated addresses of 2001:db8:aa:bb::/64: %d binds, %d x 401, %d x 429; want %d binds and 401s, then 429",
				binds, u, th, limit)
		}
		u, _, binds = spray("spray-proxied", 1, func(int) http.Header {
			return http.Header{"X-Forwarded-For": {"2001:db8:aa:cc::1"}}
		})
		if u != 1 || binds != 1 {
			t.Fatalf("a client in another /64 was refused (%d x 401, %d binds)", u, binds)
		}
	})
}
