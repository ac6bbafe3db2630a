package ldapauth

import (
	"net/http"
	"testing"
)

// Who a request is counted as: forwarding headers are believed only from
// trusted proxies and only from the right, so a client cannot rotate the
// address the per-client limit counts by writing headers.
func TestClientAddress(t *testing.T) {
	tests := []struct {
		name    string
		trusted []any
		v6Bits  float64
		peer    string
		header  map[string][]string
		wantIP  string
		wantKey string
	}{
		{"no trusted proxies: headers ignored", nil, 64, "198.51.100.7:4000",
			map[string][]string{"X-Real-Ip": {"203.0.113.1"}, "X-Forwarded-For": {"203.0.113.2"}}, "198.51.100.7", "client:198.51.100.7"},
		{"untrusted peer: headers ignored", []any{"10.0.0.0/8"}, 64, "198.51.100.7:4000",
			map[string][]string{"X-Forwarded-For": {"203.0.113.2"}}, "198.51.100.7", "client:198.51.100.7"},
		{"trusted peer: rightmost entry", []any{"10.0.0.0/8"}, 64, "10.1.2.3:4000",
			map[string][]string{"X-Forwarded-For": {"203.0.113.9, 203.0.113.2"}}, "203.0.113.2", "client:203.0.113.2"},
		{"trusted hops are skipped", []any{"10.0.0.0/8", "192.0.2.10"}, 64, "10.1.2.3:4000",
			map[string][]string{"X-Forwarded-For": {"1.1.1.1, 203.0.113.2, 192.0.2.10", "10.9.9.9"}}, "203.0.113.2", "client:203.0.113.2"},
		{"garbage stops at the last trusted hop", []any{"10.0.0.0/8"}, 64, "10.1.2.3:4000",
			map[string][]string{"X-Forwarded-For": {"203.0.113.2, not-an-ip, 10.0.0.5"}}, "10.0.0.5", "client:10.0.0.5"},
		{"trusted peer without header", []any{"10.0.0.0/8"}, 64, "10.1.2.3:4000", nil, "10.1.2.3", "client:10.1.2.3"},
		{"X-Real-IP ignored unless configured", []any{"10.0.0.0/8"}, 64, "10.1.2.3:4000",
			map[string][]string{"X-Real-Ip": {"203.0.113.1"}}, "10.1.2.3", "client:10.1.2.3"},
		{"IPv6 counted by /64", nil, 64, "[2001:db8:1:2:aaaa::1]:4000", nil, "2001:db8:1:2:aaaa::1", "client:2001:db8:1:2::/64"},
		{"IPv6 prefix configurable", nil, 48, "[2001:db8:1:2::1]:4000", nil, "2001:db8:1:2::1", "client:2001:db8:1::/48"},
		{"IPv6 full address", nil, 128, "[2001:db8::1%eth0]:4000", nil, "2001:db8::1", "client:2001:db8::1"},
		{"IPv4-mapped IPv6 is IPv4", nil, 64, "[::ffff:198.51.100.7]:4000", nil, "198.51.100.7", "client:198.51.100.7"},
		{"forwarded IPv6 by prefix", []any{"::1"}, 64, "[::1]:4000",
			map[string][]string{"X-Forwarded-For": {"[2001:db8:5:6:7::9]:1234"}}, "2001:db8:5:6:7::9", "client:2001:db8:5:6::/64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := map[string]any{"client_ipv6_prefix": tt.v6Bits}
			if tt.trusted != nil {
				raw["trusted_proxies"] = tt.trusted
			}
			cfg := mustConfig(t, minimal(raw))
			r := &http.Request{RemoteAddr: tt.peer, Header: http.Header(tt.header)}
			got := newClientAddressRule(cfg).of(r)
			if got.ip != tt.wantIP || got.key != tt.wantKey {
				t.Fatalf("got %+v, want ip %s key %s", got, tt.wantIP, tt.wantKey)
			}
		})
	}
}

func TestClientAddressFromXRealIP(t *testing.T) {
	cfg := mustConfig(t, minimal(map[string]any{"trusted_proxies": []any{"127.0.0.1"}, "trusted_proxy_header": "X-Real-IP"}))
	rule := newClientAddressRule(cfg)
	r := &http.Request{RemoteAddr: "127.0.0.1:1", Header: http.Header{"X-Real-Ip": {"203.0.113.4"}, "X-Forwarded-For": {"203.0.113.5"}}}
	if got := rule.of(r); got.ip != "203.0.113.4" {
		t.Fatalf("got %+v", got)
	}
}
