package directory

import (
	"context"
	"strings"
	"testing"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// The probe tells an attribute the user may change on their own entry
// from one they may not, against slapd's ACLs, and changes nothing.
func TestOwnAttributeWritable(t *testing.T) {
	srv := slapdtest.StartT(t, slapdtest.WithSelfWritable("mail"))
	d := newDirectory(t, directOptions(t, srv))
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	for attr, want := range map[string]bool{"mail": true, "uid": false, "cn": false} {
		got, err := d.OwnAttributeWritable(context.Background(), alice.DN, alice.Password, attr)
		if err != nil || got != want {
			t.Errorf("%s: writable %v (%v), want %v", attr, got, err, want)
		}
	}
	if _, err := d.OwnAttributeWritable(context.Background(), alice.DN, "wrong", "mail"); err == nil {
		t.Error("a wrong password probed anyway")
	}
	c, err := srv.AdminConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Search(ldap.NewSearchRequest(alice.DN, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"mail"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatal(err)
	}
	if got := res.Entries[0].GetAttributeValues("mail"); len(got) != 1 || got[0] != alice.Mail {
		t.Errorf("the probe changed mail: %q", got)
	}
}

// When a user has set their username_attribute to another user's value,
// the error names both entries, so the operator finds the one that took
// it, whichever of the two logs in.
func TestDuplicateUsernameNamesBothEntries(t *testing.T) {
	srv := slapdtest.StartT(t)
	alice, _ := slapdtest.SampleUserByKey("ALICE")
	mallory, err := srv.AddUser(slapdtest.NewUser{UID: "mallory", Password: "mallory-pass-1", Mail: alice.Mail})
	if err != nil {
		t.Fatal(err)
	}
	o := searchOptions(t, srv)
	o.UsernameAttribute = "mail"
	d := newDirectory(t, o)
	for _, u := range [][2]string{{"alice", alice.Password}, {"mallory", "mallory-pass-1"}} {
		_, err := d.Authenticate(context.Background(), u[0], u[1], nil)
		if KindOf(err) != KindMisconfigured || !strings.Contains(err.Error(), alice.DN) || !strings.Contains(err.Error(), mallory) {
			t.Errorf("%s: %v; want a misconfiguration naming %s and %s", u[0], err, alice.DN, mallory)
		}
	}
}
