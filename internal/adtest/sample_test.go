package adtest

import (
	"slices"
	"strings"
	"testing"
)

// The documented memberships follow from the groups' members: MemberOf
// is the direct groups, NestedGroups the rest of the transitive closure.
func TestSampleMembershipsConsistent(t *testing.T) {
	groupsOf := func(dn string) []string {
		var out []string
		for _, g := range sampleGroups {
			if slices.Contains(g.Members, dn) {
				out = append(out, g.DN)
			}
		}
		return out
	}
	for _, u := range SampleUsers() {
		direct := groupsOf(u.DN)
		if !sameDNs(direct, u.MemberOf) {
			t.Errorf("%s: groups list it in %q, MemberOf says %q", u.Key, direct, u.MemberOf)
		}
		seen := map[string]bool{}
		queue := append([]string(nil), direct...)
		var nested []string
		for len(queue) > 0 {
			g := queue[0]
			queue = queue[1:]
			if seen[g] {
				continue
			}
			seen[g] = true
			if !slices.Contains(direct, g) {
				nested = append(nested, g)
			}
			queue = append(queue, groupsOf(g)...)
		}
		if !sameDNs(nested, u.NestedGroups) {
			t.Errorf("%s: nesting gives %q, NestedGroups says %q", u.Key, nested, u.NestedGroups)
		}
	}
}

func TestSampleDataShape(t *testing.T) {
	keys, sams := map[string]bool{}, map[string]bool{}
	for _, u := range SampleUsers() {
		if keys[u.Key] || sams[strings.ToLower(u.SAMAccountName)] {
			t.Errorf("duplicate key or sAMAccountName: %s %s", u.Key, u.SAMAccountName)
		}
		keys[u.Key], sams[strings.ToLower(u.SAMAccountName)] = true, true
		if len(u.SAMAccountName) > 20 {
			t.Errorf("%s: sAMAccountName longer than AD's 20 characters", u.Key)
		}
		if !strings.HasSuffix(u.UPN, "@"+DNSDomain) || !strings.HasPrefix(u.DN, "CN="+u.CN+",OU=") {
			t.Errorf("%s: UPN %q or DN %q malformed", u.Key, u.UPN, u.DN)
		}
		if got := u.BindNames(); len(got) != 3 || got[1] != Domain+`\`+u.SAMAccountName {
			t.Errorf("%s: BindNames %q", u.Key, got)
		}
	}
	// Samba refuses a UPN prefix that is another account's logon name.
	for _, u := range SampleUsers() {
		prefix := strings.ToLower(strings.TrimSuffix(u.UPN, "@"+DNSDomain))
		if prefix != strings.ToLower(u.SAMAccountName) && sams[prefix] {
			t.Errorf("%s: UPN prefix %q is another account's sAMAccountName", u.Key, prefix)
		}
	}
	jdoe, ok := SampleUserByKey(KeyJDoe)
	if !ok || strings.HasPrefix(jdoe.UPN, jdoe.SAMAccountName+"@") {
		t.Fatal("the sample needs a user whose UPN prefix differs from its sAMAccountName")
	}
	if _, ok := SampleUserByKey("NOBODY"); ok {
		t.Fatal("SampleUserByKey found an unknown key")
	}
	// Callers get copies.
	a := SampleUsers()
	a[0].MemberOf[0] = "changed"
	if SampleUsers()[0].MemberOf[0] == "changed" {
		t.Fatal("SampleUsers shares its slices")
	}
	g := SampleGroups()
	g[0].Members[0] = "changed"
	if SampleGroups()[0].Members[0] == "changed" {
		t.Fatal("SampleGroups shares its slices")
	}
}
