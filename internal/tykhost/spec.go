package tykhost

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"
)

// authMode is the auth middleware the chain runs (gateway/api_loader.go).
type authMode int

const (
	authKeyless  authMode = iota // use_keyless: no auth chain at all
	authGoPlugin                 // custom plugin auth with the goplugin driver
	authToken                    // AuthKey: what Tyk falls back to
)

// apiSpec is one loaded API, the host's counterpart of Tyk's *APISpec. A
// reload builds new specs, so definition pointers change only then.
type apiSpec struct {
	apiID, orgID string
	name         string
	listenPath   string
	// internal APIs (classic internal, OAS info.state.internal) get no
	// listen path route: only loops and version routing reach them.
	internal         bool
	stripListenPath  bool
	target           *url.URL
	auth             authMode
	authCheck        apidef.MiddlewareDefinition
	stripAuthData    bool
	disableRateLimit bool
	disableQuota     bool
	// sessionLifetime and sessionLifetimeRespectsKeyExpiration are the
	// API's session_lifetime and session_lifetime_respects_key_expiration.
	sessionLifetime                      int64
	sessionLifetimeRespectsKeyExpiration bool
	versions                             apiVersions
	// detailedTracing is the classic detailed_tracing: with OpenTelemetry
	// on, the plugin runs in a span of its own.
	detailedTracing bool

	// classic is injected with ctx.SetDefinition for classic APIs; the
	// same pointer on every request until a reload.
	classic *apidef.APIDefinition
	// isOAS APIs get ctx.SetOASDefinition(r, &spec.oas) instead.
	isOAS bool
	oas   oas.OAS

	handler http.HandlerFunc // nil when the plugin failed to load
	loadErr error
	proxy   http.Handler
}

// classicSpec reads the chain settings of a classic API definition.
func classicSpec(def *apidef.APIDefinition) (*apiSpec, error) {
	s := &apiSpec{
		apiID:            def.APIID,
		orgID:            def.OrgID,
		name:             def.Name,
		detailedTracing:  def.DetailedTracing,
		listenPath:       def.Proxy.ListenPath,
		internal:         def.Internal,
		stripListenPath:  def.Proxy.StripListenPath,
		stripAuthData:    def.StripAuthData,
		disableRateLimit: def.DisableRateLimit,
		disableQuota:     def.DisableQuota,
		sessionLifetime:  def.SessionLifetime,
		classic:          def,

		sessionLifetimeRespectsKeyExpiration: def.SessionLifetimeRespectsKeyExpiration,
		versions:                             newAPIVersions(def),
	}
	mode, err := chooseAuth(def)
	if err != nil {
		return nil, fmt.Errorf("api %q: %w", def.APIID, err)
	}
	s.auth = mode
	s.authCheck = def.CustomMiddleware.AuthCheck
	if err := s.setTarget(def.Proxy.TargetURL); err != nil {
		return nil, err
	}
	return s, nil
}

