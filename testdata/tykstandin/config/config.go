// STAND-IN for tests only, not Tyk code. Mirrors the small part of
// github.com/TykTechnologies/tyk/config (config/config.go) that the plugin
// contract touches: the key hashing switches ctx.SetSession reads, the
// session lifetime settings the gateway passes to
// user.SessionState.Lifetime, the Redis settings (Storage) and
// HttpServerOptions.XFFDepth (read by request.RealIP). Names, types and
// JSON tags were read at tags v5.3.13, v5.8.0, v5.8.12, v5.8.15 and
// v5.14.0 and are the same in all of them, except where a field says
// otherwise.
package config

// Config is the gateway configuration. The real struct has hundreds of fields;
// only the ones the plugin contract touches are mirrored, with the real JSON
// tags so a real tyk.conf unmarshals into it.
type Config struct {
	// HashKeys makes the gateway store key hashes instead of raw keys.
	HashKeys bool `json:"hash_keys"`
	// HashKeyFunction names the hash algorithm ("" means murmur32).
	HashKeyFunction string `json:"hash_key_function"`

	// ForceGlobalSessionLifetime makes GlobalSessionLifetime the Redis
	// lifetime of every session the gateway writes, whatever the session
	// and the API say.
	ForceGlobalSessionLifetime bool `bson:"force_global_session_lifetime" json:"force_global_session_lifetime"`
	// SessionLifetimeRespectsKeyExpiration makes the Redis lifetime of a
	// session follow its Expires when that is later than the lifetime, for
	// every API (an API can also ask for it on its own).
	SessionLifetimeRespectsKeyExpiration bool `bson:"session_lifetime_respects_key_expiration" json:"session_lifetime_respects_key_expiration"`
	// GlobalSessionLifetime is the lifetime in seconds used when
	// ForceGlobalSessionLifetime is set. The gateway reads it nowhere else
	// but in a start-up warning when it is 0 (checkup/checkup.go).
	GlobalSessionLifetime int64 `bson:"global_session_lifetime" json:"global_session_lifetime"`

	// Storage is the gateway's Redis connection (see storage.go).
	Storage StorageOptionsConf `json:"storage"`
	// HttpServerOptions is in every release; its XFFDepth only in v5.14.0
	// (see http_server.go).
	HttpServerOptions HttpServerOptionsConfig `json:"http_server_options"`
}

// Global returns the running gateway's configuration. Like the real variable
// it is nil until a gateway sets it (gateway/server.go: config.Global =
// gw.GetConfig, in every release above), so calling it outside a gateway
// panics.
var Global func() Config
