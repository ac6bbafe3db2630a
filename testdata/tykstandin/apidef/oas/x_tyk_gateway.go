// STAND-IN for tests only, not Tyk code. Mirrors the x-tyk-api-gateway types
// of github.com/TykTechnologies/tyk/apidef/oas (root.go, server.go,
// authentication.go, upstream.go, middleware.go, time.go) on the path a custom
// Go auth plugin and the gateway's session handling read. Names,
// pointer-ness and JSON tags are the real ones, checked at tags v5.3.13,
// v5.8.0, v5.8.12, v5.8.15 and v5.14.0 (the same in all of them, except
// Authentication.CustomKeyLifetime, which v5.3.13 lacks); fields off that
// path are left out.
package oas

import "github.com/TykTechnologies/tyk/apidef"

// XTykAPIGateway contains custom Tyk API extensions for the OpenAPI definition.
type XTykAPIGateway struct {
	// Info contains the main metadata for the API definition.
	Info Info `bson:"info" json:"info"` // required
	// Upstream contains the configurations related to the upstream.
	Upstream Upstream `bson:"upstream" json:"upstream"` // required
	// Server contains the configurations related to the server.
	Server Server `bson:"server" json:"server"` // required
	// Middleware contains the configurations related to the Tyk middleware.
	Middleware *Middleware `bson:"middleware,omitempty" json:"middleware,omitempty"`
}

// Info contains the main metadata for the API definition. (DBID is left
// out.)
type Info struct {
	// ID is the unique identifier of the API within Tyk (classic: api_id).
	ID string `bson:"id" json:"id,omitempty"`
	// OrgID is the ID of the organisation which the API belongs to (classic: org_id).
	OrgID string `bson:"orgId" json:"orgId,omitempty"`
	// Name is the name of the API.
	Name string `bson:"name" json:"name"` // required
	// Expiration date.
	Expiration string `bson:"expiration,omitempty" json:"expiration,omitempty"`
	// State holds configuration for API definition states (active, internal).
	State State `bson:"state" json:"state"` // required
	// Versioning makes this API the base of versions that are separate
	// APIs (classic: definition).
	Versioning *Versioning `bson:"versioning,omitempty" json:"versioning,omitempty"`
}

// Versioning is info.versioning (apidef/oas/root.go, type Versioning, read
// at v5.3.13, v5.8.0, v5.8.12, v5.8.15 and v5.14.0). The gateway extracts it
// into apidef.VersionDefinition field by field (Versioning.ExtractTo:
// root.go:206 at v5.8.12, root.go:222 at v5.14.0), Versions becoming the
// name-to-API-ID map (nil when the list is empty). Tags differ only in
// v5.14.0, whose Key is `json:"key,omitempty"`; v5.3.13 has no
// UrlVersioningPattern.
type Versioning struct {
	// Enabled turns versioning on (classic: definition.enabled).
	Enabled bool `bson:"enabled" json:"enabled"` // required
	// Name is the base API's own version name, e.g. "v1".
	Name string `bson:"name,omitempty" json:"name,omitempty"`
	// Default is the version a request naming none gets.
	Default string `bson:"default" json:"default"` // required
	// Location is "header", "url-param" or "url".
	Location string `bson:"location" json:"location"` // required
	// Key is the header or query parameter holding the version name.
	Key string `bson:"key" json:"key"` // required
	// Versions maps version names to the IDs of the version APIs.
	Versions []VersionToID `bson:"versions" json:"versions"` // required
	// StripVersioningData removes the version from the request once read.
	StripVersioningData bool `bson:"stripVersioningData,omitempty" json:"stripVersioningData,omitempty"`
	// UrlVersioningPattern limits which path segments count as a version
	// when stripping (location "url").
	UrlVersioningPattern string `bson:"urlVersioningPattern,omitempty" json:"urlVersioningPattern,omitempty"`
	// FallbackToDefault serves the default version for an unknown one.
	FallbackToDefault bool `bson:"fallbackToDefault,omitempty" json:"fallbackToDefault,omitempty"`
}

// VersionToID is one entry of Versioning.Versions.
type VersionToID struct {
	// Name is the version name, e.g. "v2".
	Name string `bson:"name" json:"name"`
	// ID is the API ID of the API serving that version.
	ID string `bson:"id" json:"id"`
}

// State holds configuration for the status of the API within Tyk.
type State struct {
	// Active enables the API (classic: active).
	Active bool `bson:"active" json:"active"` // required
	// Internal makes the API accessible only internally (classic: internal).
	Internal bool `bson:"internal,omitempty" json:"internal,omitempty"`
}

// Upstream holds configuration for the upstream server.
type Upstream struct {
	// URL defines the upstream address (classic: proxy.target_url).
	URL string `bson:"url" json:"url"` // required
}

// Server contains the configuration that sets Tyk up to receive requests.
type Server struct {
	// ListenPath is the base path on Tyk for this API.
	ListenPath ListenPath `bson:"listenPath" json:"listenPath"` // required
	// Authentication contains the client authentication configuration.
	Authentication *Authentication `bson:"authentication,omitempty" json:"authentication,omitempty"`
}

// ListenPath is the base path on Tyk to which requests for this API are sent.
type ListenPath struct {
	// Value is the listen path, e.g. `/api/` (classic: proxy.listen_path).
	Value string `bson:"value" json:"value"` // required
	// Strip removes the listen path from the upstream request (classic: proxy.strip_listen_path).
	Strip bool `bson:"strip,omitempty" json:"strip,omitempty"`
}

