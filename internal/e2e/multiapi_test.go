package e2e

import (
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestTwoAPIsSideBySide loads two APIs with different LDAP settings into one
// gateway: a classic API binding directly with a uid template under
// ou=people (realm "People") and a Tyk OAS API searching ou=contractors with
// the service account (realm "Contractors"). The same credentials get each
// API's own answer, realm, directory entry and session key.
func TestTwoAPIsSideBySide(t *testing.T) {
	e := newEnv(t)
	const people, contractors = "side-people", "side-contractors"
	e.load(
		e.api(classic, people, e.direct("realm", "People")),
		e.api(tykOAS, contractors, e.search("search_base_dn", slapdtest.ContractorsDN, "realm", "Contractors")),
	)
	employee, _ := slapdtest.SampleUserByKey("TWIN")
	contractor, _ := slapdtest.SampleUserByKey("TWIN_CONTRACTOR")

	cases := []struct {
		api, user, pass string
		wantDN          string // "" expects 401
		realm           string
	}{
		{people, "twin", employee.Password, employee.DN, "People"},
		{contractors, "twin", employee.Password, "", "Contractors"},
		{people, "twin", contractor.Password, "", "People"},
		{contractors, "twin", contractor.Password, contractor.DN, "Contractors"},
		{people, "alice", "alice-pass-1", "uid=alice," + slapdtest.PeopleDN, "People"},
		{contractors, "alice", "alice-pass-1", "", "Contractors"},
	}
	keyOf := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.api+"/"+tc.user+"/"+tc.pass, func(t *testing.T) {
			before := e.counts()
			r, rec := e.record(func() reply { return e.as(tc.api, tc.user, tc.pass) })
			d := e.counts().Sub(before)
			if tc.api == people && d.BindsByDN[slapdtest.ServiceAccountDN] != 0 {
				t.Errorf("the direct-bind API used the other API's service account: %v", d.BindsByDN)
			}
			if tc.wantDN == "" {
				checkDenial(t, r, 401, msgInvalid, challenge(tc.realm))
				return
			}
			checkGranted(t, r, tc.user)
			if d.BindsByDN[tc.wantDN] != 1 {
				t.Errorf("binds %v, want one as %s", d.BindsByDN, tc.wantDN)
			}
			s, ok := e.host.Sessions().Get(rec.KeyID)
			if !ok {
				t.Fatalf("no session stored under %s", rec.KeyID)
			}
			if s.MetaData["ldap_dn"] != tc.wantDN || len(s.AccessRights) != 1 || s.AccessRights[tc.api].APIID != tc.api {
				t.Errorf("session meta %v access %v, want dn %s and access to %s only", s.MetaData, s.AccessRights, tc.wantDN, tc.api)
			}
			keyOf[tc.api+"/"+tc.user] = rec.KeyID
		})
	}
	if k1, k2 := keyOf[people+"/twin"], keyOf[contractors+"/twin"]; k1 == "" || k1 == k2 {
		t.Errorf("user twin has session keys %q and %q on the two APIs; want two different keys", k1, k2)
	}
}
