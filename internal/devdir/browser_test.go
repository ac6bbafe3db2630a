package devdir

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/cdp"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestTutorialInTheBrowser is the tutorial, done by a real headless
// Chromium in phpLDAPadmin's own forms: log in as the admin, find the
// sample users in the tree, create the posixGroup testgroup and the user
// test / test123 in it, and add test to the group's members. After each
// step the demo gateway's APIs, served by the contract host with the real
// plugin .so, let test in (or refuse it) accordingly.
func TestTutorialInTheBrowser(t *testing.T) {
	started := time.Now()
	d := startDevT(t, Options{Tutorial: true})
	g := newGateway(t, d.LDAP)
	test, _ := slapdtest.SampleUserByKey(TutorialUserKey)
	g.expect("/ldap-ui/", test.UID, test.Password, http.StatusUnauthorized)

	ui := newBrowserUI(t, d)
	ui.loginPage()
	ui.login("not-the-password", "Invalid credentials")
	ui.login(d.LDAP.RootPassword(), "Logged in as: "+d.LDAP.RootDN())
	ui.shot("logged-in")

	ui.expand(slapdtest.BaseDN)
	ui.expand(slapdtest.PeopleDN)
	ui.treeShows(append([]string{slapdtest.PeopleDN, slapdtest.GroupsDN}, peopleDNs(d.Users())...))
	ui.shot("tree")

	// The posixGroup testgroup, from the "Generic: Posix Group" form.
	ui.expand(slapdtest.GroupsDN)
	ui.createIn(slapdtest.GroupsDN, "Generic: Posix Group", func() {
		ui.typeInto("#new_values_cn_0", TutorialGroup)
	})
	ui.entryIs(slapdtest.TestGroupDN, "objectClass", "posixGroup")

	// The user test / test123 in it, from "Generic: User Account": leaving
	// the last name fills in the common name (the entry's RDN) and a user
	// ID, which is then replaced by test.
	ui.createIn(slapdtest.PeopleDN, "Generic: User Account", func() {
		ui.typeInto("#new_values_givenname_0", "Test")
		ui.typeInto("#new_values_sn_0", "User")
		ui.typeInto("#new_values_uid_0", test.UID)
		ui.waitFor(`document.querySelector("#new_values_cn_0").value === "Test User" && document.querySelector("#new_values_uid_0").value === "test"`)
		ui.typeInto("#new_values_userpassword_0", test.Password)
		ui.typeInto("#new_values_verify_userpassword_0", test.Password)
		ui.selectText("#new_values_gidnumber_0", TutorialGroup)
		ui.selectText("#new_values_loginshell_0", "Shell")
		ui.waitFor(`document.querySelector("#new_values_homedirectory_0").value !== ""`)
		ui.shot("user-form")
	})
	userDN := "cn=Test User," + slapdtest.PeopleDN
	ui.entryIs(userDN, "uid", test.UID)
	ui.entryIs(userDN, "gidNumber", ui.gidNumber(slapdtest.TestGroupDN))
	if pw := ui.attr(userDN, "userPassword"); !strings.HasPrefix(pw, "{SSHA}") {
		t.Fatalf("the UI stored the password as %.6q..., want an {SSHA} hash", pw)
	}

	// The new user gets in at once; the group's API still refuses it: a
	// primary group (gidNumber) is not a membership.
	g.expect("/ldap-ui/", test.UID, test.Password, http.StatusOK)
	g.expect("/ldap-ui/", test.UID, "not-test123", http.StatusUnauthorized)
	g.expect("/ldap-testgroup/", test.UID, test.Password, http.StatusForbidden)

	// test becomes a member: memberUid added on the group's entry page.
	ui.open(slapdtest.TestGroupDN)
	ui.clickText("#ajBODY a", "Add new attribute")
	ui.waitFor(`document.querySelector("#ajBODY select[name=attr]")`)
	ui.selectText("#ajBODY select[name=attr]", "memberUid")
	ui.waitFor(`document.querySelector("#new_values_memberuid_0")`)
	ui.typeInto("#new_values_memberuid_0", test.UID)
	ui.click("#create_button") // "Update Object"
	const confirm = `document.getElementById("ajBODY").innerText.includes("Do you want to make these changes?")`
	ui.waitPage(confirm)
	ui.click(`#ajBODY input[type=submit][value="Update Object"]`)
	ui.waitPage(`!` + confirm + ` && document.getElementById("ajBODY").innerText.includes("Add new attribute")`)
	ui.entryIs(slapdtest.TestGroupDN, "memberUid", test.UID)
	ui.shot("group-with-member")

	seen := g.expect("/ldap-testgroup/", test.UID, test.Password, http.StatusOK)
	if got := seen.Header.Get("X-Authenticated-Groups"); got != TutorialGroup {
		t.Fatalf("X-Authenticated-Groups %q, want %q", got, TutorialGroup)
	}
	for _, p := range []string{d.UI.LogFile(), d.LDAP.LogFile()} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{test.Password, d.LDAP.RootPassword()} {
			if strings.Contains(string(b), secret) {
				t.Fatalf("%s holds a password", p)
			}
		}
	}
	t.Logf("the tutorial in the browser took %s (screenshots: %s)", time.Since(started).Round(time.Millisecond), ui.shots)
}

