// STAND-IN for tests only, not Tyk code. Mirrors the classic API definition
// types of github.com/TykTechnologies/tyk/apidef (apidef/api_definitions.go).
// Every field present has the real name, type and JSON tag, checked at tags
// v5.3.13, v5.8.0, v5.8.12, v5.8.15 and v5.14.0 (the same in all of them,
// except VersionDefinition.UrlVersioningPattern, which v5.3.13 lacks), so a
// real classic API definition file unmarshals into it (fields the stand-in
// lacks are ignored by encoding/json).
package apidef

import "time"

// MiddlewareDriver names the custom middleware driver.
type MiddlewareDriver string

// Custom middleware drivers, as in the real package.
const (
	OttoDriver     MiddlewareDriver = "otto"
	PythonDriver   MiddlewareDriver = "python"
	LuaDriver      MiddlewareDriver = "lua"
	GrpcDriver     MiddlewareDriver = "grpc"
	GoPluginDriver MiddlewareDriver = "goplugin"
)

// ExpirationTimeFormat is the layout of a version's expires.
const ExpirationTimeFormat = "2006-01-02 15:04"

// Where a versioned API reads the version name from (VersionDefinition.Location),
// and the version name that means the base API itself.
const (
	HeaderLocation   = "header"
	URLParamLocation = "url-param"
	URLLocation      = "url"
	Self             = "self"
)

// MiddlewareDefinition configures one custom middleware hook.
type MiddlewareDefinition struct {
	Disabled       bool   `bson:"disabled" json:"disabled"`
	Name           string `bson:"name" json:"name"`
	Path           string `bson:"path" json:"path"`
	RequireSession bool   `bson:"require_session" json:"require_session"`
	RawBodyOnly    bool   `bson:"raw_body_only" json:"raw_body_only"`
}

// MiddlewareSection holds an API's custom middleware hooks. (The real struct
// also has id_extractor, omitted here.)
type MiddlewareSection struct {
	Pre         []MiddlewareDefinition `bson:"pre" json:"pre"`
	Post        []MiddlewareDefinition `bson:"post" json:"post"`
	PostKeyAuth []MiddlewareDefinition `bson:"post_key_auth" json:"post_key_auth"`
	AuthCheck   MiddlewareDefinition   `bson:"auth_check" json:"auth_check"`
	Response    []MiddlewareDefinition `bson:"response" json:"response"`
	Driver      MiddlewareDriver       `bson:"driver" json:"driver"`
}

// ProxyConfig says where the API listens and where it proxies to.
type ProxyConfig struct {
	PreserveHostHeader bool   `bson:"preserve_host_header" json:"preserve_host_header"`
	ListenPath         string `bson:"listen_path" json:"listen_path"`
	TargetURL          string `bson:"target_url" json:"target_url"`
	DisableStripSlash  bool   `bson:"disable_strip_slash" json:"disable_strip_slash"`
	StripListenPath    bool   `bson:"strip_listen_path" json:"strip_listen_path"`
}

// VersionDefinition says where the version name of a request is found. With
// Enabled false and VersionData.NotVersioned false it drives the legacy
// versioning of VersionData; with Enabled true the API is the base of the
// newer versioning, whose Versions map version names to the API IDs of
// separate version APIs.
type VersionDefinition struct {
	// Enabled turns on the newer (base and version APIs) versioning.
	Enabled bool `bson:"enabled" json:"enabled"`
	// Name is the base API's own version name.
	Name string `bson:"name" json:"name"`
	// Default is the version used when a request names none (newer versioning).
	Default string `bson:"default" json:"default"`
	// Location is HeaderLocation, URLParamLocation or URLLocation.
	Location string `bson:"location" json:"location"`
	// Key is the header or query parameter name holding the version.
	Key string `bson:"key" json:"key"`
	// StripPath is the old name of StripVersioningData (deprecated).
	StripPath bool `bson:"strip_path" json:"strip_path"`
	// StripVersioningData removes the version from the request once read.
	StripVersioningData bool `bson:"strip_versioning_data" json:"strip_versioning_data"`
	// UrlVersioningPattern limits which first path segments count as a
	// version when stripping (URLLocation); not in v5.3.13.
	UrlVersioningPattern string `bson:"url_versioning_pattern" json:"url_versioning_pattern"`
	// FallbackToDefault serves the default version for an unknown one.
	FallbackToDefault bool `bson:"fallback_to_default" json:"fallback_to_default"`
	// Versions maps version names to version API IDs (newer versioning).
	Versions map[string]string `bson:"versions" json:"versions"`
	// BaseID is set by the gateway on version APIs; never read from JSON.
	BaseID string `bson:"base_id" json:"-"`
}

// VersionData holds the legacy version list of a classic API.
type VersionData struct {
	NotVersioned   bool                   `bson:"not_versioned" json:"not_versioned"`
	DefaultVersion string                 `bson:"default_version" json:"default_version"`
	Versions       map[string]VersionInfo `bson:"versions" json:"versions"`
}

