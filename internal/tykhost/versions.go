package tykhost

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/ctx"
	"github.com/TykTechnologies/tyk/log"
)

// Version statuses with the texts of Tyk's RequestStatus constants
// (gateway/api_definition.go); VersionCheck answers 403 with them.
const (
	msgVersionNotFound        = "Version information not found"
	msgVersionDoesNotExist    = "This API version does not seem to exist"
	msgVersionExpired         = "Api Version has expired, please check documentation or contact administrator"
	msgVersionDefaultNotFound = "No default API version for this non-versioned API found"
	msgVersionAmbiguous       = "Ambiguous default API version for this non-versioned API"
)

// headerAPIExpires is XTykAPIExpires of gateway/mw_version_check.go.
const headerAPIExpires = "x-tyk-api-expires"

// apiVersions is what the version rules read from a classic definition
// (an OAS API gets Tyk's extracted form: not versioned, one version "").
type apiVersions struct {
	data apidef.VersionData // Versions is the host's own copy, see newAPIVersions
	def  apidef.VersionDefinition
	slug string
}

// newAPIVersions copies the definition's versions and parses each one's
// expires into ExpiresTs, as the gateway does when it loads an API
// (gateway/api_definition.go). The copy keeps the caller's definition, which
// the plugin is handed, untouched.
func newAPIVersions(def *apidef.APIDefinition) apiVersions {
	v := apiVersions{data: def.VersionData, def: def.VersionDefinition, slug: def.Slug}
	v.data.Versions = make(map[string]apidef.VersionInfo, len(def.VersionData.Versions))
	for name, info := range def.VersionData.Versions {
		if info.Expires != "" && info.Expires != "-1" {
			t, err := time.Parse(apidef.ExpirationTimeFormat, info.Expires)
			if err != nil {
				log.Get().WithError(err).WithField("expires", info.Expires).Error("Could not parse expiry date for API")
			}
			info.ExpiresTs = t
		}
		v.data.Versions[name] = info
	}
	return v
}

// versionExpired is VersionInfo.Expired: never for "" or "-1", always when
// the date did not parse, else once the date has passed.
func versionExpired(info apidef.VersionInfo, now time.Time) bool {
	if info.Expires == "" || info.Expires == "-1" {
		return false
	}
	if info.ExpiresTs.IsZero() {
		return true
	}
	return !now.Before(info.ExpiresTs)
}

// versionName is APISpec.getVersionFromRequest: the version the request
// names, read once per request from the configured location and kept in
// the request context under ctx.VersionName, as Tyk keeps it. Reading it
// strips it from the request when strip_versioning_data says so (for the URL
// location the deprecated strip_path too), so later middleware and the
// plugin no longer see it.
// A not-versioned API without the newer versioning names no version and
// caches nothing.
func (s *apiSpec) versionName(r *http.Request) string {
	if v, ok := r.Context().Value(ctx.VersionName).(*string); ok && v != nil {
		return *v
	}
	if s.versions.data.NotVersioned && !s.versions.def.Enabled {
		return ""
	}
	name := s.readVersionName(r)
	setCtxValue(r, ctx.VersionName, &name)
	return name
}

func (s *apiSpec) readVersionName(r *http.Request) string {
	d := s.versions.def
	switch d.Location {
	case apidef.HeaderLocation:
		name := r.Header.Get(d.Key)
		if d.StripVersioningData {
			r.Header.Del(d.Key)
		}
		return name
	case apidef.URLParamLocation:
		q := r.URL.Query()
		name := q.Get(d.Key)
		if d.StripVersioningData {
			// Tyk re-encodes the whole query, which sorts it.
			q.Del(d.Key)
			r.URL.RawQuery = q.Encode()
		}
		return name
	case apidef.URLLocation:
		p := stripListenPath(r.URL.Path, s.listenPath)
		p = strings.TrimPrefix(p, "/"+s.versions.slug)
		for _, part := range strings.Split(p, "/") {
			if part == "" {
				continue
			}
			if (d.StripVersioningData || d.StripPath) && matchesVersionPattern(d.UrlVersioningPattern, part) {
				// The first "<part>/" anywhere in the path goes, as in Tyk.
				r.URL.Path = strings.Replace(r.URL.Path, part+"/", "", 1)
				r.URL.RawPath = strings.Replace(r.URL.RawPath, part+"/", "", 1)
			}
			return part
		}
	}
	return ""
}

// matchesVersionPattern reports whether a path segment counts as a version
// for stripping; no pattern, or one that does not compile (Tyk logs it),
// matches everything.
func matchesVersionPattern(pattern, part string) bool {
	if pattern == "" {
		return true
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		log.Get().WithError(err).Error("Error compiling versioning pattern")
		return true
	}
	return re.MatchString(part)
}

