package devdir

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// EnvLines are the KEY='value' lines of slapdtest.EnvLines (the names
// devldap prints too) plus the UI's: LDAP_UI_URL, LDAP_UI_LOGIN_DN (its
// password is LDAP_ROOT_PASSWORD), LDAP_UI_LOG_FILE, and LDAP_TUTORIAL (1
// when test and testgroup are left for the UI to create).
func (d *Dev) EnvLines() string {
	var b strings.Builder
	b.WriteString(slapdtest.EnvLines(d.LDAP, d.Users()))
	kv := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, slapdtest.ShellQuote(v)) }
	kv("LDAP_UI_URL", d.UI.URL())
	kv("LDAP_UI_LOGIN_DN", d.LDAP.RootDN())
	kv("LDAP_UI_LOG_FILE", d.UI.LogFile())
	tutorial := "0"
	if d.tutorial {
		tutorial = "1"
	}
	kv("LDAP_TUTORIAL", tutorial)
	return b.String()
}

// Banner is what a developer needs to start: where the UI is and how to
// log in, where the directory is, and who is in it.
func (d *Dev) Banner() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "phpLDAPadmin\t%s\n", d.UI.URL())
	fmt.Fprintf(w, "  login DN\t%s\n", d.LDAP.RootDN())
	fmt.Fprintf(w, "  password\t%s\n", d.LDAP.RootPassword())
	fmt.Fprintf(w, "LDAP (StartTLS)\t%s\n", d.LDAP.StartTLSURL())
	fmt.Fprintf(w, "LDAPS\t%s\n", d.LDAP.LDAPSURL())
	fmt.Fprintf(w, "  CA file\t%s\n", d.LDAP.CAFile())
	fmt.Fprintf(w, "  base DN\t%s\n", d.LDAP.BaseDN())
	fmt.Fprintf(w, "  service account\t%s / %s\n", slapdtest.ServiceAccountDN, slapdtest.ServiceAccountPassword)
	_ = w.Flush()
	if users := d.Users(); len(users) > 0 {
		b.WriteString("\nSample users (uid / password):\n")
		w = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, u := range users {
			fmt.Fprintf(w, "  %s / %s\t%s\t%s\n", u.UID, u.Password, u.DN, u.Note)
		}
		_ = w.Flush()
	}
	for _, warn := range d.UI.Warnings() {
		fmt.Fprintf(&b, "\nwarning: %s\n", warn)
	}
	if d.tutorial {
		u, _ := slapdtest.SampleUserByKey(TutorialUserKey)
		fmt.Fprintf(&b, "\nNot in the directory yet (create them in the UI): the posixGroup %s and the user %s / %s.\n",
			slapdtest.TestGroupDN, u.UID, u.Password)
	}
	return b.String()
}
