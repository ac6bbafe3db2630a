package check

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// Secrets used by the cases; none may ever appear in a report.
const (
	sessionSecret = "session-secret-5f1c0e9a7b"
	wrongPassword = "wrong-pass-c41d"
	wrongBindPW   = "wrong-reader-pass-93"
)

// runCase is one configuration checked against the sample directory.
type runCase struct {
	name     string
	config   map[string]any // a bare configuration (file is empty)
	file     string         // a whole file instead of config
	username string
	password string
	caFile   string
	urls     []string

	wantStatus int
	wantStep   string // the step the verdict comes from; "" when granted
	wantAdvice string // substring of the verdict's advice
	// wantStepAdvice is a substring of the advice of a step named
	// wantStepName that failed, for failures that do not decide the verdict.
	wantStepName, wantStepAdvice string
	check                        func(t *testing.T, r *Report)
}

func searchConfig(srv *slapdtest.Server, extra map[string]any) map[string]any {
	cfg := map[string]any{
		"urls":           []any{srv.URL()},
		"search_base_dn": slapdtest.PeopleDN,
		"bind_dn":        slapdtest.ServiceAccountDN,
		"bind_password":  slapdtest.ServiceAccountPassword,
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

func TestRunAgainstSlapd(t *testing.T) {
	srv := slapdtest.StartT(t)
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	carol, _ := slapdtest.SampleUserByKey("CAROL")
	twin, _ := slapdtest.SampleUserByKey("TWIN")
	closed := slapdtest.ClosedPortURL(t)
	bindPWFile := filepath.Join(t.TempDir(), "bind-password")
	if err := os.WriteFile(bindPWFile, []byte(slapdtest.ServiceAccountPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CHECK_TEST_BIND_PASSWORD", slapdtest.ServiceAccountPassword)

	groups := map[string]any{
		"group_base_dn":   slapdtest.GroupsDN,
		"nested_groups":   true,
		"required_groups": []any{"developers", "admins"},
		"group_policies":  map[string]any{"engineering": []any{"pol-eng"}, "admins": []any{"pol-admin"}},
		"groups_header":   "X-Authenticated-Groups",
		"policies":        []any{"pol-base"},
	}

	tests := []runCase{
		{
			name: "happy path over StartTLS with nested groups",
			config: searchConfig(srv, merge(groups, map[string]any{
				"start_tls": true, "tls_ca_file": srv.CAFile(), "session_key_secret": sessionSecret,
				"metadata_attributes": []any{"mail"},
			})),
			username: alice.UID, password: alice.Password, wantStatus: 200,
			check: func(t *testing.T, r *Report) {
				wantSteps := []string{"definition", "config", "connect", "starttls", "service bind", "search", "connect", "starttls",
					"user bind", "root dse", "group search", "group search", "group search", "groups", "decision", "revocation watch"}
				if got := stepNames(r); !slices.Equal(got, wantSteps) {
					t.Errorf("steps %q,\nwant %q", got, wantSteps)
				}
				for _, s := range r.Steps {
					if !s.OK {
						t.Errorf("step %s failed: %s", s.Name, s.Error)
					}
				}
				st := stepNamed(r, "starttls")
				if len(st.Certificates) == 0 || st.Certificates[0].Subject != "CN=127.0.0.1,O=slapdtest" || !slices.Contains(st.Certificates[0].IPs, "127.0.0.1") {
					t.Errorf("starttls certificates %+v", st.Certificates)
				}
				if s := stepNamed(r, "revocation watch"); !strings.Contains(s.Detail, "live with poll-modifyTimestamp") ||
					!slices.Contains(s.Notes, "the directory offers: no push mechanism; changes are found by polling") {
					t.Errorf("revocation watch step %+v", s)
				}
				if s := stepNamed(r, "search"); !strings.Contains(s.Detail, "filter (uid=alice)") || !slices.Equal(s.Entries, []string{alice.DN}) {
					t.Errorf("search step %+v", s)
				}
				if r.Identity == nil || r.Identity.Username != "alice" || r.Identity.DN != alice.DN || !strings.HasPrefix(r.Identity.UniqueID, "entryUUID:") {
					t.Fatalf("identity %+v", r.Identity)
				}
				if got := groupNames(r); !slices.Equal(got, []string{"developers", "engineering"}) {
					t.Errorf("groups %q", got)
				}
				if r.Access == nil || !r.Access.Allowed || !strings.Contains(r.Access.Because, "member of developers") {
					t.Errorf("access %+v", r.Access)
				}
				if !slices.Equal(r.Policies, []string{"pol-base", "pol-eng"}) {
					t.Errorf("policies %q", r.Policies)
				}
				s := r.Session
				// The configured secret makes the KeyID stable across nodes;
				// only the missing API ID of a bare configuration changes it.
				if s == nil || !strings.HasPrefix(s.KeyID, "ldap-") || s.Alias != "alice" || !strings.Contains(s.KeyIDNote, "bare configuration") || s.LifetimeSeconds != 3600 {
					t.Fatalf("session %+v", s)
				}
				if s.UpstreamHeaders["X-Authenticated-User"] != "alice" || s.UpstreamHeaders["X-Authenticated-Groups"] != "developers,engineering" {
					t.Errorf("upstream headers %q", s.UpstreamHeaders)
				}
				if !slices.Equal(s.RemovedHeaders, []string{"Authorization"}) {
					t.Errorf("removed headers %q", s.RemovedHeaders)
				}
				if s.MetaData["ldap_mail"] != alice.Mail || s.MetaData["ldap_groups"] != "developers,engineering" {
					t.Errorf("metadata %v", s.MetaData)
				}
				if !strings.Contains(r.Verdict.Reason, "allow alice") {
					t.Errorf("verdict %+v", r.Verdict)
				}
			},
		},
		{
			name:     "wrong CA over ldaps",
			config:   searchConfig(srv, map[string]any{"urls": []any{srv.LDAPSURL()}, "tls_ca_file": srv.WrongCAFile()}),
			username: alice.UID, password: alice.Password, wantStatus: 503, wantStep: "tls",
			wantAdvice: "the CA in tls_ca_file (" + srv.WrongCAFile() + ") did not sign the server's certificate (issuer CN=slapdtest CA,O=slapdtest)",
			check:      wantCertificates("tls"),
		},
		{
			name:     "wrong CA over StartTLS",
			config:   searchConfig(srv, map[string]any{"start_tls": true, "tls_ca_pem": string(srv.WrongCAPEM())}),
			username: alice.UID, password: alice.Password, wantStatus: 503, wantStep: "starttls",
			wantAdvice: "the CA in tls_ca_pem did not sign the server's certificate (issuer CN=slapdtest CA,O=slapdtest)",
			check:      wantCertificates("starttls"),
		},
		{
			name:     "system CAs do not know the directory's CA",
			config:   searchConfig(srv, map[string]any{"urls": []any{srv.LDAPSURL()}}),
			username: alice.UID, password: alice.Password, wantStatus: 503, wantStep: "tls",
			wantAdvice: "issued by CN=slapdtest CA,O=slapdtest, which the system CAs do not trust: set tls_ca_file",
		},
		{
			name:     "wrong server name",
			config:   searchConfig(srv, map[string]any{"urls": []any{srv.LDAPSURL()}, "tls_ca_file": srv.CAFile(), "tls_server_name": "ldap.wrong.example"}),
			username: alice.UID, password: alice.Password, wantStatus: 503, wantStep: "tls",
			wantAdvice: "the certificate is for localhost, 127.0.0.1, ::1, not ldap.wrong.example: tls_server_name must be one of those names",
			check:      wantCertificates("tls"),
		},
		{
			name:     "wrong server name over StartTLS",
			config:   searchConfig(srv, map[string]any{"start_tls": true, "tls_ca_file": srv.CAFile(), "tls_server_name": "ldap.wrong.example"}),
			username: alice.UID, password: alice.Password, wantStatus: 503, wantStep: "starttls",
			wantAdvice: "not ldap.wrong.example",
		},
		{
			name:     "ldaps URL on the plain port",
			config:   searchConfig(srv, map[string]any{"urls": []any{"ldaps://" + srv.Addr()}, "tls_ca_file": srv.CAFile()}),
			username: alice.UID, password: alice.Password, wantStatus: 503, wantStep: "tls",
			wantAdvice: "probably does not speak TLS on this port (for a plain LDAP port use an ldap:// URL with start_tls: true)",
		},
		{
			name:     "plaintext to a remote name refused by the configuration",
			config:   searchConfig(srv, map[string]any{"urls": []any{"ldap://ldap.example.org:389"}}),
			username: alice.UID, password: alice.Password, wantStatus: 500, wantStep: "config",
			check: wantConfigError("urls", "would send passwords in clear text: use ldaps://, set start_tls: true, or set allow_plaintext: true"),
		},
		{
			name:     "unknown key",
			config:   searchConfig(srv, map[string]any{"requierd_groups": []any{"admins"}}),
			username: alice.UID, password: alice.Password, wantStatus: 500, wantStep: "config",
			check: wantConfigError("requierd_groups", `unknown key (did you mean "required_groups"?)`),
		},
		{
			name:     "wrong bind password",
			config:   searchConfig(srv, map[string]any{"bind_password": wrongBindPW}),
			username: alice.UID, password: alice.Password, wantStatus: 500, wantStep: "service bind",
			wantAdvice: "wrong service account password (bind_password) for bind_dn " + slapdtest.ServiceAccountDN,
		},
		{
			name:     "filter matches two entries",
			config:   searchConfig(srv, map[string]any{"search_base_dn": slapdtest.BaseDN}),
			username: twin.UID, password: twin.Password, wantStatus: 401, wantStep: "search",
			wantAdvice: "search found 2 or more entries for twin",
			check: func(t *testing.T, r *Report) {
				if s := stepNamed(r, "search"); len(s.Entries) != 2 || s.OK {
					t.Errorf("search step %+v", s)
				}
			},
		},
		{
			name:     "unknown user",
			config:   searchConfig(srv, nil),
			username: "nobody-here", password: wrongPassword, wantStatus: 401, wantStep: "search",
			wantAdvice: "no entry matches (uid=nobody-here) under " + slapdtest.PeopleDN,
		},
		{
			name:     "wrong user password",
			config:   searchConfig(srv, nil),
			username: alice.UID, password: wrongPassword, wantStatus: 401, wantStep: "user bind",
			wantAdvice: "wrong password for alice (" + alice.DN + ")",
		},
		{
			name:     "user not in a required group",
			config:   searchConfig(srv, groups),
			username: carol.UID, password: carol.Password, wantStatus: 403, wantStep: "access",
			wantAdvice: "carol is not in any of required_groups [developers, admins]; they are in no group under group_base_dn " + slapdtest.GroupsDN,
			check: func(t *testing.T, r *Report) {
				if r.Identity == nil || r.Identity.Username != "carol" || r.Session != nil || r.Access == nil || r.Access.Allowed {
					t.Errorf("identity %+v session %+v access %+v", r.Identity, r.Session, r.Access)
				}
			},
		},
		{
			name:     "search base missing",
			config:   searchConfig(srv, map[string]any{"search_base_dn": "ou=nowhere," + slapdtest.BaseDN}),
			username: alice.UID, password: alice.Password, wantStatus: 500, wantStep: "search",
			wantAdvice: "search_base_dn ou=nowhere," + slapdtest.BaseDN + " does not exist",
		},
		{
			name:     "server down",
			config:   searchConfig(srv, map[string]any{"urls": []any{closed}}),
			username: alice.UID, password: alice.Password, wantStatus: 503, wantStep: "connect",
			wantAdvice: "nothing accepts connections at " + strings.TrimPrefix(closed, "ldap://"),
		},
		{
			name:     "failover to the second server",
			config:   searchConfig(srv, map[string]any{"urls": []any{closed, srv.URL()}}),
			username: alice.UID, password: alice.Password, wantStatus: 200,
			wantStepName: "connect", wantStepAdvice: "nothing accepts connections",
			check: func(t *testing.T, r *Report) {
				if !slices.ContainsFunc(r.Log, func(l LogLine) bool { return strings.Contains(l.Message, "failing over") }) {
					t.Errorf("no failover line in the plugin log: %+v", r.Log)
				}
			},
		},
		{
			name:     "direct bind reads the entry that bound",
			config:   map[string]any{"urls": []any{srv.URL()}, "user_dn_template": "uid={username}," + slapdtest.PeopleDN, "hide_credentials": false},
			username: alice.UID, password: alice.Password, wantStatus: 200,
			check: func(t *testing.T, r *Report) {
				if got := stepNames(r); !slices.Equal(got, []string{"definition", "config", "connect", "user bind", "read entry", "decision", "revocation watch"}) {
					t.Errorf("steps %q", got)
				}
				if s := stepNamed(r, "revocation watch"); !s.OK || !strings.Contains(s.Detail, "needs a service account") {
					t.Errorf("revocation watch step without bind_dn: %+v", s)
				}
				if s := r.Session; s == nil || !strings.Contains(s.KeyIDNote, "random per-process secret") || len(s.RemovedHeaders) != 0 {
					t.Errorf("session %+v", s)
				}
				wantNote(t, r, "config", "hide_credentials is false: the upstream receives the client's Authorization header")
			},
		},
		{
			name: "groups from memberOf",
			config: searchConfig(srv, map[string]any{"group_source": "memberof", "group_base_dn": slapdtest.GroupsDN,
				"required_groups": []any{"cn=developers," + slapdtest.GroupsDN}}),
			username: alice.UID, password: alice.Password, wantStatus: 200,
			check: func(t *testing.T, r *Report) {
				if got := groupNames(r); !slices.Equal(got, []string{"developers"}) {
					t.Errorf("groups %q", got)
				}
			},
		},
		{
			name: "classic definition with env:// and the command line's urls",
			file: `{"api_id": "env-api", "org_id": "org-1", "name": "Env API", "custom_plugin_auth_enabled": true,
				"custom_middleware": {"driver": "goplugin", "auth_check": {"name": "LDAPAuth"}},
				"config_data": {"urls": ["ldap://openldap:389"], "allow_plaintext": true,
				"search_base_dn": "` + slapdtest.PeopleDN + `", "bind_dn": "` + slapdtest.ServiceAccountDN + `",
				"bind_password": "env://CHECK_TEST_BIND_PASSWORD"}}`,
			urls:     []string{srv.URL()},
			username: alice.UID, password: alice.Password, wantStatus: 200,
			check: func(t *testing.T, r *Report) {
				if r.Source.Kind != KindClassic || r.Source.APIID != "env-api" || !slices.Equal(r.Source.Overrides, []string{"urls"}) {
					t.Errorf("source %+v", r.Source)
				}
				wantNote(t, r, "definition", "env://CHECK_TEST_BIND_PASSWORD replaced")
				wantNote(t, r, "config", "bind_password: from the environment variable CHECK_TEST_BIND_PASSWORD (the gateway substitutes it")
				if ar, ok := r.Session.AccessRights["env-api"]; !ok || ar.APIName != "Env API" || r.Session.OrgID != "org-1" {
					t.Errorf("session %+v", r.Session)
				}
			},
		},
		{
			name:     "file:// bind password and the command line's CA file",
			config:   searchConfig(srv, map[string]any{"urls": []any{srv.LDAPSURL()}, "tls_ca_file": srv.WrongCAFile(), "bind_password": "file://" + bindPWFile}),
			caFile:   srv.CAFile(),
			username: alice.UID, password: alice.Password, wantStatus: 200,
			check: func(t *testing.T, r *Report) {
				wantNote(t, r, "config", "bind_password: read from the file "+bindPWFile)
				wantNote(t, r, "config", "tls_ca_file "+srv.CAFile()+" trusts: CN=slapdtest CA,O=slapdtest")
			},
		},
		{
			name:     "colon in the username",
			config:   searchConfig(srv, nil),
			username: "alice:x", password: alice.Password, wantStatus: 401, wantStep: "user bind",
			check: func(t *testing.T, r *Report) {
				wantNote(t, r, "decision", `the gateway reads the username "alice" and the rest as part of the password`)
			},
		},
		{
			name: "disabled configuration",
			file: `{"api_id": "off", "config_data_disabled": true, "custom_plugin_auth_enabled": true,
				"custom_middleware": {"driver": "goplugin", "auth_check": {"name": "LDAPAuth"}}, "config_data": {"urls": ["` + srv.URL() + `"]}}`,
			username: alice.UID, password: alice.Password, wantStatus: 500, wantStep: "config",
			wantAdvice: "set config_data_disabled to false",
		},
		{
			name: "auth source other than Authorization",
			file: `{"api_id": "q", "custom_plugin_auth_enabled": true, "custom_middleware": {"driver": "goplugin", "auth_check": {"name": "LDAPAuth"}},
				"auth_configs": {"coprocess": {"use_param": true}}, "config_data": {"urls": ["` + srv.URL() + `"], "user_dn_template": "uid={username},` + slapdtest.PeopleDN + `"}}`,
			username: alice.UID, password: alice.Password, wantStatus: 500, wantStep: "config",
			wantAdvice: "remove auth_configs.coprocess from the API definition",
			check:      wantConfigError("auth_configs.coprocess", "names an auth source other than the Authorization header"),
		},
		{
			name:     "credentials refused before the directory",
			config:   searchConfig(srv, nil),
			username: alice.UID, password: "", wantStatus: 401,
			wantAdvice: "the gateway refuses these credentials before asking the directory (empty password)",
			check: func(t *testing.T, r *Report) {
				if slices.Contains(stepNames(r), "connect") {
					t.Errorf("the directory was asked: %q", stepNames(r))
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.file)
			if tc.file == "" {
				var err error
				if data, err = json.Marshal(tc.config); err != nil {
					t.Fatal(err)
				}
			}
			r := Run(Options{File: "case.json", Data: data, Username: tc.username, Password: tc.password, URLs: tc.urls, CAFile: tc.caFile})
			var text bytes.Buffer
			if err := r.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if r.Verdict.Status != tc.wantStatus || r.Verdict.Step != tc.wantStep {
				t.Fatalf("verdict %+v, want status %d from step %q\n%s", r.Verdict, tc.wantStatus, tc.wantStep, text.String())
			}
			if !strings.Contains(r.Verdict.Advice, tc.wantAdvice) {
				t.Errorf("advice %q lacks %q", r.Verdict.Advice, tc.wantAdvice)
			}
			if tc.wantStep != "" && tc.wantStep != "access" {
				if s := stepNamed(r, tc.wantStep); s.OK || s.Error == "" || s.Advice != r.Verdict.Advice {
					t.Errorf("step %s: %+v", tc.wantStep, s)
				}
			}
			if tc.wantStepName != "" && !slices.ContainsFunc(r.Steps, func(s Step) bool {
				return s.Name == tc.wantStepName && !s.OK && strings.Contains(s.Advice, tc.wantStepAdvice)
			}) {
				t.Errorf("no failed %s step with advice %q:\n%s", tc.wantStepName, tc.wantStepAdvice, text.String())
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			js, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			wantNoSecrets(t, text.String(), tc.username, tc.password)
			wantNoSecrets(t, string(js), tc.username, tc.password)
			if t.Failed() {
				t.Logf("report:\n%s", text.String())
			}
		})
	}
}

// wantNoSecrets fails when out holds a password, the session secret or the
// Authorization header's value.
func wantNoSecrets(t *testing.T, out, username, password string) {
	t.Helper()
	secrets := []string{password, slapdtest.ServiceAccountPassword, wrongBindPW, sessionSecret,
		base64.StdEncoding.EncodeToString([]byte(username + ":" + password))}
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("the report contains the secret %q", s)
		}
	}
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func stepNames(r *Report) []string {
	out := make([]string, len(r.Steps))
	for i, s := range r.Steps {
		out[i] = s.Name
	}
	return out
}

// stepNamed returns the last step called name.
func stepNamed(r *Report, name string) Step {
	for i := len(r.Steps) - 1; i >= 0; i-- {
		if r.Steps[i].Name == name {
			return r.Steps[i]
		}
	}
	return Step{Name: "(no " + name + " step)"}
}

func groupNames(r *Report) []string {
	out := make([]string, len(r.Groups))
	for i, g := range r.Groups {
		out[i] = g.Name
	}
	return out
}

func wantNote(t *testing.T, r *Report, step, note string) {
	t.Helper()
	if !slices.ContainsFunc(stepNamed(r, step).Notes, func(n string) bool { return strings.Contains(n, note) }) {
		t.Errorf("step %s notes %q lack %q", step, stepNamed(r, step).Notes, note)
	}
}

// wantCertificates checks that a failed handshake still shows the chain
// the server presented.
func wantCertificates(step string) func(*testing.T, *Report) {
	return func(t *testing.T, r *Report) {
		certs := stepNamed(r, step).Certificates
		if len(certs) < 1 || certs[0].Subject != "CN=127.0.0.1,O=slapdtest" || certs[0].Issuer != "CN=slapdtest CA,O=slapdtest" {
			t.Errorf("%s certificates %+v", step, certs)
		}
	}
}

func wantConfigError(key, problem string) func(*testing.T, *Report) {
	return func(t *testing.T, r *Report) {
		if !slices.ContainsFunc(r.ConfigErrors, func(p ConfigProblem) bool { return p.Key == key && strings.Contains(p.Problem, problem) }) {
			t.Errorf("config errors %+v lack %s: %s", r.ConfigErrors, key, problem)
		}
		if slices.Contains(stepNames(r), "connect") {
			t.Errorf("the directory was asked despite the configuration error")
		}
	}
}

// When the directory lets users change their own username_attribute, the
// check says so after its verdict (a user could take another's name and
// make that user's logins answer 500); the verdict itself stands.
func TestRunWarnsWhenTheUsernameIsSelfWritable(t *testing.T) {
	srv := slapdtest.StartT(t, slapdtest.WithSelfWritable("uid"))
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	data, err := json.Marshal(searchConfig(srv, nil))
	if err != nil {
		t.Fatal(err)
	}
	r := Run(Options{File: "case.json", Data: data, Username: alice.UID, Password: alice.Password})
	if r.Verdict.Status != 200 {
		t.Fatalf("verdict %+v", r.Verdict)
	}
	s := stepNamed(r, "self edit")
	if s.OK || !strings.Contains(s.Error, "change their own uid") || !strings.Contains(s.Advice, "restrict write access to uid") {
		t.Fatalf("self edit step %+v", s)
	}
	if names := stepNames(r); names[len(names)-1] != "self edit" {
		t.Fatalf("steps %q: the warning comes after the decision", names)
	}
	if strings.Contains(string(mustJSON(t, r)), alice.Password) {
		t.Fatal("the report holds the password")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
