package directory

import (
	"slices"
	"strings"
	"testing"
)

func TestCompileTemplate(t *testing.T) {
	tests := []struct {
		text      string
		allowed   []string
		wantHoles []string
		wantErr   string // substring of the error; "" for success
	}{
		{"(uid={username})", []string{"username"}, []string{"username"}, ""},
		{"{username}", []string{"username"}, []string{"username"}, ""},
		{"(|(member={dn})(memberUid={username}))", []string{"dn", "username"}, []string{"dn", "username"}, ""},
		{"(member={dn})(again={dn})", []string{"dn"}, []string{"dn", "dn"}, ""},
		{"(objectClass=person)", []string{"username"}, nil, ""},
		{"", []string{"username"}, nil, ""},
		{"(uid={usernme})", []string{"username"}, nil, "unknown placeholder {usernme}"},
		{"(uid={dn})", []string{"username"}, nil, "unknown placeholder {dn}"},
		{"(uid={username)", []string{"username"}, nil, "unclosed '{'"},
		{"(uid=username})", []string{"username"}, nil, "unmatched '}'"},
		{"(uid={})", []string{"username"}, nil, "unknown placeholder {}"},
		{"{{username}}", []string{"username"}, nil, "unknown placeholder"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			tmpl, err := CompileTemplate(tt.text, tt.allowed...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if !tmpl.IsZero() {
					t.Fatal("a failed compile returned a usable template")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tmpl.holes, tt.wantHoles) || tmpl.IsZero() {
				t.Fatalf("holes %q (zero %v), want %q", tmpl.holes, tmpl.IsZero(), tt.wantHoles)
			}
			// With an identity escape, expansion gives back the text with
			// each placeholder replaced by its value.
			values := map[string]string{"username": "U", "dn": "D"}
			want := strings.NewReplacer("{username}", "U", "{dn}", "D").Replace(tt.text)
			if got := tmpl.Expand(func(s string) string { return s }, values); got != want {
				t.Fatalf("Expand = %q, want %q", got, want)
			}
			for _, name := range []string{"username", "dn"} {
				if got, want := tmpl.Uses(name), slices.Contains(tt.wantHoles, name); got != want {
					t.Fatalf("Uses(%q) = %v, want %v", name, got, want)
				}
			}
		})
	}
	if !(Template{}).IsZero() {
		t.Fatal("the zero Template is not IsZero")
	}
}

// Only values go through the escape function, never the configured text.
func TestExpandEscapesValuesOnly(t *testing.T) {
	tmpl := mustTemplate(t, "(&(uid={username})(memberOf={dn}))", "username", "dn")
	var seen []string
	got := tmpl.Expand(func(s string) string { seen = append(seen, s); return "<" + s + ">" },
		map[string]string{"username": "a*", "dn": "cn=x"})
	if want := "(&(uid=<a*>)(memberOf=<cn=x>))"; got != want {
		t.Fatalf("Expand = %q, want %q", got, want)
	}
	if !slices.Equal(seen, []string{"a*", "cn=x"}) {
		t.Fatalf("escape saw %q", seen)
	}
	// A missing value is the empty string, escaped like any other.
	if got := tmpl.Expand(func(s string) string { return "[" + s + "]" }, nil); got != "(&(uid=[])(memberOf=[]))" {
		t.Fatalf("Expand without values = %q", got)
	}
}

func TestSoleEquality(t *testing.T) {
	tests := []struct {
		filter   string
		wantAttr string // "" when the filter is not a sole equality
	}{
		{"(uid={username})", "uid"},
		{"(mail={username})", "mail"},
		{"(sAMAccountName={username})", "sAMAccountName"},
		{"(&(uid={username})(objectClass=person))", ""},
		{"(|(uid={username})(mail={username}))", ""},
		{"(uid={username}*)", ""},
		{"(uid=x{username})", ""},
		{"(uid:dn:={username})", ""},
		{"(cn~={username})", ""},
		{"(uid>={username})", ""},
		{"( uid={username})", ""},
		{"(={username})", ""},
		{"uid={username}", ""},
		{"(!(uid={username}))", ""},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			attr, ok := mustTemplate(t, tt.filter, "username").soleEquality("username")
			if attr != tt.wantAttr || ok != (tt.wantAttr != "") {
				t.Fatalf("soleEquality = %q, %v; want %q", attr, ok, tt.wantAttr)
			}
		})
	}
	if _, ok := mustTemplate(t, "(member={dn})", "dn").soleEquality("username"); ok {
		t.Fatal("a filter on {dn} counted as a sole equality on {username}")
	}
}
