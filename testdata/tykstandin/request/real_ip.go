// STAND-IN for tests only, not Tyk code. Mirrors the gateway's rule for a
// request's client address, request.RealIP in
// github.com/TykTechnologies/tyk/request (request/real_ip.go), as in
// v5.14.0. RealIP has the same signature in v5.3.13, v5.8.0, v5.8.12,
// v5.8.15 and v5.14.0.
//
// Differences by release:
//   - v5.3.13 to v5.8.15 have no Global variable and no depth: they use
//     the text before the first comma of X-Forwarded-For, without trimming
//     spaces. That is what this RealIP does while Global is nil, except
//     for an entry with a space before its comma ("10.0.0.1 , 10.0.0.2"):
//     those releases cannot parse "10.0.0.1 " and fall back to RemoteAddr,
//     v5.14.0 (and the stand-in) trims it and returns 10.0.0.1.
//   - Because Global exists only from v5.14.0, plugin code must never
//     refer to it; only the host (as the gateway) sets it.
package request

import (
	"net"
	"net/http"
	"strings"

	"github.com/TykTechnologies/tyk/config"
)

// Global returns the gateway configuration RealIP reads XFFDepth from. The
// v5.14.0 gateway sets it to its own config getter at start; nil means
// depth 0.
var Global func() config.Config

// The header names Tyk's header package defines for these two headers.
const (
	headerRealIP       = "X-Real-IP"
	headerForwardedFor = "X-Forwarded-For"
)

// remoteAddrKey is the plain-string context key RealIP consults first.
// No gateway code stores a value under it; only Tyk's tests do.
const remoteAddrKey = "remote_addr"

// RealIP returns the client address of r, first match wins:
//  1. a value stored in r's context under the string key "remote_addr",
//     returned as is (it must be a string: any other type panics, as in
//     Tyk);
//  2. the X-Real-IP header when it parses as an IP (in canonical form);
//  3. X-Forwarded-For, split on commas: with depth 0 the first entry,
//     with depth n the n-th from the right; a depth below 0 or above the
//     number of entries returns "" (no fallback); the chosen entry,
//     trimmed of spaces, is returned in canonical form when it parses as
//     an IP, otherwise the next rule applies;
//  4. the host part of r.RemoteAddr ("" when RemoteAddr is not
//     host:port).
//
// Only the first X-Real-IP and the first X-Forwarded-For header line are
// read (http.Header.Get). Both headers are set by whoever sends the
// request, so neither is trustworthy unless a proxy in front of the
// gateway overwrites them.
func RealIP(r *http.Request) string {
	if v := r.Context().Value(remoteAddrKey); v != nil {
		return v.(string)
	}
	if ip := net.ParseIP(r.Header.Get(headerRealIP)); ip != nil {
		return ip.String()
	}
	if forwarded := r.Header.Get(headerForwardedFor); forwarded != "" {
		entries := strings.Split(forwarded, ",")
		depth := 0
		if Global != nil {
			depth = Global().HttpServerOptions.XFFDepth
		}
		if depth < 0 || depth > len(entries) {
			return ""
		}
		pick := 0
		if depth > 0 {
			pick = len(entries) - depth
		}
		if ip := net.ParseIP(strings.TrimSpace(entries[pick])); ip != nil {
			return ip.String()
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}
