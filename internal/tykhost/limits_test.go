package tykhost

import (
	"testing"
	"time"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/user"
)

func TestRateLimitAndQuotaThroughTheHost(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	tests := []struct {
		name      string
		headers   map[string]string
		policy    *user.Policy
		edit      func(*apidef.APIDefinition)
		wantCodes []int
		wantLast  string
	}{
		{name: "rate 2 per minute", headers: map[string]string{"X-Test-Rate": "2/60"},
			wantCodes: []int{200, 200, 429}, wantLast: tykError(msgRateLimited)},
		{name: "quota 2", headers: map[string]string{"X-Test-Quota": "2"},
			wantCodes: []int{200, 200, 403}, wantLast: tykError(msgQuotaExceeded)},
		{name: "policy rate overrides the plugin's", headers: map[string]string{"X-Test-Rate": "100/60", "X-Test-Policies": "p"},
			policy: &user.Policy{ID: "p", OrgID: "default", Rate: 1, Per: 60,
				AccessRights: map[string]user.AccessDefinition{"ldap": {APIID: "ldap"}}},
			wantCodes: []int{200, 429}, wantLast: tykError(msgRateLimited)},
		{name: "disable_rate_limit", headers: map[string]string{"X-Test-Rate": "1/60"},
			edit:      func(d *apidef.APIDefinition) { d.DisableRateLimit = true },
			wantCodes: []int{200, 200, 200}, wantLast: "upstream ok"},
		{name: "disable_quota", headers: map[string]string{"X-Test-Quota": "1"},
			edit:      func(d *apidef.APIDefinition) { d.DisableQuota = true },
			wantCodes: []int{200, 200}, wantLast: "upstream ok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := pluginAPI("ldap", "/ldap/", up.URL, so)
			if tc.edit != nil {
				tc.edit(api)
			}
			h, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{api}})
			if tc.policy != nil {
				h.Policies().Set(*tc.policy)
			}
			headers := map[string]string{"X-Test-User": "alice"}
			for k, v := range tc.headers {
				headers[k] = v
			}
			var last reply
			for i, want := range tc.wantCodes {
				last = do(t, srv, "GET", "/ldap/", headers, "")
				if last.status != want {
					t.Fatalf("request %d: got %d %q, want %d", i+1, last.status, last.body, want)
				}
			}
			if last.body != tc.wantLast {
				t.Fatalf("last body %q, want %q", last.body, tc.wantLast)
			}
		})
	}
}

func TestLimitsAreKeyedByKeyID(t *testing.T) {
	so := testPlugin(t)
	up := newUpstream(t)
	_, srv := startHost(t, Options{}, APIs{Classic: []*apidef.APIDefinition{pluginAPI("ldap", "/ldap/", up.URL, so)}})
	for _, u := range []string{"alice", "bob"} {
		if got := do(t, srv, "GET", "/ldap/", map[string]string{"X-Test-User": u, "X-Test-Rate": "1/60"}, ""); got.status != 200 {
			t.Fatalf("%s's first request got %d", u, got.status)
		}
	}
	if got := do(t, srv, "GET", "/ldap/", map[string]string{"X-Test-User": "alice", "X-Test-Rate": "1/60"}, ""); got.status != 429 {
		t.Fatalf("alice's second request got %d, want 429", got.status)
	}
}

func TestLimiterWindows(t *testing.T) {
	l := newLimiter()
	t0 := time.Unix(1000, 0)
	rate := user.RateLimit{Rate: 2, Per: 10}
	steps := []struct {
		at   time.Duration
		want bool
	}{{0, true}, {time.Second, true}, {2 * time.Second, false}, {10 * time.Second, true}, {11 * time.Second, true}, {11 * time.Second, false}}
	for i, s := range steps {
		if got := l.allowRate("k", rate, t0.Add(s.at)); got != s.want {
			t.Fatalf("rate step %d at %v: %v, want %v", i, s.at, got, s.want)
		}
	}
	if !l.allowRate("k", user.RateLimit{}, t0) {
		t.Fatal("rate 0 means no limit")
	}

	quota := user.APILimit{QuotaMax: 2, QuotaRenewalRate: 60}
	qsteps := []struct {
		at            time.Duration
		want          bool
		wantRemaining int64
	}{{0, true, 1}, {time.Second, true, 0}, {2 * time.Second, false, 0}, {61 * time.Second, true, 1}}
	for i, s := range qsteps {
		ok, rem := l.useQuota("k", quota, t0.Add(s.at))
		if ok != s.want || rem != s.wantRemaining {
			t.Fatalf("quota step %d: %v %d, want %v %d", i, ok, rem, s.want, s.wantRemaining)
		}
	}
	if ok, _ := l.useQuota("k", user.APILimit{QuotaMax: -1}, t0); !ok {
		t.Fatal("quota -1 means unlimited")
	}
}

func TestLimitForPrefersTheAPILimit(t *testing.T) {
	s := &user.SessionState{Rate: 5, Per: 1, AccessRights: map[string]user.AccessDefinition{
		"a": {APIID: "a", Limit: user.APILimit{RateLimit: user.RateLimit{Rate: 1, Per: 60}}},
		"b": {APIID: "b"},
	}}
	if got := limitFor(s, "a"); got.Rate != 1 || got.Per != 60 {
		t.Fatalf("limit for a = %+v, want the access right's", got)
	}
	if got := limitFor(s, "b"); got.Rate != 5 || got.Per != 1 {
		t.Fatalf("limit for b = %+v, want the session's", got)
	}
}
