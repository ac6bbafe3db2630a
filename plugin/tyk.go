package main

import (
	"net/http"
	"strings"
	"time"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"
	"github.com/TykTechnologies/tyk/ctx"
	"github.com/TykTechnologies/tyk/user"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
)

// apiDefinition returns the definition of the API running the plugin: a
// *apidef.APIDefinition for a classic API, a *oas.OAS for a Tyk OAS API,
// or nil. Tyk's Go plugin middleware puts the running API's definition into
// the context right before calling the plugin (ctx.Definition for classic,
// ctx.OASDefinition for OAS). The context values are read directly:
// ctx.GetDefinition and ctx.GetOASDefinition deep-copy the whole definition
// on every call, far too slow per request. The definition is only read,
// never modified, and its identity is the registry key (Tyk hands over the
// same object until the API is reloaded).
//
// A tyk:// loop carries the request's context on into the next API, so
// after a loop between a classic and an OAS API both keys are set, one of
// them for the API the request came from (see loopTarget).
func apiDefinition(r *http.Request) (def any, ambiguous bool) {
	c := r.Context()
	classic, _ := c.Value(ctx.Definition).(*apidef.APIDefinition)
	oasDef, _ := c.Value(ctx.OASDefinition).(*oas.OAS)
	switch {
	case classic != nil && oasDef != nil:
		return loopTarget(r, classic, oasDef)
	case classic != nil:
		return classic, false
	case oasDef != nil:
		return oasDef, false
	}
	return nil, false
}

// loopTarget picks the running API when both definition keys are set. The
// session this plugin set on the API the request came from is still in the
// context, and its metadata names that API (ldap_api_id, which policies do
// not touch, unlike the access rights they replace): the other definition
// is the running one. Without such a session (the first API was
// authenticated some other way) nothing in the context tells the two
// apart, and the request is refused rather than decided by the wrong API.
func loopTarget(r *http.Request, classic *apidef.APIDefinition, oasDef *oas.OAS) (any, bool) {
	s := ctx.GetSession(r)
	if s == nil || !strings.HasPrefix(s.KeyID, ldapauth.KeyIDPrefix) {
		return nil, true
	}
	previous, _ := s.MetaData[ldapauth.MetaAPIID].(string)
	oasID := ""
	if ext := oasDef.GetTykExtension(); ext != nil {
		oasID = ext.Info.ID
	}
	switch previous {
	case "":
	case classic.APIID:
		return oasDef, false
	case oasID:
		return classic, false
	}
	return nil, true
}

// apiSource reads what the plugin needs from a definition; it runs once per
// definition object.
func apiSource(def any) ldapauth.APISource {
	switch d := def.(type) {
	case *apidef.APIDefinition:
		return classicSource(d)
	case *oas.OAS:
		return oasSource(d)
	}
	return ldapauth.APISource{DisabledBy: "custom_middleware"}
}

func classicSource(def *apidef.APIDefinition) ldapauth.APISource {
	d := ldapauth.ClassicDefinition{ID: def.APIID, OrgID: def.OrgID, Name: def.Name,
		ConfigData: def.ConfigData, ConfigDataDisabled: def.ConfigDataDisabled}
	for name := range def.VersionData.Versions {
		d.VersionNames = append(d.VersionNames, name)
	}
	if ac, ok := def.AuthConfigs["coprocess"]; ok {
		d.Coprocess = &ldapauth.TokenSources{Query: ac.UseParam, Cookie: ac.UseCookie, HeaderDisabled: ac.DisableHeader, Header: ac.AuthHeaderName}
	}
	return d.Source()
}

func oasSource(def *oas.OAS) ldapauth.APISource {
	ext := def.GetTykExtension()
	if ext == nil {
		return ldapauth.NoTykExtension
	}
	d := ldapauth.OASDefinition{ID: ext.Info.ID, OrgID: ext.Info.OrgID, Name: ext.Info.Name}
	if auth := ext.Server.Authentication; auth != nil && auth.Custom != nil {
		s := auth.Custom.AuthSources
		d.TokenSources = &ldapauth.TokenSources{Query: s.Query != nil && s.Query.Enabled, Cookie: s.Cookie != nil && s.Cookie.Enabled}
		if s.Header != nil {
			d.TokenSources.Header, d.TokenSources.HeaderDisabled = s.Header.Name, !s.Header.Enabled
		}
	}
	if mw := ext.Middleware; mw != nil && mw.Global != nil && mw.Global.PluginConfig != nil && mw.Global.PluginConfig.Data != nil {
		data := mw.Global.PluginConfig.Data
		d.HasData, d.Enabled, d.Value = true, data.Enabled, data.Value
	}
	return d.Source()
}

// setSession gives Tyk the session of the authenticated user. Tyk then
// applies the policies, checks access rights, rate limits and quotas keyed
// by the session's KeyID, and writes the session to Redis when asked.
func setSession(r *http.Request, gate *ldapauth.Gate, res ldapauth.Result) {
	api, grant := gate.API(), res.Grant
	s := user.NewSessionState()
	s.KeyID = grant.KeyID
	s.Alias = grant.Identity.Username
	s.OrgID = api.OrgID
	s.MetaData = grant.CopyMetaData()
	lifetime := gate.Config().SessionLifetime
	s.SessionLifetime = int64(lifetime / time.Second)
	s.Expires = sessionExpiry(time.Now(), lifetime)
	if len(grant.Policies) > 0 {
		s.ApplyPolicies = append([]string(nil), grant.Policies...)
	}
	// Access to this API only: a session with empty access rights would be
	// accepted as a key by every token-authenticated API of the gateway.
	s.AccessRights = map[string]user.AccessDefinition{
		api.ID: {APIID: api.ID, APIName: api.Name, Versions: api.Versions},
	}
	ctx.SetSession(r, s, res.Persist)
}

// sessionExpiry is the session's Expires: session_lifetime from now, rounded
// up to the whole second Tyk stores. A gateway that respects key expiration
// (session_lifetime_respects_key_expiration) takes the Redis lifetime from
// Expires and would keep a session without one forever. Tyk refuses a
// session once its Expires has passed, which never happens to an active
// user: every request builds a new session with a fresh Expires, and the
// copy in Redis is the one of the last write. Rounding up keeps even a 1s
// lifetime from ending before the request that set it is through.
func sessionExpiry(now time.Time, lifetime time.Duration) int64 {
	end := now.Add(lifetime)
	if end.Nanosecond() > 0 {
		return end.Unix() + 1
	}
	return end.Unix()
}
