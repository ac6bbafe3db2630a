// STAND-IN for tests only, not Tyk code. Mirrors the tiny part of
// github.com/TykTechnologies/tyk/config (config/config.go) that the plugin
// contract touches: Config.HashKeys (read by ctx.SetSession), the Redis
// settings (Storage), HttpServerOptions.XFFDepth (read by request.RealIP)
// and the Global accessor.
package config

// Config is the gateway configuration. The real struct has hundreds of fields;
// only the ones the plugin contract touches are mirrored, with the real JSON
// tags so a real tyk.conf unmarshals into it.
type Config struct {
	// HashKeys makes the gateway store key hashes instead of raw keys.
	HashKeys bool `json:"hash_keys"`
	// HashKeyFunction names the hash algorithm ("" means murmur32).
	HashKeyFunction string `json:"hash_key_function"`
	// ForceGlobalSessionLifetime and GlobalSessionLifetime feed
	// user.SessionState.Lifetime in the gateway.
	ForceGlobalSessionLifetime bool  `json:"force_global_session_lifetime"`
	GlobalSessionLifetime      int64 `json:"global_session_lifetime"`
	// Storage is the gateway's Redis connection (see storage.go).
	Storage StorageOptionsConf `json:"storage"`
	// HttpServerOptions is in every release; its XFFDepth only in v5.14.0
	// (see http_server.go).
	HttpServerOptions HttpServerOptionsConfig `json:"http_server_options"`
}

// Global returns the running gateway's configuration. Like the real variable
// it is nil until a gateway sets it (gateway/server.go: config.Global =
// gw.GetConfig), so calling it outside a gateway panics.
var Global func() Config
