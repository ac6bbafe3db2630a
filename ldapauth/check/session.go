package check

import (
	"net/http"
	"slices"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
)

// sessionOf is the session the gateway binding builds for a granted
// request, and what the request carries to the upstream.
func sessionOf(src *Source, cfg *ldapauth.Config, gate *ldapauth.Gate, req *http.Request, res ldapauth.Result) *Session {
	before := req.Header.Clone()
	gate.Forward(req, res.Grant)
	s := &Session{
		KeyID: res.Grant.KeyID, Alias: res.Grant.Identity.Username, OrgID: src.API.OrgID,
		Policies: append([]string{}, res.Grant.Policies...), MetaData: res.Grant.CopyMetaData(),
		AccessRights:    map[string]AccessRight{src.API.ID: {APIName: src.API.Name, Versions: src.API.Versions}},
		LifetimeSeconds: int64(cfg.SessionLifetime / time.Second), Expires: sessionExpiry(time.Now(), cfg.SessionLifetime), Persist: res.Persist,
		UpstreamHeaders: map[string]string{}, RemovedHeaders: []string{},
	}
	for name, values := range req.Header {
		if name == "Authorization" {
			continue
		}
		if !slices.Equal(before[name], values) && len(values) > 0 {
			s.UpstreamHeaders[name] = values[0]
		}
	}
	for name := range before {
		if _, kept := req.Header[name]; !kept {
			s.RemovedHeaders = append(s.RemovedHeaders, name)
		}
	}
	slices.Sort(s.RemovedHeaders)
	switch {
	case gate.RandomSessionSecret():
		s.KeyIDNote = "session_key_secret is not set: the KeyID comes from a random per-process secret, so it differs on every gateway node and after every restart (rate limits and quotas then count per node)"
	case src.Kind == KindConfig:
		s.KeyIDNote = "the KeyID depends on the API ID, which a bare configuration does not have: in the gateway it differs"
	}
	return s
}

// sessionExpiry is the binding's Expires: session_lifetime from now,
// rounded up to the whole second Tyk stores.
func sessionExpiry(now time.Time, lifetime time.Duration) int64 {
	end := now.Add(lifetime)
	if end.Nanosecond() > 0 {
		return end.Unix() + 1
	}
	return end.Unix()
}
