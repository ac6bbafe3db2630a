package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// TestOutcomes drives every answer the plugin gives through the loaded
// plugin, on a classic API and on a Tyk OAS API: 401 (missing, malformed,
// wrong password, unknown user; default and custom realm), 200 from the
// upstream, 503 when the directory is down, and 500 for a configuration
// that is broken, has an unknown key or is switched off, each logged once
// naming the API and the key.
func TestOutcomes(t *testing.T) {
	e := newEnv(t)
	mark := gatewayLog.mark()
	id := func(f flavour, name string) string { return "out-" + string(f) + "-" + name }

	var apis []tykhost.APIs
	for _, f := range flavours {
		for _, a := range []struct {
			name string
			cfg  map[string]interface{}
			opts []apiOption
		}{
			{"direct", e.direct(), nil},
			{"search", e.search(), nil},
			{"realm", e.direct("realm", "Corporate LDAP"), nil},
			{"down", e.direct("urls", slapdtest.ClosedPortURL(t), "dial_timeout", "1s"), nil},
			{"badtype", e.direct("pool_size", "x"), nil},
			{"unknown", e.direct("requierd_groups", []string{"developers"}), nil},
			{"disabled", e.direct(), []apiOption{configDataDisabled}},
		} {
			apis = append(apis, e.api(f, id(f, a.name), a.cfg, a.opts...))
		}
	}
	e.load(apis...)

	auth := func(v string) http.Header { return http.Header{"Authorization": {v}} }
	cases := []struct {
		name      string
		api       string
		header    http.Header
		status    int
		msg       string
		challenge string
		user      string // for 200
	}{
		{"missing header", "direct", nil, 401, msgMissing, challenge("Restricted"), ""},
		{"missing header, custom realm", "realm", nil, 401, msgMissing, challenge("Corporate LDAP"), ""},
		{"malformed header", "direct", auth("Basic not-base64!"), 401, msgMalformed, challenge("Restricted"), ""},
		{"not basic", "realm", auth("Bearer abc"), 401, msgMalformed, challenge("Corporate LDAP"), ""},
		{"wrong password", "direct", auth(basic("alice", "wrong-pass")), 401, msgInvalid, challenge("Restricted"), ""},
		{"wrong password, search", "search", auth(basic("alice", "wrong-pass")), 401, msgInvalid, challenge("Restricted"), ""},
		{"wrong password, custom realm", "realm", auth(basic("alice", "wrong-pass")), 401, msgInvalid, challenge("Corporate LDAP"), ""},
		{"unknown user", "direct", auth(basic("mallory", "alice-pass-1")), 401, msgInvalid, challenge("Restricted"), ""},
		{"unknown user, search", "search", auth(basic("mallory", "alice-pass-1")), 401, msgInvalid, challenge("Restricted"), ""},
		{"success", "direct", auth(basic("alice", "alice-pass-1")), 200, "", "", "alice"},
		{"success, search", "search", auth(basic("bob", "bob-pass-1")), 200, "", "", "bob"},
		{"success, custom realm", "realm", auth(basic("carol", "carol-pass-1")), 200, "", "", "carol"},
		{"directory down", "down", auth(basic("alice", "alice-pass-1")), 503, msgUnavailable, "", ""},
		{"bad value type", "badtype", auth(basic("alice", "alice-pass-1")), 500, msgMisconfigured, "", ""},
		{"unknown key", "unknown", auth(basic("alice", "alice-pass-1")), 500, msgMisconfigured, "", ""},
		{"config switched off", "disabled", auth(basic("alice", "alice-pass-1")), 500, msgMisconfigured, "", ""},
		{"config error on a request without credentials", "badtype", nil, 500, msgMisconfigured, "", ""},
	}
	for _, f := range flavours {
		for _, tc := range cases {
			t.Run(string(f)+"/"+tc.name, func(t *testing.T) {
				apiID := id(f, tc.api)
				r, rec := e.record(func() reply { return e.do("/"+apiID+"/some/path", tc.header) })
				if rec.APIID != apiID || rec.Status != tc.status {
					t.Errorf("analytics %+v, want api %s status %d", rec, apiID, tc.status)
				}
				if tc.status != 200 {
					checkDenial(t, r, tc.status, tc.msg, tc.challenge)
					if rec.Proxied || rec.KeyID != "" || rec.Alias != "" {
						t.Errorf("denied request has analytics %+v: proxied or with a session", rec)
					}
					return
				}
				checkGranted(t, r, tc.user)
				if r.seen.Path != "/some/path" {
					t.Errorf("upstream path %q", r.seen.Path)
				}
				if rec.Alias != tc.user || !rec.Proxied || !strings.HasPrefix(rec.KeyID, "ldap-") {
					t.Errorf("analytics %+v, want alias %s, proxied, KeyID ldap-...", rec, tc.user)
				}
			})
		}
	}

	// Every configuration problem is logged once per API (not per
	// request: each of these APIs got two requests), at error level,
	// naming the API and the offending key.
	logged := gatewayLog.since(mark)
	for _, f := range flavours {
		disabledKey := "config_data_disabled"
		if f == tykOAS {
			disabledKey = "middleware.global.pluginConfig.data.enabled"
		}
		for api, key := range map[string]string{"badtype": "pool_size", "unknown": "requierd_groups", "disabled": disabledKey} {
			apiID := id(f, api)
			lines := logLines(logged, "api_id="+apiID+" ", "key="+key+" ")
			if len(lines) != 1 || !strings.Contains(lines[0], "level=error") {
				t.Errorf("%s: want one error line naming key %q, got %q", apiID, key, lines)
			}
		}
		if lines := logLines(logged, "api_id="+id(f, "unknown")+" ", `did you mean \"required_groups\"`); len(lines) != 1 {
			t.Errorf("the unknown key's log line should suggest required_groups, got %q", lines)
		}
	}
}

// TestDirectoryOutage stops slapd under a running API: a user whose
// success is cached keeps working, a user who needs the directory gets 503
// (never 401: the password was not checked); once slapd is back, the
// plugin's pooled connections recover without a failed request.
func TestDirectoryOutage(t *testing.T) {
	e := newEnv(t)
	apis := []tykhost.APIs{}
	for _, f := range flavours {
		apis = append(apis, e.api(f, "outage-"+string(f), e.search("dial_timeout", "1s", "request_timeout", "1s")))
	}
	e.load(apis...)
	for _, f := range flavours {
		checkGranted(t, e.as("outage-"+string(f), "alice", "alice-pass-1"), "alice")
	}
	if err := e.ldap.Kill(); err != nil {
		t.Fatal(err)
	}
	for _, f := range flavours {
		api := "outage-" + string(f)
		checkGranted(t, e.as(api, "alice", "alice-pass-1"), "alice")
		checkDenial(t, e.as(api, "bob", "bob-pass-1"), 503, msgUnavailable, "")
		checkDenial(t, e.as(api, "bob", "wrong-pass"), 503, msgUnavailable, "")
	}
	if err := e.ldap.Restart(); err != nil {
		t.Fatal(err)
	}
	for _, f := range flavours {
		api := "outage-" + string(f)
		// With a single server the plugin tries it even while it is
		// marked down, so the first request after the restart succeeds.
		r := e.as(api, "bob", "bob-pass-1")
		checkGranted(t, r, "bob")
		checkDenial(t, e.as(api, "bob", "wrong-pass"), 401, msgInvalid, challenge("Restricted"))
	}
}
