package check

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/adtest"
)

// TestRunAgainstActiveDirectory checks what operators of Active Directory
// hit most, against a real Samba AD DC.
func TestRunAgainstActiveDirectory(t *testing.T) {
	dc := adtest.StartT(t)
	alice, _ := adtest.SampleUserByKey(adtest.KeyAlice)
	disabled, _ := adtest.SampleUserByKey(adtest.KeyDisabled)
	search := func(url string, extra map[string]any) map[string]any {
		cfg := map[string]any{
			"urls": []any{url}, "search_base_dn": adtest.BaseDN, "search_filter": "(sAMAccountName={username})",
			"username_attribute": "sAMAccountName", "bind_dn": dc.AdminDN(), "bind_password": dc.AdminPassword(),
		}
		for k, v := range extra {
			cfg[k] = v
		}
		return cfg
	}
	tests := []struct {
		name       string
		config     map[string]any
		username   string
		password   string
		wantStatus int
		wantStep   string
		wantAdvice string
		check      func(t *testing.T, r *Report)
	}{
		{
			name:     "plain LDAP service bind",
			config:   search(dc.LDAPURL(), nil),
			username: alice.SAMAccountName, password: alice.Password, wantStatus: 500, wantStep: "service bind",
			wantAdvice: "the directory requires TLS for simple binds (Active Directory does by default): use an ldaps:// URL or set start_tls: true",
		},
		{
			name:     "plain LDAP user bind",
			config:   map[string]any{"urls": []any{dc.LDAPURL()}, "user_dn_template": "{username}@" + adtest.DNSDomain, "search_base_dn": adtest.BaseDN, "username_attribute": "sAMAccountName"},
			username: alice.SAMAccountName, password: alice.Password, wantStatus: 500, wantStep: "user bind",
			wantAdvice: "use an ldaps:// URL or set start_tls: true",
		},
		{
			name: "LDAPS with nested groups",
			config: search(dc.LDAPSURL(), map[string]any{"tls_ca_file": dc.CAFile(), "group_base_dn": adtest.BaseDN,
				"nested_groups": true, "required_groups": []any{"CN=staff," + adtest.GroupsDN}}),
			username: alice.SAMAccountName, password: alice.Password, wantStatus: 200,
			check: func(t *testing.T, r *Report) {
				if got := groupNames(r); !slices.Contains(got, "engineers") || !slices.Contains(got, "staff") {
					t.Errorf("groups %q", got)
				}
				if s := stepNamed(r, "self edit"); s.Name == "self edit" {
					t.Errorf("AD lets no user change their sAMAccountName, yet the check warns: %+v", s)
				}
				if r.Identity == nil || !strings.HasPrefix(r.Identity.UniqueID, "objectGUID:") {
					t.Errorf("identity %+v", r.Identity)
				}
				if s := stepNamed(r, "group search"); !strings.Contains(s.Detail, "member:1.2.840.113556.1.4.1941:=") {
					t.Errorf("no in-chain group search: %+v", s)
				}
			},
		},
		{
			name:     "disabled account",
			config:   search(dc.LDAPSURL(), map[string]any{"tls_ca_file": dc.CAFile()}),
			username: disabled.SAMAccountName, password: disabled.Password, wantStatus: 401, wantStep: "user bind",
			wantAdvice: "the password may be right, but the directory refuses the account " + disabled.DN + ": account disabled (Active Directory data 533)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := json.Marshal(tc.config)
			if err != nil {
				t.Fatal(err)
			}
			r := Run(Options{File: "ad.json", Data: data, Username: tc.username, Password: tc.password})
			var text strings.Builder
			if err := r.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if r.Verdict.Status != tc.wantStatus || r.Verdict.Step != tc.wantStep || !strings.Contains(r.Verdict.Advice, tc.wantAdvice) {
				t.Fatalf("verdict %+v, want %d from %q with advice %q\n%s", r.Verdict, tc.wantStatus, tc.wantStep, tc.wantAdvice, text.String())
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			js, _ := json.Marshal(r)
			for _, secret := range []string{tc.password, dc.AdminPassword()} {
				if strings.Contains(text.String(), secret) || strings.Contains(string(js), secret) {
					t.Errorf("the report contains the secret %q", secret)
				}
			}
		})
	}
}
