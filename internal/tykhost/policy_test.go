package tykhost

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/TykTechnologies/tyk/user"
)

func TestPolicyApply(t *testing.T) {
	acl := func(ids ...string) map[string]user.AccessDefinition {
		m := map[string]user.AccessDefinition{}
		for _, id := range ids {
			m[id] = user.AccessDefinition{APIID: id, Versions: []string{"Default"}}
		}
		return m
	}
	store := newPolicyStore()
	store.Set(
		user.Policy{ID: "a", OrgID: "org", Rate: 10, Per: 60, QuotaMax: 100, QuotaRenewalRate: 3600, AccessRights: acl("api1"),
			Tags: []string{"t1"}, MetaData: map[string]interface{}{"team": "a"}},
		user.Policy{ID: "b", OrgID: "org", Rate: 100, Per: 60, QuotaMax: -1, AccessRights: acl("api2"), Tags: []string{"t1", "t2"}},
		user.Policy{ID: "other", OrgID: "org2", AccessRights: acl("api1")},
		user.Policy{ID: "empty", OrgID: "org"},
		user.Policy{ID: "inactive", OrgID: "org", IsInactive: true, AccessRights: acl("api1")},
		user.Policy{ID: "aclonly", OrgID: "org", Rate: 1, Per: 1, AccessRights: acl("api3"), Partitions: user.PolicyPartitions{Acl: true}},
	)
	tests := []struct {
		name      string
		session   user.SessionState
		wantErr   string
		wantAPIs  []string
		wantRate  float64
		wantQuota int64
		check     func(t *testing.T, s *user.SessionState)
	}{
		{name: "no policies leaves the session alone",
			session:  user.SessionState{Rate: 3, Per: 1, AccessRights: acl("mine")},
			wantAPIs: []string{"mine"}, wantRate: 3},
		{name: "one policy replaces access rights and limits",
			session:  user.SessionState{ApplyPolicies: []string{"a"}, Rate: 1000, Per: 1, AccessRights: acl("mine")},
			wantAPIs: []string{"api1"}, wantRate: 10, wantQuota: 100,
			check: func(t *testing.T, s *user.SessionState) {
				if s.QuotaRenewalRate != 3600 || s.MetaData["team"] != "a" || !reflect.DeepEqual(s.Tags, []string{"t1"}) {
					t.Fatalf("session %+v", s)
				}
			}},
		{name: "legacy apply_policy_id works",
			session:  user.SessionState{ApplyPolicyID: "a"},
			wantAPIs: []string{"api1"}, wantRate: 10, wantQuota: 100},
		{name: "several policies merge; the bigger allowance wins",
			session:  user.SessionState{ApplyPolicies: []string{"a", "b"}},
			wantAPIs: []string{"api1", "api2"}, wantRate: 100, wantQuota: -1,
			check: func(t *testing.T, s *user.SessionState) {
				if !reflect.DeepEqual(s.Tags, []string{"t1", "t2"}) {
					t.Fatalf("tags %v", s.Tags)
				}
			}},
		{name: "single missing policy fails",
			session: user.SessionState{ApplyPolicies: []string{"nope"}}, wantErr: `policy not found: "nope"`},
		{name: "missing policy among several is skipped",
			session:  user.SessionState{ApplyPolicies: []string{"nope", "a"}},
			wantAPIs: []string{"api1"}, wantRate: 10, wantQuota: 100},
		{name: "policy of another org fails",
			session: user.SessionState{ApplyPolicies: []string{"other"}}, wantErr: errPolicyOtherOrg.Error()},
		{name: "policy without access rights fails",
			session: user.SessionState{ApplyPolicies: []string{"empty"}}, wantErr: errNoValidPolicies.Error()},
		{name: "inactive policy makes the session inactive",
			session:  user.SessionState{ApplyPolicies: []string{"inactive"}},
			wantAPIs: []string{"api1"},
			check: func(t *testing.T, s *user.SessionState) {
				if !s.IsInactive {
					t.Fatal("session must be inactive")
				}
			}},
		{name: "acl partition leaves the plugin's rate",
			session:  user.SessionState{ApplyPolicies: []string{"aclonly"}, Rate: 7, Per: 1},
			wantAPIs: []string{"api3"}, wantRate: 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.session
			err := store.Apply(&s, "org")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Apply error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			var apis []string
			for id := range s.AccessRights {
				apis = append(apis, id)
			}
			if len(apis) != len(tc.wantAPIs) {
				t.Fatalf("access rights %v, want %v", apis, tc.wantAPIs)
			}
			for _, id := range tc.wantAPIs {
				if _, ok := s.AccessRights[id]; !ok {
					t.Fatalf("access rights %v, want %v", apis, tc.wantAPIs)
				}
			}
			if s.Rate != tc.wantRate || s.QuotaMax != tc.wantQuota {
				t.Fatalf("rate %v quota %v, want %v %v", s.Rate, s.QuotaMax, tc.wantRate, tc.wantQuota)
			}
			if tc.check != nil {
				tc.check(t, &s)
			}
		})
	}
}

func TestPolicyStoreReplace(t *testing.T) {
	ps := newPolicyStore()
	ps.Set(user.Policy{ID: "old", OrgID: "o", AccessRights: map[string]user.AccessDefinition{"x": {APIID: "x"}}})
	ps.Replace([]user.Policy{{ID: "new", OrgID: "o", AccessRights: map[string]user.AccessDefinition{"x": {APIID: "x"}}}})
	if _, ok := ps.get("old"); ok {
		t.Fatal("Replace must drop old policies")
	}
	s := user.SessionState{ApplyPolicies: []string{"new"}}
	if err := ps.Apply(&s, "o"); err != nil {
		t.Fatal(err)
	}
	if err := ps.Apply(&user.SessionState{ApplyPolicies: []string{"old"}}, "o"); err == nil || errors.Is(err, errNoValidPolicies) {
		t.Fatalf("old policy must be gone: %v", err)
	}
}
