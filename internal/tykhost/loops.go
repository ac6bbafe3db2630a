package tykhost

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/ctx"
	"github.com/TykTechnologies/tyk/log"
)

// An API whose target URL (classic proxy.target_url, OAS upstream.url) is
// tyk://<api id or name>/… hands its requests to that API's chain instead of
// proxying them. Read from gateway/api_loader.go, DummyProxyHandler.ServeHTTP,
// its `d.SH.Spec.target.Scheme == "tyk"` branch (api_loader.go:649-673 at
// v5.8.12, :766-791 at v5.14.0, :634-645 at v5.3.13), and fuzzyFindAPI /
// APILoopingName (:700-730 at v5.8.12, :818-848 at v5.14.0):
//
//   - the target is found by API ID or by looping name; none → 500
//     "Couldn't detect target", written with the error template and recorded
//     for the looping API;
//   - only the target's host part is used: the path of tyk://name/path is
//     ignored. (From v5.8.6 Tyk also sets ctx.InternalRedirectTarget to
//     /<name>/<request path> for the target's OAS operation matching; the
//     host, which matches no operations, does not.);
//   - the looping API's listen path is stripped when strip_listen_path is set
//     (SanitizeProxyPaths), the version info is reset (ctxSetVersionInfo(r,
//     nil)), and the target's whole chain (ChainObject.ThisHandler) runs with
//     the same *http.Request and ResponseWriter: every other context value
//     (session, ctx.Definition or ctx.OASDefinition, ctx.VersionName) is
//     still there;
//   - nothing counts these hops. Tyk's loop level and its "Loop level too
//     deep" 500 belong to URL-rewrite loops (isLoop looks at r.URL.Scheme,
//     which stays empty here) and are not modelled, so a cycle of tyk://
//     targets recurses until a rate limit or quota ends it, or else until
//     the goroutine stack overflows, which kills the gateway process. The
//     host cannot survive that, so at maxInternalHops it drops the
//     connection instead and records nothing.

// loopScheme is LoopScheme of gateway/mw_url_rewrite.go.
const loopScheme = "tyk"

// msgLoopTargetNotFound is the error DummyProxyHandler writes when no API
// matches a tyk:// target.
const msgLoopTargetNotFound = "Couldn't detect target"

// maxInternalHops bounds the loops and version routings one request may
// take in the host. Tyk has no bound (see above); any real chain of APIs is
// far shorter, and a cycle that a rate limit or quota ends in Tyk ends here
// too as long as the limit is below this bound.
const maxInternalHops = 100

// nonAlphaNumeric is NonAlphaNumRE of gateway/mw_url_rewrite.go
// (:494 at v5.8.12, :515 at v5.14.0).
var nonAlphaNumeric = regexp.MustCompile("[^A-Za-z0-9]+")

// loopingName is APILoopingName: the API name cut before " #category"
// (trimCategories) with every run of other characters than ASCII letters
// and digits replaced by "-". Tyk slices name[:i-1] for the first "#", so a
// name that starts with "#" makes it panic; the host gives such a name no
// looping name instead.
func loopingName(name string) string {
	if i := strings.Index(name, "#"); i == 0 {
		return ""
	} else if i > 0 {
		name = name[:i-1]
	}
	return nonAlphaNumeric.ReplaceAllString(name, "-")
}

// findAPI is fuzzyFindAPI: the first API whose ID equals search, or whose
// looping name equals it ignoring case. Tyk walks a map, so when several
// APIs match, which one it takes is random; the host takes the first in
// load order. Tyk also matches the database ID (id), which the stand-in's
// definitions do not carry. An empty search finds nothing.
func (t *routeTable) findAPI(search string) *apiSpec {
	if search == "" {
		return nil
	}
	for _, s := range t.loaded {
		if s.apiID == search || strings.EqualFold(loopingName(s.name), search) {
			return s
		}
	}
	return nil
}

// finalHandler is DummyProxyHandler: the end of every chain. It proxies the
// request, or hands it to the API its tyk:// target names.
func (h *Host) finalHandler(s *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record) {
	if s.target.Scheme != loopScheme {
		h.proxyRequest(s, w, r, rec)
		h.updateSession(s, r)
		return
	}
	target := h.routes.Load().findAPI(s.target.Host)
	if target == nil {
		h.fail(s, w, r, rec, msgLoopTargetNotFound, http.StatusInternalServerError, true)
		return
	}
	sanitizeProxyPaths(s, r)
	setCtxValue(r, ctx.VersionData, (*apidef.VersionInfo)(nil))
	h.handOver(s, target, w, r, rec)
}

// handOver runs target's chain for a request s passes on (a tyk:// loop or
// version routing), noting s in the record. Past maxInternalHops it drops
// the connection, the host's stand-in for the crash Tyk would go into.
func (h *Host) handOver(s, target *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record) {
	if len(rec.Via) >= maxInternalHops {
		log.Get().WithField("api_id", s.apiID).WithField("target", target.apiID).
			Errorf("request passed between APIs %d times: Tyk counts no such hops and would recurse until the gateway dies; dropping the connection", len(rec.Via))
		panic(http.ErrAbortHandler)
	}
	rec.Via = append(rec.Via, s.apiID)
	h.serveChain(target, w, r, rec)
}

// sanitizeProxyPaths is APISpec.SanitizeProxyPaths: with strip_listen_path
// the API's listen path is cut from the path (and the raw path).
func sanitizeProxyPaths(s *apiSpec, r *http.Request) {
	if !s.stripListenPath {
		return
	}
	r.URL.Path = stripListenPath(r.URL.Path, s.listenPath)
	if r.URL.RawPath != "" {
		r.URL.RawPath = stripListenPath(r.URL.RawPath, s.listenPath)
	}
}
