package slapdtest

// DNs of the sample directory in testdata/ldap.
const (
	BaseDN        = "dc=example,dc=org"
	PeopleDN      = "ou=people," + BaseDN
	GroupsDN      = "ou=groups," + BaseDN
	ServicesDN    = "ou=services," + BaseDN
	ContractorsDN = "ou=contractors," + BaseDN

	// ServiceAccountDN may read everything under BaseDN except userPassword.
	ServiceAccountDN       = "cn=ldap-reader," + ServicesDN
	ServiceAccountPassword = "reader-pass-1"

	// TestGroupDN is a posixGroup: its members are uids in memberUid.
	TestGroupDN = "cn=testgroup," + GroupsDN
	// DevelopersDN and AdminsDN are groupOfNames (member); the memberof
	// overlay writes them into their members' memberOf.
	DevelopersDN = "cn=developers," + GroupsDN
	AdminsDN     = "cn=admins," + GroupsDN
	// EngineeringDN is a groupOfNames whose only member is DevelopersDN.
	EngineeringDN = "cn=engineering," + GroupsDN
	// AuditorsDN is a groupOfUniqueNames (uniqueMember); not in memberOf.
	AuditorsDN = "cn=auditors," + GroupsDN
)

// SampleUser describes one person entry of the sample directory.
type SampleUser struct {
	// Key is unique and shell-friendly (upper case letters and _), used by
	// devldap for variable names and by SampleUserByKey.
	Key      string
	UID      string
	DN       string
	Password string
	CN       string
	Mail     string
	// MemberOf lists the memberOf values slapd maintains (direct
	// groupOfNames memberships only).
	MemberOf []string
	// Note says why the entry exists.
	Note string
}

// sampleUsers must match testdata/ldap; TestSampleDirectoryMatchesLDIF
// proves it against a running server.
var sampleUsers = []SampleUser{
	{Key: "TEST", UID: "test", DN: "uid=test," + PeopleDN, Password: "test123", CN: "Test User", Mail: "test@example.org",
		Note: "user of Tyk's LDAP tutorials; memberUid of posixGroup testgroup (gidNumber 5000)"},
	{Key: "ALICE", UID: "alice", DN: "uid=alice," + PeopleDN, Password: "alice-pass-1", CN: "Alice Archer", Mail: "alice@example.org",
		MemberOf: []string{DevelopersDN}, Note: "developers; engineering only through nesting"},
	{Key: "BOB", UID: "bob", DN: "uid=bob," + PeopleDN, Password: "bob-pass-1", CN: "Bob Baker", Mail: "bob@example.org",
		MemberOf: []string{AdminsDN}, Note: "admins; uniqueMember of auditors"},
	{Key: "CAROL", UID: "carol", DN: "uid=carol," + PeopleDN, Password: "carol-pass-1", CN: "Carol Cooper", Mail: "carol@example.org",
		Note: "in no group"},
	{Key: "OBRIEN", UID: "o'brien", DN: "uid=o'brien," + PeopleDN, Password: "obrien-pass-1", CN: "Conor O'Brien", Mail: "obrien@example.org",
		MemberOf: []string{DevelopersDN}, Note: "apostrophe in uid and cn; developers"},
	{Key: "JSMITH", UID: "jsmith", DN: `cn=Smith\, John,` + PeopleDN, Password: "jsmith-pass-1", CN: "Smith, John", Mail: "jsmith@example.org",
		MemberOf: []string{AdminsDN}, Note: "comma in cn, which is the RDN (escaped in the DN); admins"},
	{Key: "TWIN", UID: "twin", DN: "uid=twin," + PeopleDN, Password: "twin-pass-1", CN: "Twin Employee", Mail: "twin@example.org",
		Note: "uid twin also exists in ou=contractors: a subtree search finds two entries"},
	{Key: "TWIN_CONTRACTOR", UID: "twin", DN: "uid=twin," + ContractorsDN, Password: "twin-pass-2", CN: "Twin Contractor", Mail: "twin.contractor@example.org",
		Note: "the second twin"},
	{Key: "DAVE", UID: "dave", DN: "uid=dave," + PeopleDN, Password: "dave:pass word", CN: "Dave Dalton", Mail: "dave@example.org",
		Note: "password holds a colon and a space (HTTP Basic parsing)"},
}

// SampleUsers returns the people of the sample directory (a fresh copy).
func SampleUsers() []SampleUser {
	out := make([]SampleUser, len(sampleUsers))
	for i, u := range sampleUsers {
		u.MemberOf = append([]string(nil), u.MemberOf...)
		out[i] = u
	}
	return out
}

// SampleUserByKey returns the sample user with the given Key (e.g. "ALICE").
func SampleUserByKey(key string) (SampleUser, bool) {
	for _, u := range SampleUsers() {
		if u.Key == key {
			return u, true
		}
	}
	return SampleUser{}, false
}
