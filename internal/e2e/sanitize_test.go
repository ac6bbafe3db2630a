package e2e

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// controlText holds CR, LF, TAB, ESC, DEL and a C1 control: what directory
// data can carry and a header or a log line must not.
const controlText = "Eve\r\nX-Injected: yes\tpart\x1b[31m\x7f\u0085end"

// hasControl reports whether s holds a C0 or C1 control character or DEL.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) })
}

// TestMetadataControlCharacters: directory data with control characters
// (slapd stores them): eve's cn and description hold CR/LF, ESC, DEL and a
// C1 control, frank's DN itself holds CR/LF, and both are members of a
// group whose name does. Logging in where cn is the canonical username and
// where it is only copied into metadata and a header, the session's
// ldap_dn, ldap_username, ldap_groups and ldap_<attribute> values, and
// every header the upstream gets, carry no control character.
func TestMetadataControlCharacters(t *testing.T) {
	e := newEnv(t)
	ldif := fmt.Sprintf("dn: uid=eve,%s\nobjectClass: inetOrgPerson\nuid: eve\nsn: eve\ncn:: %s\ndescription:: %s\n",
		slapdtest.PeopleDN, base64.StdEncoding.EncodeToString([]byte(controlText)), base64.StdEncoding.EncodeToString([]byte("line one\nline two\r")))
	if err := e.ldap.ApplyLDIF(ldif); err != nil {
		t.Fatalf("slapd refused control characters in cn/description: %v", err)
	}
	// frank's DN itself holds CR and LF (its RDN is the cn).
	frankDN := `cn=Frank\0D\0AAdmin,` + slapdtest.PeopleDN
	ldif = fmt.Sprintf("dn:: %s\nobjectClass: inetOrgPerson\nuid: frank\nsn: frank\ncn:: %s\n",
		base64.StdEncoding.EncodeToString([]byte("cn=Frank\r\nAdmin,"+slapdtest.PeopleDN)), base64.StdEncoding.EncodeToString([]byte("Frank\r\nAdmin")))
	if err := e.ldap.ApplyLDIF(ldif); err != nil {
		t.Fatalf("slapd refused CR/LF in a DN: %v", err)
	}
	// A group whose name holds CR and LF, with both as members.
	ldif = fmt.Sprintf("dn:: %s\nobjectClass: groupOfNames\ncn:: %s\nmember: uid=eve,%s\nmember: %s\n",
		base64.StdEncoding.EncodeToString([]byte("cn=Night\r\nOps,"+slapdtest.GroupsDN)), base64.StdEncoding.EncodeToString([]byte("Night\r\nOps")),
		slapdtest.PeopleDN, frankDN)
	if err := e.ldap.ApplyLDIF(ldif); err != nil {
		t.Fatalf("slapd refused CR/LF in a group name: %v", err)
	}
	for _, dn := range []string{"uid=eve," + slapdtest.PeopleDN, frankDN} {
		if err := e.ldap.SetPassword(dn, "eve-pass-1"); err != nil {
			t.Fatal(err)
		}
	}
	attrs := []interface{}{"metadata_attributes", []string{"cn", "description"}, "attribute_headers", map[string]string{"cn": "X-User-Cn"},
		"group_source", "memberof", "group_base_dn", slapdtest.GroupsDN, "groups_header", "X-Authenticated-Groups"}
	const uidAPI, cnAPI = "ctl-uid", "ctl-cn-username"
	e.load(
		e.api(classic, uidAPI, e.search(attrs...)),
		e.api(classic, cnAPI, e.search(append(attrs, "username_attribute", "cn")...)),
	)
	cases := []struct {
		api, login, wantUser string
		metadata             []string // keys that must be present
	}{
		{uidAPI, "eve", "eve", []string{"ldap_dn", "ldap_username", "ldap_groups", "ldap_cn", "ldap_description"}},
		{cnAPI, "eve", "EveX-Injected: yespart[31mend", []string{"ldap_dn", "ldap_username", "ldap_groups", "ldap_cn", "ldap_description"}},
		{uidAPI, "frank", "frank", []string{"ldap_dn", "ldap_username", "ldap_groups", "ldap_cn"}},
		{cnAPI, "frank", "FrankAdmin", []string{"ldap_dn", "ldap_username", "ldap_groups", "ldap_cn"}},
	}
	for _, tc := range cases {
		t.Run(tc.api+"/"+tc.login, func(t *testing.T) {
			r, rec := e.record(func() reply { return e.as(tc.api, tc.login, "eve-pass-1") })
			checkGranted(t, r, tc.wantUser)
			for name, values := range r.seen.Header {
				for _, v := range values {
					if hasControl(v) {
						t.Errorf("upstream header %s carries a control character: %q", name, v)
					}
				}
			}
			s, ok := e.host.Sessions().Get(rec.KeyID)
			if !ok {
				t.Fatal("no stored session")
			}
			for _, key := range tc.metadata {
				v, ok := s.MetaData[key].(string)
				if !ok || v == "" {
					t.Errorf("session metadata %s = %#v, want a non-empty string", key, s.MetaData[key])
				}
				if hasControl(v) {
					t.Errorf("session metadata %s carries a control character: %q", key, v)
				}
			}
			if got := s.MetaData["ldap_groups"]; got != "NightOps" {
				t.Errorf("ldap_groups %q, want the group name without its controls", got)
			}
			if got, ok := s.MetaData["ldap_description"]; ok && got != "line oneline two" {
				t.Errorf("ldap_description %q, want the text without its controls", got)
			}
		})
	}
}
