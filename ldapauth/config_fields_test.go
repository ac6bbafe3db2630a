package ldapauth

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

// TestDeclaredDefaultsAreTheDefaults: for every key whose declared default
// is a JSON value, a configuration that sets the key to that value parses
// to exactly the configuration that leaves it out. A declared default the
// parser does not apply fails here.
func TestDeclaredDefaultsAreTheDefaults(t *testing.T) {
	direct := map[string]any{"urls": []any{"ldap://127.0.0.1:389"}, "user_dn_template": "uid={username},ou=people,dc=example,dc=org"}
	search := map[string]any{"urls": []any{"ldap://127.0.0.1:389"}, "search_base_dn": "ou=people,dc=example,dc=org"}
	groups := withKeys(direct, map[string]any{"group_base_dn": "ou=groups,dc=example,dc=org", "group_source": "search"})
	// Keys whose default only shows in a configuration that uses them.
	context := map[string]map[string]any{
		"search_filter": search, "search_scope": search,
		"group_filter": groups, "group_name_attribute": groups,
		"failure_window":        withKeys(direct, map[string]any{"max_failures": 3}),
		"client_failure_window": withKeys(direct, map[string]any{"max_failures_per_client": 3}),
		"redis_timeout":         withKeys(direct, map[string]any{"shared_state": "redis", "session_key_secret": "0123456789abcdef0123"}),
	}
	var checked int
	for _, f := range ConfigFields() {
		lit, ok := strings.CutPrefix(f.Default, "`")
		if !ok || !strings.HasSuffix(lit, "`") {
			continue
		}
		lit = strings.ReplaceAll(strings.TrimSuffix(lit, "`"), `\|`, `|`)
		var value any
		if err := json.Unmarshal([]byte(lit), &value); err != nil {
			// "`0` (off)" and the like: the JSON value is the first word.
			word, _, _ := strings.Cut(f.Default, " ")
			if err := json.Unmarshal([]byte(strings.Trim(word, "`")), &value); err != nil {
				t.Errorf("%s: default %s is neither words nor a JSON value", f.Key, f.Default)
				continue
			}
		}
		base := direct
		if c, ok := context[f.Key]; ok {
			base = c
		}
		without, err := ParseConfig(maps.Clone(base))
		if err != nil {
			t.Fatalf("%s: base configuration: %v", f.Key, err)
		}
		with, err := ParseConfig(withKeys(base, map[string]any{f.Key: value}))
		if err != nil {
			t.Errorf("%s: the declared default %s is refused: %v", f.Key, f.Default, err)
			continue
		}
		if !sameConfig(t, without, with) {
			t.Errorf("%s: declared default %s is not what applies when the key is absent", f.Key, f.Default)
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d defaults checked", checked)
	}
}

// sameConfig compares two parsed configurations by value, ignoring the
// fingerprint of the raw input and the difference between an absent and
// an empty list or map.
func sameConfig(t *testing.T, a, b *Config) bool {
	t.Helper()
	norm := func(c *Config) any {
		cc := *c
		cc.Fingerprint = [32]byte{}
		data, err := json.Marshal(cc)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		// Templates keep their text unexported: compare their expansions.
		same := func(s string) string { return s }
		values := map[string]string{"username": "U", "dn": "D"}
		expand := func(tpl directory.Template) string {
			if tpl.IsZero() {
				return ""
			}
			return tpl.Expand(same, values)
		}
		return []any{dropEmpty(v), expand(c.Directory.SearchFilter), expand(c.Directory.Groups.Filter)}
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func dropEmpty(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e = dropEmpty(e); e != nil {
				out[k] = e
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(x) == 0 {
			return nil
		}
		for i := range x {
			x[i] = dropEmpty(x[i])
		}
	}
	return v
}

func withKeys(a, b map[string]any) map[string]any {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}
