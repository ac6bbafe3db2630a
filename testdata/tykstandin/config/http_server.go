// STAND-IN for tests only, not Tyk code. Mirrors the one member of the
// gateway's http_server_options (HttpServerOptionsConfig in
// config/config.go) that request.RealIP reads.
package config

// HttpServerOptionsConfig holds the gateway's HTTP server settings. The
// real struct has many more (TLS, timeouts, body limits); only XFFDepth is
// mirrored.
type HttpServerOptionsConfig struct {
	// XFFDepth picks the X-Forwarded-For entry request.RealIP trusts: 0
	// (the default) the first, leftmost one; n > 0 the n-th from the
	// right, so 1 is the address the last proxy added. Added in v5.14.0:
	// v5.3.13 to v5.8.15 have no such field and always use the first
	// entry.
	XFFDepth int `json:"xff_depth"`
}
