package tykhost

import (
	"encoding/json"
	"net/http"
)

// Error texts of the gateway middleware the host mirrors, the same at
// v5.3.13, v5.8.0, v5.8.12, v5.8.15 and v5.14.0 unless noted.
const (
	msgSessionMissing  = "Session state is missing or unset! Please make sure that auth headers are properly applied" // mw_key_expired_check.go
	msgKeyInactive     = "Key is inactive, please renew"                                                              // mw_key_expired_check.go
	msgKeyExpired      = "Key has expired, please renew"                                                              // mw_key_expired_check.go
	msgAccessDenied    = "Access to this API has been disallowed"                                                     // mw_access_rights.go, mw_auth_key.go
	msgAuthMissing     = "Authorization field missing"                                                                // mw_auth_key.go
	msgRateLimited     = "Rate Limit Exceeded"                                                                        // mw_rate_limiting.go from v5.8.0 (v5.3.13: "Rate limit exceeded")
	msgQuotaExceeded   = "Quota exceeded"                                                                             // mw_rate_limiting.go
	msgProxyFailed     = "There was a problem proxying the request"                                                   // reverse_proxy.go
	msgInternalFailure = "Internal Server Error"                                                                      // mw_go_plugin.go: handler not loaded
)

// writeTykError writes an error the way ErrorHandler.HandleError does with
// the default templates/error.json: a JSON object with one "error" member,
// Content-Type application/json and the X-Generator header.
func writeTykError(w http.ResponseWriter, msg string, code int) {
	body, _ := json.MarshalIndent(struct {
		Error string `json:"error"`
	}{msg}, "", "    ")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Generator", "tyk.io")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