// browserUI drives phpLDAPadmin in one tab; every helper fails the test
// with what the page shows.
type browserUI struct {
	t     *testing.T
	ctx   context.Context
	d     *Dev
	page  *cdp.Page
	shots string
	n     int
}

func newBrowserUI(t *testing.T, d *Dev) *browserUI {
	t.Helper()
	b := cdp.LaunchT(t, cdp.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Under the test's temp dir the screenshots go with it; set
	// DEVDIR_SCREENSHOTS to keep them.
	shots := os.Getenv("DEVDIR_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browserUI{t: t, ctx: ctx, d: d, page: p, shots: shots}
}

// stepTimeout bounds each wait and action, so a stuck step fails with
// what the page shows long before the test's own deadline.
const stepTimeout = 30 * time.Second

func (u *browserUI) fail(format string, args ...any) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, err := u.page.Text(ctx)
	if err != nil {
		text = "(unreadable: " + err.Error() + ")"
	}
	u.t.Fatalf("%s\n--- the page shows ---\n%.3000s\n--- php's messages ---\n%s", fmt.Sprintf(format, args...), text, phpMessages(u.d.UI.LogFile(), 40))
}

// phpMessages returns the last lines of php's output that are not about
// a connection or a successful request.
func phpMessages(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	var keep []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasSuffix(line, " Accepted") || strings.HasSuffix(line, " Closing") ||
			strings.Contains(line, " [200]: ") || strings.Contains(line, " [302]: ") || strings.Contains(line, "Deprecated:") {
			continue
		}
		keep = append(keep, line)
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return strings.Join(keep, "\n")
}

// act runs one page action within stepTimeout, failing the test with what
// the page shows when it fails.
func (u *browserUI) act(action func(ctx context.Context) error) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, stepTimeout)
	defer cancel()
	if err := action(ctx); err != nil {
		u.fail("%v", err)
	}
}

func (u *browserUI) waitFor(condition string) {
	u.t.Helper()
	u.act(func(ctx context.Context) error { return u.page.WaitFor(ctx, condition) })
}

// waitPage waits for condition on a completely loaded page, images
// included: php serves one request at a time, so the icons of a part the
// page loaded by itself (the tree, a form) arrive after its text, and
// until they have a size things move.
func (u *browserUI) waitPage(condition string) {
	u.t.Helper()
	u.waitFor(`document.readyState === "complete" && Array.from(document.images).every(i => i.complete) && (` + condition + `)`)
}

func (u *browserUI) click(selector string) {
	u.t.Helper()
	u.act(func(ctx context.Context) error { return u.page.Click(ctx, selector) })
}

func (u *browserUI) clickText(selector, text string) {
	u.t.Helper()
	u.act(func(ctx context.Context) error { return u.page.ClickText(ctx, selector, text) })
}

func (u *browserUI) typeInto(selector, text string) {
	u.t.Helper()
	u.act(func(ctx context.Context) error { return u.page.Type(ctx, selector, text) })
}

func (u *browserUI) selectText(selector, text string) {
	u.t.Helper()
	u.act(func(ctx context.Context) error { return u.page.SelectText(ctx, selector, text) })
}

