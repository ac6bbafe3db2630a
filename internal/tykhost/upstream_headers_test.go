package tykhost

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
)

// TestUpstreamHeader pins the header rule of Tyk's reverse proxy
// (gateway/reverse_proxy.go): hop-by-hop removal, X-Forwarded-For and the
// default User-Agent.
func TestUpstreamHeader(t *testing.T) {
	const client = "192.0.2.7:51234"
	tests := []struct {
		name   string
		remote string
		in     http.Header
		want   http.Header
	}{
		{name: "end-to-end headers pass, User-Agent and X-Forwarded-For are set",
			in:   http.Header{"Accept": {"*/*"}, "X-Custom": {"a", "b"}},
			want: http.Header{"Accept": {"*/*"}, "X-Custom": {"a", "b"}, "User-Agent": {"Tyk/v5.8.12"}, "X-Forwarded-For": {"192.0.2.7"}}},
		{name: "a client User-Agent is kept",
			in:   http.Header{"User-Agent": {"curl/8"}},
			want: http.Header{"User-Agent": {"curl/8"}, "X-Forwarded-For": {"192.0.2.7"}}},
		{name: "the fixed hop-by-hop list goes",
			in: http.Header{"Connection": {"keep-alive"}, "Proxy-Connection": {"keep-alive"}, "Keep-Alive": {"timeout=5"},
				"Proxy-Authenticate": {"Basic"}, "Proxy-Authorization": {"Basic eDp5"}, "Te": {"gzip"}, "Trailer": {"X-T"},
				"Transfer-Encoding": {"chunked"}, "Upgrade": {"websocket"}, "User-Agent": {"ua"}},
			want: http.Header{"User-Agent": {"ua"}, "X-Forwarded-For": {"192.0.2.7"}}},
		{name: "names listed in Connection go",
			in:   http.Header{"Connection": {"X-A, x-b ,,"}, "X-A": {"1"}, "X-B": {"2"}, "X-C": {"3"}, "User-Agent": {"ua"}},
			want: http.Header{"X-C": {"3"}, "User-Agent": {"ua"}, "X-Forwarded-For": {"192.0.2.7"}}},
		{name: "only the first Connection line is read",
			in:   http.Header{"Connection": {"X-A", "X-B"}, "X-A": {"1"}, "X-B": {"2"}, "User-Agent": {"ua"}},
			want: http.Header{"X-B": {"2"}, "User-Agent": {"ua"}, "X-Forwarded-For": {"192.0.2.7"}}},
		{name: "an empty first Connection line keeps every line and the names in them",
			in:   http.Header{"Connection": {"", "X-B"}, "X-B": {"2"}, "User-Agent": {"ua"}},
			want: http.Header{"Connection": {"", "X-B"}, "X-B": {"2"}, "User-Agent": {"ua"}, "X-Forwarded-For": {"192.0.2.7"}}},
		{name: "a hop-by-hop header with an empty first value stays",
			in:   http.Header{"Keep-Alive": {"", "timeout=5"}, "User-Agent": {"ua"}},
			want: http.Header{"Keep-Alive": {"", "timeout=5"}, "User-Agent": {"ua"}, "X-Forwarded-For": {"192.0.2.7"}}},
		{name: "Te: trailers stays, with any further lines",
			in:   http.Header{"Te": {"trailers", "gzip"}, "User-Agent": {"ua"}},
			want: http.Header{"Te": {"trailers", "gzip"}, "User-Agent": {"ua"}, "X-Forwarded-For": {"192.0.2.7"}}},
		{name: "Te with more than trailers goes",
			in:   http.Header{"Te": {"trailers, deflate"}, "User-Agent": {"ua"}},
			want: http.Header{"User-Agent": {"ua"}, "X-Forwarded-For": {"192.0.2.7"}}},
		{name: "earlier X-Forwarded-For lines are folded in front",
			in:   http.Header{"X-Forwarded-For": {"198.51.100.1", "198.51.100.2, 198.51.100.3"}, "User-Agent": {"ua"}},
			want: http.Header{"X-Forwarded-For": {"198.51.100.1, 198.51.100.2, 198.51.100.3, 192.0.2.7"}, "User-Agent": {"ua"}}},
		{name: "listing X-Forwarded-For in Connection does not drop the earlier hops",
			in:   http.Header{"Connection": {"X-Forwarded-For"}, "X-Forwarded-For": {"198.51.100.1"}, "User-Agent": {"ua"}},
			want: http.Header{"X-Forwarded-For": {"198.51.100.1, 192.0.2.7"}, "User-Agent": {"ua"}}},
		{name: "other forwarding headers pass untouched",
			in:   http.Header{"Forwarded": {"for=x"}, "X-Forwarded-Host": {"evil"}, "X-Forwarded-Proto": {"gopher"}, "User-Agent": {"ua"}},
			want: http.Header{"Forwarded": {"for=x"}, "X-Forwarded-Host": {"evil"}, "X-Forwarded-Proto": {"gopher"}, "User-Agent": {"ua"}, "X-Forwarded-For": {"192.0.2.7"}}},
		{name: "listing User-Agent in Connection drops Tyk's default too",
			in:   http.Header{"Connection": {"User-Agent"}},
			want: http.Header{"X-Forwarded-For": {"192.0.2.7"}}},
		{name: "a remote address without a port gives an empty X-Forwarded-For", remote: "192.0.2.7",
			in:   http.Header{"X-Forwarded-For": {"198.51.100.1"}, "User-Agent": {"ua"}},
			want: http.Header{"X-Forwarded-For": {""}, "User-Agent": {"ua"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "http://gw/x", nil)
			r.Header = tc.in.Clone()
			r.RemoteAddr = client
			if tc.remote != "" {
				r.RemoteAddr = tc.remote
			}
			got := upstreamHeader(r, "v5.8.12")
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("upstream header\n got %v\nwant %v", got, tc.want)
			}
			if !reflect.DeepEqual(r.Header, tc.in) {
				t.Fatalf("the incoming header was changed: %v", r.Header)
			}
		})
	}
}

