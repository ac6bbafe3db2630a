package adtest

import "time"

// The domain every DC provisions.
const (
	// Realm is the Kerberos realm; users bind as name@corp.example.org.
	Realm = "CORP.EXAMPLE.ORG"
	// DNSDomain is the realm in lower case, the suffix of every UPN.
	DNSDomain = "corp.example.org"
	// Domain is the NetBIOS domain name: users bind as CORP\name.
	Domain = "CORP"
	// BaseDN is the domain's naming context.
	BaseDN = "DC=corp,DC=example,DC=org"
	// HostName is the DC's NetBIOS name; its DNS name is DCHostName.
	HostName   = "DC1"
	DCHostName = "dc1.corp.example.org"

	// AdminDN is the domain's built-in Administrator (password: DC.AdminPassword).
	AdminDN = "CN=Administrator,CN=Users," + BaseDN
	// AdminUser is its sAMAccountName.
	AdminUser = "Administrator"

	// Organizational units of the sample data. Users live in PeopleDN
	// (one in PartnersDN); CN=Users holds only the built-in accounts.
	PeopleDN   = "OU=People," + BaseDN
	GroupsDN   = "OU=Groups," + BaseDN
	PartnersDN = "OU=Partners," + BaseDN

	// EngineersDN is a global security group; StaffDN has EngineersDN as
	// its only member, so alice is in staff only through nesting.
	EngineersDN = "CN=engineers," + GroupsDN
	StaffDN     = "CN=staff," + GroupsDN
	// AdminsDN and PartnerAdminsDN are two groups with the same cn
	// ("admins") in different OUs; their sAMAccountNames must differ
	// (admins and partner-admins), as AD requires.
	AdminsDN        = "CN=admins," + GroupsDN
	PartnerAdminsDN = "CN=admins," + PartnersDN
)

// The domain's password and lockout policy (set on the domain object, as
// samba-tool domain passwordsettings set --complexity=off --min-pwd-age=0
// --account-lockout-threshold=5 --account-lockout-duration=10
// --reset-account-lockout-after=10 would). Ten minutes outlasts any test:
// a lockout or a bad-password count never expires in the middle of one, and
// tests undo them with Unlock or ResetLockoutState.
const (
	LockoutThreshold         = 5
	LockoutDuration          = 10 * time.Minute
	LockoutObservationWindow = 10 * time.Minute
)

// SampleUser is one account of the sample data.
type SampleUser struct {
	// Key is unique and shell-friendly (e.g. "ALICE"), for SampleUserByKey.
	Key string
	// SAMAccountName is the pre-Windows 2000 logon name (CORP\name).
	SAMAccountName string
	// UPN is the userPrincipalName (name@corp.example.org).
	UPN string
	// DN is built from the cn (the full name), not from the logon name, as
	// in most real directories.
	DN       string
	CN       string
	Password string
	// MemberOf lists the groups the account is a direct member of (what
	// AD returns in memberOf).
	MemberOf []string
	// NestedGroups lists the groups the account belongs to only through
	// nesting (what the in-chain matching rule adds).
	NestedGroups []string
	// Note says why the account exists.
	Note string
}

