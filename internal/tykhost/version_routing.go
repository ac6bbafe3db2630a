package tykhost

import (
	"net/http"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/log"
)

// Versioning with separate version APIs: a base API whose definition.enabled
// (Tyk OAS: info.versioning.enabled) is set maps version names to the IDs of
// other APIs. Read from gateway/mw_version_check.go, VersionCheck.
// ProcessRequest (:51-96 at v5.8.12 and v5.8.15, :55-100 at v5.14.0,
// :64-108 at v5.3.13 and v5.8.0; the same rule in all five):
//
//   - the version name is read as for every API (getVersionFromRequest:
//     header, query parameter or first path segment after the listen path,
//     stripped with strip_versioning_data, kept in ctx.VersionName); none →
//     definition.default;
//   - "self" or the base's own name (definition.name) is the base: its own
//     chain goes on (RequestValid and the rest);
//   - any other name: none at all → 403 "Version information not found";
//     its API ID looked up like a loop target (fuzzyFindAPI, so a name
//     works too); not found (the name is not listed, or its API is not
//     loaded) → 404 "This API version does not seem to exist", unless
//     fallback_to_default: then a default that is the base is served by the
//     base, a default missing from the list or whose API is not loaded →
//     500 "Internal Server Error", else the default's API;
//   - the base's listen path is stripped (SanitizeProxyPaths) and the
//     version API's whole chain runs with the same request, before the
//     base's authentication: the base's auth plugin never runs for it, the
//     version API's own auth decides, and its access-rights check looks for
//     the version API's ID. ctx.VersionName keeps the name the base read.
//     The version API is usually not versioned itself, so its VersionCheck
//     passes. Unlike a tyk:// loop, ctx.VersionData is not reset; the base
//     has not set it at this point.

// routeToVersionAPI applies the rule above. It reports whether the request
// is finished (answered by a version API or refused); false means the base
// API's own chain goes on.
func (h *Host) routeToVersionAPI(s *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record) bool {
	def := s.versions.def
	target := s.versionName(r)
	if target == "" {
		target = def.Default
	}
	isBase := func(name string) bool { return name == apidef.Self || name == def.Name }
	if !def.Enabled || isBase(target) {
		return false
	}
	if target == "" {
		h.fail(s, w, r, rec, msgVersionNotFound, http.StatusForbidden, true)
		return true
	}
	routes := h.routes.Load()
	version := routes.findAPI(def.Versions[target])
	if version == nil {
		if !def.FallbackToDefault {
			h.fail(s, w, r, rec, msgVersionDoesNotExist, http.StatusNotFound, true)
			return true
		}
		if isBase(def.Default) {
			return false
		}
		defaultID, listed := def.Versions[def.Default]
		if !listed {
			log.Get().Errorf("fallback to default but %s is not in the versions list", def.Default)
			h.fail(s, w, r, rec, msgInternalFailure, http.StatusInternalServerError, true)
			return true
		}
		if version = routes.findAPI(defaultID); version == nil {
			log.Get().Errorf("fallback to default but there is no such API found with the id: %s", defaultID)
			h.fail(s, w, r, rec, msgInternalFailure, http.StatusInternalServerError, true)
			return true
		}
	}
	sanitizeProxyPaths(s, r)
	h.handOver(s, version, w, r, rec)
	// The base's middleware wrapper persists a modified session after
	// ProcessRequest returns, here after the version API's chain.
	h.updateSession(s, r)
	return true
}