// oasSpec reads an OAS API the way Tyk extracts it into a classic definition
// (apidef/oas ExtractTo), keeping the OAS object for the request context.
func oasSpec(o *oas.OAS) (*apiSpec, error) {
	// Decoding the extension here, while loading, is what makes later
	// GetTykExtension calls read-only (the gateway does the same).
	x := o.GetTykExtension()
	if x == nil {
		return nil, errors.New("OAS API definition has no x-tyk-api-gateway extension")
	}
	def := &apidef.APIDefinition{
		APIID:            x.Info.ID,
		OrgID:            x.Info.OrgID,
		Name:             x.Info.Name,
		Active:           x.Info.State.Active,
		Internal:         x.Info.State.Internal,
		UseKeylessAccess: true,
		IsOAS:            true,
	}
	if v := x.Info.Versioning; v != nil {
		def.VersionDefinition = versionDefinition(v)
	}
	// Info.ExtractTo: a Tyk OAS API is never versioned the legacy way.
	def.VersionData.NotVersioned = true
	def.VersionData.Versions = map[string]apidef.VersionInfo{"": {}}
	def.Proxy.ListenPath = x.Server.ListenPath.Value
	def.Proxy.StripListenPath = x.Server.ListenPath.Strip
	def.Proxy.TargetURL = x.Upstream.URL
	if a := x.Server.Authentication; a != nil {
		def.UseKeylessAccess = !a.Enabled
		def.StripAuthData = a.StripAuthorizationData
		if k := a.CustomKeyLifetime; k != nil {
			// CustomKeyLifetime.ExtractTo: disabled means no API lifetime.
			def.SessionLifetimeRespectsKeyExpiration = k.RespectValidity
			if k.Enabled {
				def.SessionLifetime = int64(k.Value.Seconds())
			}
		}
		if c := a.Custom; c != nil {
			def.CustomPluginAuthEnabled = c.Enabled
			if c.Config != nil {
				def.CustomMiddleware.AuthCheck = apidef.MiddlewareDefinition{
					Disabled:    !c.Config.Enabled,
					Name:        c.Config.FunctionName,
					Path:        c.Config.Path,
					RawBodyOnly: c.Config.RawBodyOnly,
				}
			}
		}
	}
	if m := x.Middleware; m != nil && m.Global != nil && m.Global.PluginConfig != nil {
		pc := m.Global.PluginConfig
		def.CustomMiddleware.Driver = pc.Driver
		if pc.Data != nil {
			def.ConfigData = pc.Data.Value
			def.ConfigDataDisabled = !pc.Data.Enabled
		}
	}
	s, err := classicSpec(def)
	if err != nil {
		return nil, err
	}
	s.classic = nil
	s.isOAS = true
	s.oas = *o
	return s, nil
}

// chooseAuth mirrors processSpec in gateway/api_loader.go for the auth
// modes the host supports. A custom-auth API whose auth_check is disabled or
// has no name or path falls back to token auth, as in Tyk.
func chooseAuth(def *apidef.APIDefinition) (authMode, error) {
	if def.UseKeylessAccess {
		return authKeyless, nil
	}
	if def.UseBasicAuth || def.EnableJWT {
		return 0, errors.New("basic auth and JWT are not supported by the contract host")
	}
	custom := def.CustomPluginAuthEnabled || def.UseGoPluginAuth || def.EnableCoProcessAuth
	check := def.CustomMiddleware.AuthCheck
	if custom && !check.Disabled {
		if def.CustomMiddleware.Driver != apidef.GoPluginDriver {
			return 0, fmt.Errorf("custom auth driver %q is not supported by the contract host (only %q)",
				def.CustomMiddleware.Driver, apidef.GoPluginDriver)
		}
		if check.Name != "" && check.Path != "" {
			if def.UseStandardAuth {
				return 0, errors.New("use_standard_auth together with a Go auth plugin is not supported by the contract host")
			}
			return authGoPlugin, nil
		}
	}
	return authToken, nil
}

// versionDefinition is Versioning.ExtractTo (apidef/oas/root.go:206 at
// v5.8.12, root.go:222 at v5.14.0): field by field, the version list
// becoming a name-to-API-ID map, nil when the list is empty.
func versionDefinition(v *oas.Versioning) apidef.VersionDefinition {
	d := apidef.VersionDefinition{
		Enabled:              v.Enabled,
		Name:                 v.Name,
		Default:              v.Default,
		Location:             v.Location,
		Key:                  v.Key,
		StripVersioningData:  v.StripVersioningData,
		UrlVersioningPattern: v.UrlVersioningPattern,
		FallbackToDefault:    v.FallbackToDefault,
	}
	if len(v.Versions) > 0 {
		d.Versions = make(map[string]string, len(v.Versions))
		for _, ver := range v.Versions {
			d.Versions[ver.Name] = ver.ID
		}
	}
	return d
}

// setTarget parses the target URL. A tyk:// target names another API (see
// loops.go) and needs no host here: Tyk answers a request for an empty or
// unknown name with 500 at request time, not at load.
func (s *apiSpec) setTarget(raw string) error {
	u, err := url.Parse(raw)
	if err == nil && u.Scheme == loopScheme {
		s.target = u
		return nil
	}
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("api %q: invalid target_url %q", s.apiID, raw)
	}
	s.target = u
	return nil
}
