// Package main is a tiny auth plugin for the contract host's own tests. Its
// behaviour is chosen per request by X-Test-* headers, and it reports what it
// saw of the gateway through response headers it sets without writing (Tyk
// keeps such headers on the final response).
package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/config"
	"github.com/TykTechnologies/tyk/ctx"
	"github.com/TykTechnologies/tyk/user"
)

func main() {}

// NotAHandler exists so tests can look up a symbol of the wrong type.
var NotAHandler = 42

// WrongSignature exists so tests can look up a func of the wrong type.
func WrongSignature(http.ResponseWriter) {}

// LDAPAuth has the name the real plugin exports, so API definition files
// written for it (the contract host command's examples) load this plugin too.
func LDAPAuth(w http.ResponseWriter, r *http.Request) { AuthCheck(w, r) }

// AuthCheck is the auth_check hook.
func AuthCheck(w http.ResponseWriter, r *http.Request) {
	report(w, r)
	switch r.Header.Get("X-Test-Mode") {
	case "deny":
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, "denied by plugin")
	case "forbid":
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "forbidden by plugin")
	case "serve":
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "served by plugin")
	case "serve-implicit":
		_, _ = io.WriteString(w, "implicit 200 from plugin")
	case "deny-after-session":
		// A session set, then a refusal written: Tyk still applies the
		// session's policies first.
		setSession(w, r)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, "denied by plugin")
	case "nosession":
	case "panic":
		panic("test plugin panic")
	default:
		if r.Header.Get("X-Test-Read-Body") == "true" {
			// A plugin may consume the body; the upstream must still get it.
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Seen-Body-Len", strconv.Itoa(len(b)))
		}
		setSession(w, r)
	}
}

// report exposes what the plugin can see: the injected definition (the
// raw pointer and a copy), the OAS extension and the gateway's config.
func report(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if d, ok := r.Context().Value(ctx.Definition).(*apidef.APIDefinition); ok && d != nil {
		h.Set("X-Seen-Def-Ptr", fmt.Sprintf("%p", d))
	}
	if d := ctx.GetDefinition(r); d != nil {
		h.Set("X-Seen-API-ID", d.APIID)
		if v, ok := d.ConfigData["greeting"].(string); ok {
			h.Set("X-Seen-Config", v)
		}
	} else {
		h.Set("X-Seen-Classic", "none")
	}
	if o := ctx.GetOASDefinition(r); o != nil {
		if x := o.GetTykExtension(); x != nil {
			h.Set("X-Seen-OAS-ID", x.Info.ID)
			if m := x.Middleware; m != nil && m.Global != nil && m.Global.PluginConfig != nil && m.Global.PluginConfig.Data != nil {
				if v, ok := m.Global.PluginConfig.Data.Value["greeting"].(string); ok {
					h.Set("X-Seen-Config", v)
				}
			}
		}
	}
	if ctx.GetSession(r) != nil {
		h.Set("X-Seen-Session-Before", "yes")
	}
	if v, ok := r.Context().Value(ctx.VersionName).(*string); ok && v != nil {
		h.Set("X-Seen-Version-Name", *v)
	}
	if v := r.Header.Get("X-Api-Version"); v != "" {
		h.Set("X-Seen-Version-Header", v)
	}
	h.Set("X-Seen-Hash-Keys", strconv.FormatBool(config.Global().HashKeys))
}

// setSession builds the session the headers ask for and sets it the way a
// real auth plugin does: ctx.SetSession with no explicit hashKey, so
// config.Global decides.
func setSession(w http.ResponseWriter, r *http.Request) {
	name := r.Header.Get("X-Test-User")
	s := user.NewSessionState()
	s.Alias = name
	if name != "" {
		s.KeyID = "test:" + name
	}
	if d, ok := r.Context().Value(ctx.Definition).(*apidef.APIDefinition); ok && d != nil {
		s.OrgID = d.OrgID
	}
	if org := r.Header.Get("X-Test-Org"); org != "" {
		s.OrgID = org
	}
	if p := r.Header.Get("X-Test-Policies"); p != "" {
		s.SetPolicies(strings.Split(p, ",")...)
	}
	versions := []string{"Default"}
	if v, ok := r.Header["X-Test-Acl-Versions"]; ok {
		versions = strings.Split(v[0], ",")
	}
	for _, api := range strings.Split(r.Header.Get("X-Test-ACL"), ",") {
		if api != "" {
			if s.AccessRights == nil {
				s.AccessRights = map[string]user.AccessDefinition{}
			}
			s.AccessRights[api] = user.AccessDefinition{APIID: api, APIName: api, Versions: versions}
		}
	}
	if v := r.Header.Get("X-Test-Rate"); v != "" {
		rate, per, _ := strings.Cut(v, "/")
		s.Rate, _ = strconv.ParseFloat(rate, 64)
		s.Per, _ = strconv.ParseFloat(per, 64)
	}
	if v := r.Header.Get("X-Test-Quota"); v != "" {
		s.QuotaMax, _ = strconv.ParseInt(v, 10, 64)
	}
	s.IsInactive = r.Header.Get("X-Test-Inactive") == "true"
	switch e := r.Header.Get("X-Test-Expires"); {
	case e == "past":
		s.Expires = time.Now().Add(-time.Hour).Unix()
	case e == "future":
		s.Expires = time.Now().Add(time.Hour).Unix()
	case strings.HasPrefix(e, "in:"):
		secs, _ := strconv.ParseInt(strings.TrimPrefix(e, "in:"), 10, 64)
		s.Expires = time.Now().Unix() + secs
	}
	if v := r.Header.Get("X-Test-Session-Lifetime"); v != "" {
		s.SessionLifetime, _ = strconv.ParseInt(v, 10, 64)
	}
	if r.Header.Get("X-Test-Identity-Header") == "true" {
		// What an auth plugin does to tell the upstream who called.
		r.Header.Set("X-Authenticated-User", name)
	}
	ctx.SetSession(r, s, r.Header.Get("X-Test-Schedule") == "true")
	w.Header().Set("X-Seen-Key-Hash", s.KeyHash())
}
