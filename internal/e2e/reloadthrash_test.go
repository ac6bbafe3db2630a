package e2e

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestReloadThrash: after a configuration change, requests still carrying
// the OLD definition object (in flight across a reload) and requests with
// the new one alternate, while the API is reloaded again and again with
// fresh definition objects of the new configuration. Each request must be
// decided by its own definition's configuration (realm, user header,
// required_groups), and the plugin must build one gate per configuration,
// not one per switch or per definition object.
//
// The host serves only the current definitions over HTTP, so requests with
// the old definition call the loaded plugin's LDAPAuth directly, with the
// old object in the request context as the gateway puts it there.
func TestReloadThrash(t *testing.T) {
	e := newEnv(t)
	mark := gatewayLog.mark()
	const api = "reload-thrash"
	oldCfg := e.direct("realm", "Old Realm", "user_header", "X-Old-User")
	newCfg := e.direct("realm", "New Realm", "group_source", "memberof", "group_base_dn", slapdtest.GroupsDN,
		"required_groups", []string{"developers"})
	oldAPIs := e.api(classic, api, oldCfg)
	e.load(oldAPIs)
	oldDef := oldAPIs.Classic[0]
	auth := e.authSymbol()

	var current atomic.Pointer[apidef.APIDefinition]
	reload := func() {
		apis := e.api(classic, api, newCfg)
		e.load(apis)
		current.Store(apis.Classic[0])
	}
	reload()

	// viaOld checks one request decided with the old definition.
	viaOld := func(user, pass string) error {
		c := callWithDefinition(auth, oldDef, http.Header{"Authorization": {basic(user, pass)}})
		if pass == "wrong-pass" {
			if c.w.status != http.StatusUnauthorized || c.w.header.Get("Www-Authenticate") != challenge("Old Realm") {
				return fmt.Errorf("old definition, wrong password: status %d challenge %q, want 401 with the old realm", c.w.status, c.w.header.Get("Www-Authenticate"))
			}
			return nil
		}
		switch {
		case c.w.status != 0:
			return fmt.Errorf("old definition, %s: status %d %q, want granted (the old config has no group rule)", user, c.w.status, c.w.body.String())
		case c.session == nil || c.session.Alias != user:
			return fmt.Errorf("old definition, %s: session %+v", user, c.session)
		case len(c.session.AccessRights) != 1 || c.session.AccessRights[api].APIID != api:
			return fmt.Errorf("old definition, %s: access rights %v", user, c.session.AccessRights)
		case c.req.Header.Get("X-Old-User") != user || len(c.req.Header.Values("X-Authenticated-User")) != 0:
			return fmt.Errorf("old definition, %s: identity headers %v, want only the old user_header", user, c.req.Header)
		}
		return nil
	}
	// viaNew checks one request the host serves with its current definition.
	viaNew := func(user, pass string) error {
		r, err := e.doE("/"+api+"/", http.Header{"Authorization": {basic(user, pass)}})
		if err != nil {
			return err
		}
		switch {
		case pass == "wrong-pass":
			if r.status != http.StatusUnauthorized || r.header.Get("Www-Authenticate") != challenge("New Realm") {
				return fmt.Errorf("new definition, wrong password: status %d challenge %q, want 401 with the new realm", r.status, r.header.Get("Www-Authenticate"))
			}
		case user == "carol":
			if r.status != http.StatusForbidden || r.seen != nil {
				return fmt.Errorf("new definition, carol (in no group): status %d, want 403 from required_groups", r.status)
			}
		case r.status != http.StatusOK || r.seen == nil || r.seen.Header.Get("X-Authenticated-User") != user || r.seen.Header.Get("X-Old-User") != "":
			return fmt.Errorf("new definition, %s: status %d, upstream saw %v", user, r.status, r.seen)
		}
		return nil
	}

	// Sequential alternation, then the same from four goroutines while the
	// main goroutine keeps reloading.
	users := [][2]string{{"alice", "alice-pass-1"}, {"carol", "carol-pass-1"}, {"alice", "wrong-pass"}}
	for i := range 24 {
		u := users[i%len(users)]
		if err := viaOld(u[0], u[1]); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if err := viaNew(u[0], u[1]); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if i%3 == 2 {
			reload()
		}
	}
	progress := make(chan struct{}, 64) // one signal per request served
	clients := e2etest.StartWorkers(4, func(g, i int) bool {
		u := users[(g+i)%len(users)]
		check := viaOld
		if (g+i)%2 == 1 {
			check = viaNew
		}
		if err := check(u[0], u[1]); err != nil {
			t.Errorf("goroutine %d, request %d: %v", g, i, err)
			return false
		}
		select {
		case progress <- struct{}{}:
		default:
		}
		return true
	})
	for range 12 {
		reload()
		// Let the goroutines serve a few requests with this definition
		// (Done is closed early only when every one of them failed).
		for range 8 {
			select {
			case <-progress:
			case <-clients.Done():
			}
		}
	}
	clients.Stop()

	if n := len(logLines(gatewayLog.since(mark), "api_id="+api+" ", "LDAP authentication configured")); n != 2 {
		t.Errorf("the plugin built %d gates for %s, want 2 (one per configuration, however often the definitions alternate)", n, api)
	}
}
