package testdatacheck

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicies(t *testing.T) {
	apiIDs := map[string]bool{}
	for _, f := range glob(t, "testdata/apis/classic/*.json") {
		apiIDs[getString(readJSON(t, f), "api_id")] = true
	}
	for _, f := range glob(t, "testdata/apis/oas/*.json") {
		apiIDs[getString(readJSON(t, f), "x-tyk-api-gateway", "info", "id")] = true
	}

	perSecond := map[string]float64{}
	for _, f := range glob(t, "testdata/policies/*.json") {
		d := readJSON(t, f)
		name := filepath.Base(f)
		id := getString(d, "id")
		// With policy_path, one policy per file; the id is what API
		// definitions and the plugin's "policies" refer to.
		if id != strings.TrimSuffix(name, ".json") {
			t.Errorf("%s: id %q does not match the file name", name, id)
		}
		// Since Tyk 5.3 a policy of another org is not applied.
		if got := getString(d, "org_id"); got != "default" {
			t.Errorf("%s: org_id %q, want default (the APIs' org)", name, got)
		}
		if d["active"] != true {
			t.Errorf("%s: not active", name)
		}
		rights, _ := d["access_rights"].(map[string]any)
		if len(rights) == 0 {
			t.Errorf("%s: no access_rights: the session would be refused", name)
		}
		for _, api := range keysOf(rights) {
			if !apiIDs[api] {
				t.Errorf("%s: access right for unknown API %q", name, api)
			}
			if got := getString(rights[api], "api_id"); got != api {
				t.Errorf("%s: access_rights[%q].api_id = %q", name, api, got)
			}
		}
		for api := range apiIDs {
			if rights[api] == nil {
				t.Errorf("%s: no access right for API %q", name, api)
			}
		}
		rate, _ := d["rate"].(float64)
		per, _ := d["per"].(float64)
		if rate <= 0 || per <= 0 {
			t.Errorf("%s: rate %v per %v", name, rate, per)
			continue
		}
		perSecond[id] = rate / per
	}
	if perSecond["ldap-users"] == 0 || perSecond["ldap-admins"] <= perSecond["ldap-users"] {
		t.Errorf("ldap-admins must allow a higher rate than ldap-users: %v", perSecond)
	}
}