// Authentication contains configuration about the authentication methods.
type Authentication struct {
	// Enabled makes the API protected (classic: !use_keyless).
	Enabled bool `bson:"enabled" json:"enabled"` // required
	// StripAuthorizationData strips auth data before proxying (classic: strip_auth_data).
	StripAuthorizationData bool `bson:"stripAuthorizationData,omitempty" json:"stripAuthorizationData,omitempty"`
	// Custom contains the configurations related to Custom authentication mode
	// (classic: custom_plugin_auth_enabled and custom_middleware.auth_check).
	Custom *CustomPluginAuthentication `bson:"custom,omitempty" json:"custom,omitempty"`
	// CustomKeyLifetime is the API's session lifetime (classic:
	// session_lifetime and session_lifetime_respects_key_expiration).
	// Present from v5.8.0; v5.3.13 has no such field.
	CustomKeyLifetime *CustomKeyLifetime `bson:"customKeyLifetime,omitempty" json:"customKeyLifetime,omitempty"`
}

// CustomKeyLifetime is how long the gateway keeps the sessions of this API
// in Redis. The gateway extracts it into the classic fields: Enabled false
// gives session_lifetime 0, else Value in whole seconds; RespectValidity is
// session_lifetime_respects_key_expiration.
type CustomKeyLifetime struct {
	// Enabled turns the API's own lifetime on.
	Enabled bool `bson:"enabled,omitempty" json:"enabled,omitempty"`
	// Value is the lifetime, written like "1h" or "90s".
	Value ReadableDuration `bson:"value" json:"value"`
	// RespectValidity keeps a session until its own expiry when that is
	// later than the lifetime.
	RespectValidity bool `bson:"respectValidity,omitempty" json:"respectValidity,omitempty"`
}

// CustomPluginAuthentication holds configuration for custom plugins
// (apidef/oas/authentication.go, the same in v5.3.13, v5.8.x and v5.14.0).
type CustomPluginAuthentication struct {
	// Enabled activates the custom plugin authentication mode.
	Enabled bool `bson:"enabled" json:"enabled"` // required
	// Config contains configuration related to custom authentication plugin
	// (classic: custom_middleware.auth_check).
	Config *AuthenticationPlugin `bson:"config,omitempty" json:"config,omitempty"`
	// AuthSources are the token sources (header, cookie, query), inline as
	// in Tyk. Tyk documents them as valid only with the coprocess driver
	// and extracts them into classic auth_configs["coprocess"]; the Go
	// plugin driver never reads them, and StripAuth strips what they name.
	AuthSources `bson:",inline" json:",inline"`
}

// AuthSources are where an authentication token may be read from.
type AuthSources struct {
	Header *AuthSource `bson:"header,omitempty" json:"header,omitempty"`
	Cookie *AuthSource `bson:"cookie,omitempty" json:"cookie,omitempty"`
	Query  *AuthSource `bson:"query,omitempty" json:"query,omitempty"`
}

// AuthSource is one token source.
type AuthSource struct {
	// Enabled activates the auth source.
	Enabled bool `bson:"enabled" json:"enabled"` // required
	// Name is the header, cookie or query parameter name.
	Name string `bson:"name,omitempty" json:"name,omitempty"`
}

// AuthenticationPlugin holds the configuration for custom authentication plugin.
type AuthenticationPlugin struct {
	// Enabled activates custom authentication plugin (classic: !auth_check.disabled).
	Enabled bool `bson:"enabled" json:"enabled"` // required.
	// FunctionName is the name of authentication method (classic: auth_check.name).
	FunctionName string `bson:"functionName" json:"functionName"` // required.
	// Path is the path to the shared object file (classic: auth_check.path).
	Path string `bson:"path" json:"path"`
	// RawBodyOnly if set to true, do not fill body in request or response object.
	RawBodyOnly bool `bson:"rawBodyOnly,omitempty" json:"rawBodyOnly,omitempty"`
}

// Middleware holds configuration for Tyk's native middleware. (Per-operation
// settings are left out.)
type Middleware struct {
	// Global contains configuration for middleware that affects the whole API.
	Global *Global `bson:"global,omitempty" json:"global,omitempty"`
}

// Global contains configuration that affects the whole API. (Everything but
// the plugin configuration is left out.)
type Global struct {
	// PluginConfig contains the common configuration for custom plugins.
	PluginConfig *PluginConfig `bson:"pluginConfig,omitempty" json:"pluginConfig,omitempty"`
}

// PluginConfig holds configuration for custom plugins.
type PluginConfig struct {
	// Driver configures which custom plugin driver to use (classic: custom_middleware.driver).
	Driver apidef.MiddlewareDriver `bson:"driver,omitempty" json:"driver,omitempty"`
	// Bundle configures custom plugin bundles.
	Bundle *PluginBundle `bson:"bundle,omitempty" json:"bundle,omitempty"`
	// Data configures custom plugin data.
	Data *PluginConfigData `bson:"data,omitempty" json:"data,omitempty"`
}

// PluginBundle holds configuration for custom plugin bundles.
type PluginBundle struct {
	// Enabled activates the custom plugin bundles.
	Enabled bool `bson:"enabled" json:"enabled"` // required.
	// Path is the path suffix to construct the URL to fetch plugin bundle from.
	Path string `bson:"path" json:"path"` // required.
}

// PluginConfigData configures config data for custom plugins.
type PluginConfigData struct {
	// Enabled activates custom plugin config data (classic: !config_data_disabled).
	Enabled bool `bson:"enabled" json:"enabled"` // required.
	// Value is the value of custom plugin config data (classic: config_data).
	Value map[string]interface{} `bson:"value" json:"value"` // required.
}
