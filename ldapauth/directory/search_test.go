package directory

import (
	"testing"

	ldap "github.com/go-ldap/ldap/v3"
)

// pickOwnEntry decides which account a userPrincipalName or down-level
// bind reached: the explicit userPrincipalName match, else the only entry
// found; anything ambiguous is nobody.
func TestPickOwnEntry(t *testing.T) {
	const bindName = "alice@corp.example.org"
	explicit := entryWith("CN=Alice,OU=Users,DC=corp", "userPrincipalName", "Alice@Corp.Example.Org")
	implicit := entryWith("CN=alice2,OU=Users,DC=corp", "sAMAccountName", "alice") // implicit UPN: sAMAccountName@domain
	other := entryWith("CN=Other,OU=Users,DC=corp", "userPrincipalName", "other@corp.example.org")
	twin := entryWith("CN=Alice Twin,OU=Users,DC=corp", "userPrincipalName", "alice@corp.example.org")
	tests := []struct {
		name    string
		entries []*ldap.Entry
		want    *ldap.Entry
	}{
		{"none", nil, nil},
		{"explicit UPN (case-insensitive)", []*ldap.Entry{explicit}, explicit},
		{"only the implicit match", []*ldap.Entry{implicit}, implicit},
		{"explicit wins over implicit", []*ldap.Entry{implicit, explicit}, explicit},
		{"explicit wins, listed first", []*ldap.Entry{explicit, implicit}, explicit},
		{"two explicit matches", []*ldap.Entry{explicit, twin}, nil},
		{"two entries, no explicit match", []*ldap.Entry{implicit, other}, nil},
		{"one entry with another UPN", []*ldap.Entry{other}, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pickOwnEntry(tt.entries, bindName); got != tt.want {
				t.Fatalf("picked %v, want %v", dnOf(got), dnOf(tt.want))
			}
		})
	}
}

func dnOf(e *ldap.Entry) string {
	if e == nil {
		return "<nobody>"
	}
	return e.DN
}
