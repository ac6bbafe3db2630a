package ldapauth

import (
	"reflect"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/directory"
)

type (
	Identity = directory.Identity
	Group    = directory.Group
)

func identityWithGroups(user string, groups ...Group) *Identity {
	dn := "uid=" + user + ",ou=people,dc=example,dc=org"
	return &Identity{Username: user, DN: dn, ID: "dn:" + directory.NormalizeDN(dn), Groups: groups}
}

var (
	devs   = Group{Name: "developers", DN: "cn=developers,ou=groups,dc=example,dc=org"}
	admins = Group{Name: "admins", DN: "cn=admins,ou=groups,dc=example,dc=org"}
)

func TestAccessRules(t *testing.T) {
	tests := []struct {
		name   string
		groups []string
		users  []string
		id     *Identity
		want   bool
	}{
		{"no rules", nil, nil, identityWithGroups("carol"), true},
		{"group by name", []string{"developers"}, nil, identityWithGroups("alice", devs), true},
		{"group name case-insensitive", []string{"Developers"}, nil, identityWithGroups("alice", devs), true},
		{"group by DN", []string{"cn=developers,ou=groups,dc=example,dc=org"}, nil, identityWithGroups("alice", devs), true},
		{"group DN normalised", []string{"CN=Developers, OU=Groups,DC=Example,DC=Org"}, nil, identityWithGroups("alice", devs), true},
		{"not in group", []string{"admins"}, nil, identityWithGroups("alice", devs), false},
		{"no groups at all", []string{"admins"}, nil, identityWithGroups("carol"), false},
		{"any of several", []string{"admins", "developers"}, nil, identityWithGroups("alice", devs), true},
		{"allowed user", nil, []string{"carol"}, identityWithGroups("carol"), true},
		{"allowed user case-insensitive", nil, []string{"Carol"}, identityWithGroups("carol"), true},
		{"user not allowed", nil, []string{"bob"}, identityWithGroups("carol"), false},
		{"user or group", []string{"admins"}, []string{"carol"}, identityWithGroups("carol"), true},
		{"DN rule does not match a same-named group elsewhere", []string{"cn=admins,ou=groups,dc=example,dc=org"}, nil,
			identityWithGroups("eve", Group{Name: "admins", DN: "cn=admins,ou=evil,dc=example,dc=org"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := newAccessRules(&Config{RequiredGroups: tt.groups, AllowedUsers: tt.users})
			if got := rules.allows(tt.id); got != tt.want {
				t.Fatalf("allows = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPolicyMapping(t *testing.T) {
	cfg := &Config{
		Policies: []string{"ldap-users"},
		GroupPolicies: map[string][]string{
			"developers":                            {"ldap-devs", "ldap-users"},
			"cn=admins,ou=groups,dc=example,dc=org": {"ldap-admins"},
			"auditors":                              {"ldap-audit"},
		},
	}
	m := newPolicyMapper(cfg)
	tests := []struct {
		name string
		id   *Identity
		want []string
	}{
		{"no groups", identityWithGroups("carol"), []string{"ldap-users"}},
		{"developer", identityWithGroups("alice", devs), []string{"ldap-users", "ldap-devs"}},
		{"admin by DN", identityWithGroups("bob", admins), []string{"ldap-users", "ldap-admins"}},
		// Stable order: group_policies keys sorted ("cn=admins..." < "developers").
		{"both, stable order", identityWithGroups("dave", devs, admins), []string{"ldap-users", "ldap-admins", "ldap-devs"}},
		{"both, other group order", identityWithGroups("dave", admins, devs), []string{"ldap-users", "ldap-admins", "ldap-devs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.policiesFor(tt.id); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("policies = %v, want %v", got, tt.want)
			}
		})
	}
}
