// STAND-IN for tests only, not Tyk code. Mirrors the tiny part of
// github.com/TykTechnologies/tyk/config (config/config.go) that ctx.SetSession
// reads: Config.HashKeys and the Global accessor.
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
}

// Global returns the running gateway's configuration. Like the real variable
// it is nil until a gateway sets it (gateway/server.go: config.Global =
// gw.GetConfig), so calling it outside a gateway panics.
var Global func() Config
