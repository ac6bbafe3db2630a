// Package tykhost is a test host that follows Tyk Gateway's native Go-plugin
// contract for custom authentication, so the plugin can be exercised end to
// end without the real gateway (which cannot be downloaded here).
//
// It loads a plugin the way Tyk does (goplugin/goplugin.go and
// goplugin/plugin_name_builder.go), hosts classic and OAS API definitions,
// builds the chain Tyk builds for a custom Go auth API (gateway/api_loader.go)
// and runs the version check before authentication (mw_version_check.go),
// which hands requests for a separate version API to that API's chain, as
// the end of a chain hands requests for a tyk:// target to the target's
// (DummyProxyHandler in gateway/api_loader.go),
// applies Tyk's outcome rules after the plugin returns
// (gateway/mw_go_plugin.go, gateway/middleware.go), then the post-auth checks
// (mw_strip_auth.go, mw_key_expired_check.go, mw_access_rights.go,
// mw_rate_limiting.go), the policy rules (internal/policy) and a reverse
// proxy that sends upstream the headers Tyk's would (reverse_proxy.go).
// Sessions marked modified are written, with the Redis lifetime Tyk would
// give them, to an in-memory store that stands in for Redis, and a
// token-auth API (mw_auth_key.go) reads from it.
//
// Everything it imports from github.com/TykTechnologies/tyk comes, in tests,
// from the stand-in module in testdata/tykstandin; see internal/tykhost/CONTRACT.md for
// the contract rules and every known difference from the real gateway.
package tykhost
