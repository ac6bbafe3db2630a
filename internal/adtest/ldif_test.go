package adtest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

func TestFileTime(t *testing.T) {
	tests := []struct {
		t    time.Time
		want int64
	}{
		{time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Unix(0, 0), 116444736000000000},
		{expiredPasswordSetAt, 132223104000000000},
		{time.Unix(0, 150), 116444736000000001}, // 100 ns resolution
	}
	for _, tc := range tests {
		if got := fileTime(tc.t); got != tc.want {
			t.Errorf("fileTime(%v) = %d, want %d", tc.t, got, tc.want)
		}
	}
}

func TestADInterval(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int64
	}{
		{30 * time.Minute, -18000000000}, // Samba's default lockoutDuration
		{42 * 24 * time.Hour, -36288000000000},
		{0, 0},
	}
	for _, tc := range tests {
		if got := adInterval(tc.d); got != tc.want {
			t.Errorf("adInterval(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

func TestUnicodePwdValue(t *testing.T) {
	tests := []struct {
		pw   string
		want []byte
	}{
		{"ab", []byte{'"', 0, 'a', 0, 'b', 0, '"', 0}},
		{"é", []byte{'"', 0, 0xe9, 0, '"', 0}},
		{"😀", []byte{'"', 0, 0x3d, 0xd8, 0x00, 0xde, '"', 0}}, // a surrogate pair
	}
	for _, tc := range tests {
		if got := unicodePwdValue(tc.pw); string(got) != string(tc.want) {
			t.Errorf("unicodePwdValue(%q) = % x, want % x", tc.pw, got, tc.want)
		}
	}
}

func TestSampleLDIF(t *testing.T) {
	ldif := sampleLDIF()
	for _, u := range sampleUsers {
		if !strings.Contains(ldif, "dn: "+u.DN+"\nchangetype: add\n") {
			t.Errorf("no add record for %s", u.DN)
		}
		if strings.Contains(ldif, u.Password) {
			t.Errorf("password of %s in clear text", u.Key)
		}
	}
	for _, g := range sampleGroups {
		if !strings.Contains(ldif, "dn: "+g.DN+"\nchangetype: add\nobjectClass: group\n") {
			t.Errorf("no add record for %s", g.DN)
		}
	}
	// Records are separated by exactly one blank line.
	if strings.Contains(ldif, "\n\n\n") || !strings.HasSuffix(ldif, "\n\n") {
		t.Error("records are not separated by single blank lines")
	}
	exp := expiredLDIF()
	if !strings.Contains(exp, "pwdLastSet: 132223104000000000\n") || !strings.Contains(exp, "replace: unicodePwd\n") {
		t.Errorf("expiredLDIF must set the password and the old pwdLastSet together:\n%s", exp)
	}
	if !strings.Contains(policyLDIF(), "lockoutThreshold: 5\n") {
		t.Error("policy lacks the threshold")
	}
}

func TestDiagnostic(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"samba wrong password", ldap.NewError(49, errors.New("80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1")), "52e"},
		{"windows locked", ldap.NewError(49, errors.New("80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 775, v3839")), "775"},
		{"no data part", ldap.NewError(8, errors.New("BindSimple: Transport encryption required.")), ""},
		{"not an LDAP error", errors.New("data 52e, x"), ""},
		{"nil", nil, ""},
	}
	for _, tc := range tests {
		if got := Diagnostic(tc.err); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
