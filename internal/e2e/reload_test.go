package e2e

import (
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestReload checks what a gateway reload does to the plugin, on a classic
// and a Tyk OAS API: an unchanged configuration keeps the API's gate, so a
// cached user costs no directory traffic after the reload; a changed one
// takes effect at once (new realm, required_groups now refusing a user who
// was cached as allowed before).
func TestReload(t *testing.T) {
	e := newEnv(t)
	mark := gatewayLog.mark()
	ids := map[flavour]string{classic: "reload-classic", tykOAS: "reload-oas"}
	before := e.direct("session_key_secret", "e2e-reload-secret-0123456789")
	after := with(before, "realm", "Changed", "required_groups", []string{"developers"}, "group_source", "memberof", "group_base_dn", slapdtest.GroupsDN)
	loadAll := func(cfg map[string]interface{}) {
		e.load(e.api(classic, ids[classic], cfg), e.api(tykOAS, ids[tykOAS], cfg))
	}
	configured := func(id string) int {
		return len(logLines(gatewayLog.since(mark), "api_id="+id+" ", "LDAP authentication configured"))
	}
	loadAll(before)

	keys := map[string]string{}
	for _, f := range flavours {
		id := ids[f]
		for _, u := range [][2]string{{"alice", "alice-pass-1"}, {"carol", "carol-pass-1"}} {
			r, rec := e.record(func() reply { return e.as(id, u[0], u[1]) })
			checkGranted(t, r, u[0])
			keys[id+u[0]] = rec.KeyID
		}
	}

	// Unchanged: every API gets a new definition object, the plugin keeps
	// its gate, cache and connections.
	if err := e.host.Reload(); err != nil {
		t.Fatal(err)
	}
	for _, f := range flavours {
		id := ids[f]
		t.Run(string(f)+"/unchanged", func(t *testing.T) {
			c := e.counts()
			r, rec := e.record(func() reply { return e.as(id, "alice", "alice-pass-1") })
			checkGranted(t, r, "alice")
			if d := e.counts().Sub(c); d.Binds != 0 || d.Searches != 0 || d.Connections != 0 {
				t.Errorf("cached user after an unchanged reload caused directory traffic: %+v", d)
			}
			if rec.KeyID != keys[id+"alice"] {
				t.Errorf("session key changed across a reload: %s -> %s", keys[id+"alice"], rec.KeyID)
			}
			if n := configured(id); n != 1 {
				t.Errorf("gate built %d times, want once (kept across the reload)", n)
			}
		})
	}

	// Changed: new realm and a group rule.
	loadAll(after)
	for _, f := range flavours {
		id := ids[f]
		t.Run(string(f)+"/changed", func(t *testing.T) {
			r, rec := e.record(func() reply { return e.as(id, "carol", "carol-pass-1") })
			checkDenial(t, r, 403, msgForbidden, "")
			if rec.KeyID != "" {
				t.Errorf("a refused user got a session: %+v", rec)
			}
			checkDenial(t, e.as(id, "carol", "wrong-pass"), 401, msgInvalid, challenge("Changed"))
			c := e.counts()
			r, rec = e.record(func() reply { return e.as(id, "alice", "alice-pass-1") })
			checkGranted(t, r, "alice")
			if d := e.counts().Sub(c); d.Binds == 0 {
				t.Error("alice was served from the old configuration's cache")
			}
			if rec.KeyID != keys[id+"alice"] {
				t.Errorf("same session_key_secret, different session key: %s -> %s", keys[id+"alice"], rec.KeyID)
			}
			if n := configured(id); n != 2 {
				t.Errorf("gate built %d times, want twice", n)
			}
		})
	}

	// The changed configuration survives the next unchanged reload, with
	// its cache: carol's refusal is remembered too.
	if err := e.host.Reload(); err != nil {
		t.Fatal(err)
	}
	for _, f := range flavours {
		c := e.counts()
		checkDenial(t, e.as(ids[f], "carol", "carol-pass-1"), 403, msgForbidden, "")
		if d := e.counts().Sub(c); d.Binds != 0 {
			t.Errorf("%s: cached refusal re-checked after an unchanged reload: %+v", f, d)
		}
	}
}

// TestReloadBrokenConfig: a reload that fixes a broken configuration serves
// at once; a reload that breaks a working one answers 500 (the old settings
// are not kept serving silently) and logs the new problem once.
func TestReloadBrokenConfig(t *testing.T) {
	e := newEnv(t)
	mark := gatewayLog.mark()
	for _, f := range flavours {
		id := "reload-broken-" + string(f)
		t.Run(string(f), func(t *testing.T) {
			e.load(e.api(f, id, e.direct("pool_size", "x")))
			checkDenial(t, e.as(id, "alice", "alice-pass-1"), 500, msgMisconfigured, "")
			e.load(e.api(f, id, e.direct()))
			checkGranted(t, e.as(id, "alice", "alice-pass-1"), "alice")
			e.load(e.api(f, id, e.direct("cache_ttl", "forever")))
			for i := 0; i < 2; i++ {
				checkDenial(t, e.as(id, "alice", "alice-pass-1"), 500, msgMisconfigured, "")
			}
			if lines := logLines(gatewayLog.since(mark), "api_id="+id+" ", "key=cache_ttl "); len(lines) != 1 {
				t.Errorf("want one log line for the broken cache_ttl, got %q", lines)
			}
		})
	}
}