// VersionInfo describes one version. (The real struct also has paths,
// extended_paths and header settings, omitted here.)
type VersionInfo struct {
	Name    string `bson:"name" json:"name"`
	Expires string `bson:"expires" json:"expires"`
	// ExpiresTs is Expires parsed by the gateway when it loads the API
	// (layout ExpirationTimeFormat); zero when it does not parse.
	ExpiresTs           time.Time         `bson:"-" json:"-"`
	UseExtendedPaths    bool              `bson:"use_extended_paths" json:"use_extended_paths"`
	GlobalHeaders       map[string]string `bson:"global_headers" json:"global_headers"`
	GlobalHeadersRemove []string          `bson:"global_headers_remove" json:"global_headers_remove"`
	OverrideTarget      string            `bson:"override_target" json:"override_target"`
}

// APIDefinition represents the configuration for a single proxied API.
type APIDefinition struct {
	Name                    string `bson:"name" json:"name"`
	Slug                    string `bson:"slug" json:"slug"`
	APIID                   string `bson:"api_id" json:"api_id"`
	OrgID                   string `bson:"org_id" json:"org_id"`
	UseKeylessAccess        bool   `bson:"use_keyless" json:"use_keyless"`
	UseBasicAuth            bool   `bson:"use_basic_auth" json:"use_basic_auth"`
	EnableJWT               bool   `bson:"enable_jwt" json:"enable_jwt"`
	UseStandardAuth         bool   `bson:"use_standard_auth" json:"use_standard_auth"`
	UseGoPluginAuth         bool   `bson:"use_go_plugin_auth" json:"use_go_plugin_auth"`       // Deprecated. Use CustomPluginAuthEnabled instead.
	EnableCoProcessAuth     bool   `bson:"enable_coprocess_auth" json:"enable_coprocess_auth"` // Deprecated. Use CustomPluginAuthEnabled instead.
	CustomPluginAuthEnabled bool   `bson:"custom_plugin_auth_enabled" json:"custom_plugin_auth_enabled"`
	// DetailedTracing gives each middleware its own span when the
	// gateway's opentelemetry is enabled.
	DetailedTracing bool `bson:"detailed_tracing" json:"detailed_tracing"`
	// AuthConfigs are the token sources per auth mode ("authToken",
	// "coprocess", ...); StripAuth strips what they name.
	AuthConfigs            map[string]AuthConfig `bson:"auth_configs" json:"auth_configs"`
	VersionDefinition      VersionDefinition     `bson:"definition" json:"definition"`
	VersionData            VersionData           `bson:"version_data" json:"version_data"` // Deprecated. Use VersionDefinition instead.
	Proxy                  ProxyConfig           `bson:"proxy" json:"proxy"`
	DisableRateLimit       bool                  `bson:"disable_rate_limit" json:"disable_rate_limit"`
	DisableQuota           bool                  `bson:"disable_quota" json:"disable_quota"`
	CustomMiddleware       MiddlewareSection     `bson:"custom_middleware" json:"custom_middleware"`
	CustomMiddlewareBundle string                `bson:"custom_middleware_bundle" json:"custom_middleware_bundle"`
	// SessionLifetimeRespectsKeyExpiration and SessionLifetime feed
	// user.SessionState.Lifetime when the gateway writes a session for
	// this API (gateway/middleware.go UpdateRequestSession).
	SessionLifetimeRespectsKeyExpiration bool                   `bson:"session_lifetime_respects_key_expiration" json:"session_lifetime_respects_key_expiration,omitempty"`
	SessionLifetime                      int64                  `bson:"session_lifetime" json:"session_lifetime"`
	Active                               bool                   `bson:"active" json:"active"`
	Internal                             bool                   `bson:"internal" json:"internal"`
	ConfigData                           map[string]interface{} `bson:"config_data" json:"config_data"`
	ConfigDataDisabled                   bool                   `bson:"config_data_disabled" json:"config_data_disabled"`
	StripAuthData                        bool                   `bson:"strip_auth_data" json:"strip_auth_data"`
	Tags                                 []string               `bson:"tags" json:"tags"`

	// IsOAS is set to true when API has an OAS definition (created in OAS or migrated to OAS)
	IsOAS bool `bson:"is_oas" json:"is_oas,omitempty"`
}

// AuthConfig is where one auth mode reads its token (a subset of the real
// struct, same names, types and tags in v5.3.13, v5.8.x and v5.14.0; the
// certificate and signature settings are left out).
type AuthConfig struct {
	Name           string `mapstructure:"name" bson:"name" json:"name"`
	UseParam       bool   `mapstructure:"use_param" bson:"use_param" json:"use_param"`
	ParamName      string `mapstructure:"param_name" bson:"param_name" json:"param_name"`
	UseCookie      bool   `mapstructure:"use_cookie" bson:"use_cookie" json:"use_cookie"`
	CookieName     string `mapstructure:"cookie_name" bson:"cookie_name" json:"cookie_name"`
	DisableHeader  bool   `mapstructure:"disable_header" bson:"disable_header" json:"disable_header"`
	AuthHeaderName string `mapstructure:"auth_header_name" bson:"auth_header_name" json:"auth_header_name"`
}
