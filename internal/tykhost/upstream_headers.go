package tykhost

import (
	"net"
	"net/http"
	"strings"
)

// tykHopHeaders is hopHeaders of gateway/reverse_proxy.go, the same list at
// v5.3.13, v5.8.0, v5.8.12, v5.8.15 and v5.14.0.
var tykHopHeaders = []string{
	"Connection",
	"Proxy-Connection",
	"Keep-Alive",
	"Proxy-Authenticate",
	"Proxy-Authorization",
	"Te",
	"Trailer",
	"Transfer-Encoding",
	"Upgrade",
}

// upstreamHeader returns the header Tyk's ReverseProxy.WrappedServeHTTP
// sends upstream for in, the request as the middleware chain left it (same
// code at v5.3.13, v5.8.0, v5.8.12, v5.8.15 and v5.14.0):
//
//  1. every name listed in the Connection header is deleted. Tyk reads it
//     with Header.Get, so only the first Connection line counts; names in
//     later lines stay.
//  2. every hop-by-hop header whose first value is not empty is deleted
//     with all its lines, except Te when its first value is exactly
//     "trailers".
//  3. X-Forwarded-For becomes the client's earlier X-Forwarded-For lines
//     joined by ", " followed by the client IP (requestIPHops); it is set
//     to "" when the remote address has no port.
//  4. a request without User-Agent gets "Tyk/<gateway version>" (the
//     reverse proxy's director).
//
// Connection: Upgrade and Upgrade are put back only for a WebSocket upgrade
// with http_server_options.enable_websockets on; the host does not model
// WebSockets, so it behaves as with the setting off (Tyk's default).
// global_headers_remove and per-endpoint header deletion, which can keep
// X-Forwarded-For from being set, are not modelled either.
func upstreamHeader(in *http.Request, gatewayVersion string) http.Header {
	h := in.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if _, ok := h["User-Agent"]; !ok {
		h.Set("User-Agent", "Tyk/"+gatewayVersion)
	}
	if c := h.Get("Connection"); c != "" {
		for _, name := range strings.Split(c, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range tykHopHeaders {
		v := h.Get(name)
		if v == "" || (name == "Te" && v == "trailers") {
			continue
		}
		h.Del(name)
	}
	h.Set("X-Forwarded-For", requestIPHops(in))
	return h
}

// requestIPHops is the gateway's requestIPHops: prior X-Forwarded-For
// values (of the request as it arrived at the proxy step), then the client
// IP from RemoteAddr.
func requestIPHops(r *http.Request) string {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	if prior, ok := r.Header["X-Forwarded-For"]; ok {
		ip = strings.Join(prior, ", ") + ", " + ip
	}
	return ip
}
