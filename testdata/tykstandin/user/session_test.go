// STAND-IN tests (not Tyk code): pin the stand-in session methods to the
// behaviour of v5.8.0 to v5.8.15 (and, for Lifetime, v5.3.13 and v5.14.0 too).
package user

import (
	"encoding/json"
	"testing"
	"time"
)

func TestKeyHashPanicsWhenUnset(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("KeyHash must panic when SetKeyHash was never called")
		}
	}()
	NewSessionState().KeyHash()
}

func TestTouchResetIsModified(t *testing.T) {
	s := NewSessionState()
	if s.IsModified() {
		t.Fatal("new session must not be modified")
	}
	s.Touch()
	if !s.IsModified() {
		t.Fatal("Touch must mark modified")
	}
	s.Reset()
	if s.IsModified() {
		t.Fatal("Reset must clear modified")
	}
}

func TestPolicyIDs(t *testing.T) {
	tests := []struct {
		name string
		s    SessionState
		want []string
	}{
		{"none", SessionState{}, nil},
		{"legacy single", SessionState{ApplyPolicyID: "p0"}, []string{"p0"}},
		{"list wins", SessionState{ApplyPolicyID: "p0", ApplyPolicies: []string{"p1", "p2"}}, []string{"p1", "p2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.s.PolicyIDs()
			if len(got) != len(tc.want) {
				t.Fatalf("PolicyIDs = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("PolicyIDs = %v, want %v", got, tc.want)
				}
			}
		})
	}
	s := SessionState{ApplyPolicyID: "old"}
	s.SetPolicies("a", "b")
	if s.ApplyPolicyID != "" || !s.PoliciesEqualTo([]string{"b", "a"}) {
		t.Fatalf("SetPolicies left %+v", s)
	}
}

func TestCloneCopiesMapsAndSlices(t *testing.T) {
	s := SessionState{
		MetaData:      map[string]interface{}{"k": "v"},
		AccessRights:  map[string]AccessDefinition{"a": {APIID: "a"}},
		ApplyPolicies: []string{"p"},
		Tags:          []string{"t"},
	}
	c := s.Clone()
	c.MetaData["k"] = "x"
	c.AccessRights["b"] = AccessDefinition{}
	c.ApplyPolicies[0] = "q"
	c.Tags[0] = "u"
	if s.MetaData["k"] != "v" || len(s.AccessRights) != 1 || s.ApplyPolicies[0] != "p" || s.Tags[0] != "t" {
		t.Fatalf("Clone shares state with the original: %+v", s)
	}
}

func TestLifetime(t *testing.T) {
	future := time.Now().Add(time.Hour).Unix()
	soon := time.Now().Add(10 * time.Second).Unix()
	tests := []struct {
		name                string
		s                   SessionState
		respect             bool
		fallback            int64
		force               bool
		global, wantAtLeast int64
		want                int64
	}{
		{name: "global forced", force: true, global: 7, want: 7},
		{name: "global forced wins over everything", s: SessionState{SessionLifetime: 30, Expires: future}, respect: true, fallback: 60, force: true, global: 7, want: 7},
		{name: "global forced to 0: no expiry", s: SessionState{SessionLifetime: 30}, force: true, want: 0},
		{name: "global not forced is ignored", s: SessionState{SessionLifetime: 30}, global: 7, want: 30},
		{name: "key lifetime", s: SessionState{SessionLifetime: 30}, fallback: 60, want: 30},
		{name: "fallback", fallback: 60, want: 60},
		{name: "none", want: 0},
		{name: "respects later expiry", s: SessionState{SessionLifetime: 30, Expires: future}, respect: true, wantAtLeast: 3500},
		{name: "respect with earlier expiry keeps the lifetime", s: SessionState{SessionLifetime: 30, Expires: soon}, respect: true, want: 30},
		{name: "respect without expiry: no expiry at all", s: SessionState{SessionLifetime: 30}, respect: true, want: 0},
		{name: "respect applies to the fallback too", fallback: 60, respect: true, want: 0},
		{name: "expiry ignored without respect", s: SessionState{SessionLifetime: 30, Expires: future}, want: 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.s.Lifetime(tc.respect, tc.fallback, tc.force, tc.global)
			if tc.wantAtLeast > 0 {
				if got < tc.wantAtLeast {
					t.Fatalf("Lifetime = %d, want >= %d", got, tc.wantAtLeast)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("Lifetime = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSessionJSONKeepsKeyIDOut(t *testing.T) {
	s := SessionState{KeyID: "secret-id", Alias: "alice", MetaData: map[string]interface{}{"ldap_dn": "cn=alice"}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]interface{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"alias", "meta_data", "access_rights", "apply_policies", "quota_max", "rate", "per", "expires", "org_id", "is_inactive"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if _, ok := m["KeyID"]; ok {
		t.Error("KeyID must not be serialised (json:\"-\")")
	}
}

func TestPolicyUnmarshalsTykPolicyFile(t *testing.T) {
	const file = `{"id":"ldap-users","org_id":"default","rate":100,"per":60,"quota_max":-1,
	 "access_rights":{"ldap-basic-auth":{"api_id":"ldap-basic-auth","api_name":"ldap-basic-auth","versions":["Default"]}},
	 "partitions":{"quota":false,"rate_limit":true,"acl":true}}`
	var p Policy
	if err := json.Unmarshal([]byte(file), &p); err != nil {
		t.Fatal(err)
	}
	if p.ID != "ldap-users" || p.OrgID != "default" || p.Rate != 100 || p.QuotaMax != -1 ||
		p.AccessRights["ldap-basic-auth"].Versions[0] != "Default" || !p.Partitions.Enabled() {
		t.Fatalf("policy decoded as %+v", p)
	}
}