// TestProxyAppliesTykHeaderRule checks that what reaches the upstream
// through the host follows upstreamHeader, including for a header the plugin
// set: a client naming it in Connection makes it vanish, as in Tyk.
func TestProxyAppliesTykHeaderRule(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	_, srv := startHost(t, Options{GatewayVersion: "v5.14.0"}, APIs{Classic: []*apidef.APIDefinition{pluginAPI("ldap", "/ldap/", up.URL, so)}})
	tests := []struct {
		name    string
		headers map[string]string
		absent  []string
		present map[string]string
	}{
		{name: "identity header set by the plugin reaches the upstream",
			headers: map[string]string{"X-Test-User": "alice", "X-Test-Identity-Header": "true"},
			present: map[string]string{"X-Authenticated-User": "alice", "User-Agent": "Go-http-client/1.1", "X-Forwarded-For": "127.0.0.1"}},
		{name: "a client naming it in Connection removes it",
			headers: map[string]string{"X-Test-User": "alice", "X-Test-Identity-Header": "true", "Connection": "X-Authenticated-User"},
			absent:  []string{"X-Authenticated-User", "Connection"}},
		{name: "hop-by-hop headers do not reach the upstream",
			headers: map[string]string{"X-Test-User": "alice", "Keep-Alive": "timeout=5", "Proxy-Authorization": "Basic eDp5", "X-Forwarded-Host": "client.example"},
			absent:  []string{"Keep-Alive", "Proxy-Authorization"},
			present: map[string]string{"X-Forwarded-Host": "client.example"}},
		{name: "the raw query reaches the upstream as sent",
			headers: map[string]string{"X-Test-User": "alice"},
			present: map[string]string{"X-Query": "a=1;b=2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := do(t, srv, "GET", "/ldap/get?a=1;b=2", tc.headers, ""); got.status != 200 {
				t.Fatalf("got %d %q", got.status, got.body)
			}
			req, _ := up.last()
			for _, name := range tc.absent {
				if v, ok := req.Header[http.CanonicalHeaderKey(name)]; ok {
					t.Errorf("upstream got %s: %q", name, v)
				}
			}
			for name, want := range tc.present {
				got := req.Header.Get(name)
				if name == "X-Query" {
					got = req.URL.RawQuery
				}
				if got != want {
					t.Errorf("upstream %s = %q, want %q", name, got, want)
				}
			}
		})
	}
}