// version is APISpec.Version as of v5.8.7: the request's version info, or
// the failure text. The info found is kept in the request context under
// ctx.VersionData (not when it came from fallback_to_default, as in Tyk).
func (s *apiSpec) version(r *http.Request) (apidef.VersionInfo, string) {
	if v, ok := r.Context().Value(ctx.VersionData).(*apidef.VersionInfo); ok && v != nil {
		return *v, ""
	}
	data := s.versions.data
	var info apidef.VersionInfo
	if data.NotVersioned {
		if ambiguousDefaultVersions(data) {
			return info, msgVersionAmbiguous
		}
		var ok bool
		if info, ok = singleOrDefaultVersion(data); !ok {
			return info, msgVersionDefaultNotFound
		}
	} else {
		name := s.versionName(r)
		if name == "" {
			if data.DefaultVersion == "" {
				return info, msgVersionNotFound
			}
			name = data.DefaultVersion
			setCtxValue(r, ctx.VersionDefault, true)
		}
		var ok bool
		if info, ok = data.Versions[name]; !ok {
			if s.versions.def.FallbackToDefault {
				if info, ok = data.Versions[data.DefaultVersion]; ok {
					return info, ""
				}
			}
			return info, msgVersionDoesNotExist
		}
	}
	setCtxValue(r, ctx.VersionData, &info)
	return info, ""
}

// ambiguousDefaultVersions is CheckForAmbiguousDefaultVersions: more than
// one of "Default", "default" and "".
func ambiguousDefaultVersions(data apidef.VersionData) bool {
	n := 0
	for _, name := range []string{"Default", "default", ""} {
		if _, ok := data.Versions[name]; ok {
			n++
		}
	}
	return n > 1
}

// singleOrDefaultVersion is GetSingleOrDefaultVersion: the only version,
// else (for a versioned API) the default version, else one named "Default",
// "default" or "", in that order.
func singleOrDefaultVersion(data apidef.VersionData) (apidef.VersionInfo, bool) {
	if len(data.Versions) == 1 {
		for _, v := range data.Versions {
			return v, true
		}
	}
	if !data.NotVersioned && data.DefaultVersion != "" {
		v, ok := data.Versions[data.DefaultVersion]
		return v, ok
	}
	for _, name := range []string{"Default", "default", ""} {
		if v, ok := data.Versions[name]; ok {
			return v, true
		}
	}
	return apidef.VersionInfo{}, false
}

// versionCheck is the VersionCheck middleware, which runs before
// authentication (gateway/api_loader.go): a request for a separate version
// API goes to that API's chain; otherwise, with the legacy versioning of
// version_data, the request's version must resolve and must not have
// expired, else 403 with the status text. A version with an expiry date
// announces it in x-tyk-api-expires. Endpoint allow and block lists, mock
// responses and the API-level expiration are not modelled.
func (h *Host) versionCheck(s *apiSpec, w http.ResponseWriter, r *http.Request, rec *Record) bool {
	// Tyk reads the name first (which strips it), routes a request for a
	// separate version API (version_routing.go), and then RequestValid.
	s.versionName(r)
	if h.routeToVersionAPI(s, w, r, rec) {
		return false
	}
	info, failure := s.version(r)
	now := h.opts.Now()
	if failure == "" && !s.versions.data.NotVersioned && versionExpired(info, now) {
		failure = msgVersionExpired
	}
	if failure != "" {
		h.fail(s, w, r, rec, failure, http.StatusForbidden, true)
		return false
	}
	// VersionInfo.ExpiryTime: zero once expired.
	if !info.ExpiresTs.IsZero() && !versionExpired(info, now) {
		w.Header().Set(headerAPIExpires, info.ExpiresTs.Format(time.RFC1123))
	}
	return true
}

// versionAllowed is the version part of AccessRightsCheck
// (gateway/mw_access_rights.go): on a versioned API the session's access
// right for it must list the request's version (the default version when
// the request names none), or the default version when
// fallback_to_default is set.
func (s *apiSpec) versionAllowed(r *http.Request, granted []string) bool {
	data := s.versions.data
	if data.NotVersioned {
		return true
	}
	target := s.versionName(r)
	if target == "" {
		target = data.DefaultVersion
	}
	for _, v := range granted {
		if v == target {
			return true
		}
	}
	if s.versions.def.FallbackToDefault && target != data.DefaultVersion {
		for _, v := range granted {
			if v == data.DefaultVersion {
				return true
			}
		}
	}
	return false
}

// setCtxValue is the gateway's setCtxValue: the value goes into a new
// request context that replaces *r's.
func setCtxValue(r *http.Request, key ctx.Key, value interface{}) {
	*r = *r.WithContext(context.WithValue(r.Context(), key, value))
}