// BindNames are the three names a simple bind accepts for u: the UPN,
// DOMAIN\sAMAccountName and the DN.
func (u SampleUser) BindNames() []string {
	return []string{u.UPN, Domain + `\` + u.SAMAccountName, u.DN}
}

// SampleGroup is one group of the sample data.
type SampleGroup struct {
	Key            string
	SAMAccountName string
	DN             string
	// Members are the DNs of the direct members (users or groups).
	Members []string
	Note    string
}

// Keys of the sample users.
const (
	KeyAlice      = "ALICE"
	KeyBob        = "BOB"
	KeyJDoe       = "JDOE"
	KeyPat        = "PAT"
	KeyDisabled   = "DISABLED"
	KeyExpired    = "EXPIRED"
	KeyMustChange = "MUSTCHANGE"
	KeyLockout    = "LOCKOUT"
)

// sampleUsers is loaded into every DC (see sampleLDIF).
var sampleUsers = []SampleUser{
	{Key: KeyAlice, SAMAccountName: "alice", UPN: "alice@" + DNSDomain, CN: "Alice Archer",
		DN: "CN=Alice Archer," + PeopleDN, Password: "Alice-Pass-1",
		MemberOf: []string{EngineersDN}, NestedGroups: []string{StaffDN},
		Note: "engineers; staff only through nesting"},
	{Key: KeyBob, SAMAccountName: "bob", UPN: "bob@" + DNSDomain, CN: "Bob Baker",
		DN: "CN=Bob Baker," + PeopleDN, Password: "Bob-Pass-1",
		Note: "in no group"},
	{Key: KeyJDoe, SAMAccountName: "jdoe", UPN: "john.doe@" + DNSDomain, CN: "John Doe",
		DN: "CN=John Doe," + PeopleDN, Password: "John-Doe-Pass-1",
		MemberOf: []string{AdminsDN},
		Note:     "userPrincipalName prefix (john.doe) differs from sAMAccountName (jdoe); admins in OU=Groups"},
	{Key: KeyPat, SAMAccountName: "pat", UPN: "pat@" + DNSDomain, CN: "Pat Partner",
		DN: "CN=Pat Partner," + PartnersDN, Password: "Pat-Pass-1",
		MemberOf: []string{PartnerAdminsDN},
		Note:     "in OU=Partners; member of the other group named admins"},
	{Key: KeyDisabled, SAMAccountName: "disabled.user", UPN: "disabled.user@" + DNSDomain, CN: "Disabled User",
		DN: "CN=Disabled User," + PeopleDN, Password: "Disabled-Pass-1",
		Note: "userAccountControl ACCOUNTDISABLE: bind fails with data 533"},
	{Key: KeyExpired, SAMAccountName: "expired.user", UPN: "expired.user@" + DNSDomain, CN: "Expired User",
		DN: "CN=Expired User," + PeopleDN, Password: "Expired-Pass-1",
		Note: "pwdLastSet in 2020, older than maxPwdAge (42 days): bind fails with data 532"},
	{Key: KeyMustChange, SAMAccountName: "mustchange.user", UPN: "mustchange.user@" + DNSDomain, CN: "MustChange User",
		DN: "CN=MustChange User," + PeopleDN, Password: "MustChange-Pass-1",
		Note: "pwdLastSet 0 (must change at next logon): bind fails with data 773"},
	{Key: KeyLockout, SAMAccountName: "lockout.user", UPN: "lockout.user@" + DNSDomain, CN: "Lockout User",
		DN: "CN=Lockout User," + PeopleDN, Password: "Lockout-Pass-1",
		Note: "for lockout tests: locked (data 775) after 5 wrong passwords; ResetLockoutState undoes it"},
}

// sampleGroups is loaded into every DC, in this order (a group's members
// exist before it).
var sampleGroups = []SampleGroup{
	{Key: "ENGINEERS", SAMAccountName: "engineers", DN: EngineersDN,
		Members: []string{"CN=Alice Archer," + PeopleDN}, Note: "alice"},
	{Key: "STAFF", SAMAccountName: "staff", DN: StaffDN,
		Members: []string{EngineersDN}, Note: "the engineers group (nesting)"},
	{Key: "ADMINS", SAMAccountName: "admins", DN: AdminsDN,
		Members: []string{"CN=John Doe," + PeopleDN}, Note: "jdoe"},
	{Key: "PARTNER_ADMINS", SAMAccountName: "partner-admins", DN: PartnerAdminsDN,
		Members: []string{"CN=Pat Partner," + PartnersDN}, Note: "pat; same cn as ADMINS, other OU"},
}

// SampleUsers returns the accounts of the sample data (a fresh copy).
func SampleUsers() []SampleUser {
	out := make([]SampleUser, len(sampleUsers))
	for i, u := range sampleUsers {
		u.MemberOf = append([]string(nil), u.MemberOf...)
		u.NestedGroups = append([]string(nil), u.NestedGroups...)
		out[i] = u
	}
	return out
}

// SampleUserByKey returns the sample user with the given Key (e.g. KeyAlice).
func SampleUserByKey(key string) (SampleUser, bool) {
	for _, u := range SampleUsers() {
		if u.Key == key {
			return u, true
		}
	}
	return SampleUser{}, false
}

// SampleGroups returns the groups of the sample data (a fresh copy).
func SampleGroups() []SampleGroup {
	out := make([]SampleGroup, len(sampleGroups))
	for i, g := range sampleGroups {
		g.Members = append([]string(nil), g.Members...)
		out[i] = g
	}
	return out
}
