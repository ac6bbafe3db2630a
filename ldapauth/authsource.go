package ldapauth

import "strings"

// TokenSources is where an API definition tells Tyk to read a request's
// token from (classic auth_configs, Tyk OAS server.authentication.custom
// header/cookie/query).
type TokenSources struct {
	Query, Cookie  bool   // a query parameter or a cookie is enabled
	HeaderDisabled bool   // the header source is switched off
	Header         string // the header name; "" means Authorization
}

// UnsupportedTokenSources refuses token sources other than the
// Authorization header, naming the definition's key. Tyk reads those
// sources for coprocess plugins only and hands a Go plugin the request as
// it is, while its StripAuth step strips the configured source instead of
// Authorization: honouring such a setting silently would both ignore it and
// leave the Basic credentials in place for Tyk.
func UnsupportedTokenSources(key string, s TokenSources) *ConfigError {
	if !s.Query && !s.Cookie && !s.HeaderDisabled && (s.Header == "" || strings.EqualFold(s.Header, "Authorization")) {
		return nil
	}
	return &ConfigError{Key: key, Problem: "names an auth source other than the Authorization header; " +
		"this plugin reads HTTP Basic credentials from Authorization only (Tyk applies auth sources to coprocess plugins, not Go plugins): remove it"}
}