// shot saves a screenshot and fails unless it shows a rendered page.
func (u *browserUI) shot(name string) {
	u.t.Helper()
	png, err := u.page.Screenshot(u.ctx)
	if err != nil {
		u.fail("screenshot %s: %v", name, err)
	}
	u.n++
	path := filepath.Join(u.shots, fmt.Sprintf("%02d-%s.png", u.n, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		u.t.Fatal(err)
	}
	// phpLDAPadmin's pages have a logo, icons and coloured headings: far
	// more than the handful of colours of an empty or error page.
	s, err := cdp.CheckRendered(png, 32)
	if err != nil {
		u.fail("%s (%s): %v", name, path, err)
	}
	u.t.Logf("screenshot %s: %dx%d, %d colours, %.0f%% in the commonest", path, s.Width, s.Height, s.Colours, 100*s.Dominant)
}

// loginPage opens the UI and its login form, from the tree's login link.
func (u *browserUI) loginPage() {
	u.t.Helper()
	if err := u.page.Navigate(u.ctx, u.d.UI.URL()); err != nil {
		u.fail("%v", err)
	}
	u.clickText("#ajTREE a", "login")
	u.waitPage(`document.querySelector("input[name=login_pass]")`)
	u.waitFor(`document.querySelector("input[name=login]").value === ` + strconv.Quote(u.d.LDAP.RootDN()))
	u.shot("login-page")
}

// login submits the login form with password and waits for want.
func (u *browserUI) login(password, want string) {
	u.t.Helper()
	u.waitPage(`document.querySelector("input[name=login_pass]")`)
	u.typeInto("input[name=login_pass]", password)
	u.click(`input[type=submit][value=Authenticate]`)
	u.waitPage(`document.body.innerText.includes(` + strconv.Quote(want) + `)`)
}

// dnParam is how phpLDAPadmin writes a DN into its links.
func dnParam(dn string) string { return url.QueryEscape(dn) }

// expand opens a node of the tree and waits for its children.
func (u *browserUI) expand(dn string) {
	u.t.Helper()
	u.click(`#ajTREE a[onclick*="opencloseTreeNode"][onclick*="dn=` + dnParam(dn) + `&"]`)
	u.waitPage(`document.querySelector('#ajTREE a[title="Create new entry here"][href*="container=` + dnParam(dn) + `"]')`)
}

// treeShows waits until the tree lists every DN.
func (u *browserUI) treeShows(dns []string) {
	u.t.Helper()
	var titles []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := u.page.Eval(u.ctx, `Array.from(document.querySelectorAll("#ajTREE a.phplm[title]")).map(a => a.title)`, &titles); err != nil {
			u.fail("%v", err)
		}
		missing := missingDNs(dns, titles)
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			u.fail("the tree does not show %v (it shows %v)", missing, titles)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func missingDNs(want, shown []string) []string {
	var parsed []*ldap.DN
	for _, s := range shown {
		if dn, err := ldap.ParseDN(s); err == nil {
			parsed = append(parsed, dn)
		}
	}
	var missing []string
	for _, w := range want {
		dn, err := ldap.ParseDN(w)
		if err != nil || !containsDN(parsed, dn) {
			missing = append(missing, w)
		}
	}
	return missing
}

func peopleDNs(users []slapdtest.SampleUser) []string {
	people, _ := ldap.ParseDN(slapdtest.PeopleDN)
	var out []string
	for _, u := range users {
		if dn, err := ldap.ParseDN(u.DN); err == nil && people.AncestorOfFold(dn) {
			out = append(out, u.DN)
		}
	}
	if len(out) == 0 {
		panic("no sample users under " + slapdtest.PeopleDN)
	}
	return out
}

// createIn runs phpLDAPadmin's creation: "Create new entry here" under
// container, the template, fill (the form), "Create Object", "Commit".
func (u *browserUI) createIn(container, template string, fill func()) {
	u.t.Helper()
	u.click(`#ajTREE a[title="Create new entry here"][href*="container=` + dnParam(container) + `"]`)
	u.waitPage(`document.querySelector("#ajBODY input[type=radio][name=template]")`)
	u.clickText("#ajBODY label", template)
	u.waitPage(`document.querySelector("#create_button")`)
	fill()
	u.click("#create_button")
	u.waitPage(`document.querySelector("input[type=submit][value=Commit]")`)
	u.click("input[type=submit][value=Commit]")
	u.waitPage(`!document.querySelector("input[type=submit][value=Commit]") && document.body.innerText.includes("Add new attribute")`)
}

// open shows an entry's page, from its link in the tree.
func (u *browserUI) open(dn string) {
	u.t.Helper()
	u.click(`#ajTREE a.phplm[title="` + dn + `"]`)
	u.waitPage(`document.getElementById("ajBODY").innerText.includes("Add new attribute")`)
}

// values reads an attribute of an entry from the directory itself (as
// the admin, over the private socket), not from the UI.
func (u *browserUI) values(dn, name string) []string {
	u.t.Helper()
	c, err := u.d.LDAP.AdminConn()
	if err != nil {
		u.t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{name}, nil))
	if err != nil {
		u.fail("%s is not in the directory: %v", dn, err)
	}
	return res.Entries[0].GetAttributeValues(name)
}

// attr is the first value of an attribute of an entry (see values); ""
// when it has none.
func (u *browserUI) attr(dn, name string) string {
	u.t.Helper()
	if v := u.values(dn, name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// entryIs checks, in the directory, that dn has the value for name.
func (u *browserUI) entryIs(dn, name, value string) {
	u.t.Helper()
	got := u.values(dn, name)
	for _, v := range got {
		if strings.EqualFold(v, value) {
			return
		}
	}
	u.fail("%s has %s %v, want %q", dn, name, got, value)
}

func (u *browserUI) gidNumber(groupDN string) string {
	u.t.Helper()
	gid := u.attr(groupDN, "gidNumber")
	if gid == "" {
		u.fail("%s has no gidNumber", groupDN)
	}
	return gid
}
