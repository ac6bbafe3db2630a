package adtest

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// userAccountControl flags used by the sample data and the admin helpers.
const (
	uacAccountDisable = 0x0002
	uacNormalAccount  = 0x0200
)

// expiredPasswordSetAt is the pwdLastSet of the expired sample user: far
// older than the default maxPwdAge (42 days) whenever the DC runs.
var expiredPasswordSetAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// unicodePwdValue encodes a password the way AD's unicodePwd attribute
// takes it: the password in double quotes, UTF-16LE, here base64 for LDIF.
func unicodePwdValue(password string) []byte {
	units := utf16.Encode([]rune(`"` + password + `"`))
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// fileTime converts t to AD's FILETIME: 100 ns intervals since 1601-01-01 UTC.
func fileTime(t time.Time) int64 {
	const epochDiff = 11644473600 // seconds from 1601-01-01 to 1970-01-01
	return (t.Unix()+epochDiff)*10_000_000 + int64(t.Nanosecond()/100)
}

// adInterval converts d to the negative 100 ns count AD stores in policy
// attributes such as lockoutDuration.
func adInterval(d time.Duration) int64 { return -int64(d / 100) }

// policyLDIF sets the domain policy (see LockoutThreshold).
func policyLDIF() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dn: %s\nchangetype: modify\n", BaseDN)
	for _, kv := range [][2]string{
		{"pwdProperties", "0"}, // complexity off
		{"minPwdAge", "0"},
		{"lockoutThreshold", fmt.Sprint(LockoutThreshold)},
		{"lockoutDuration", fmt.Sprint(adInterval(LockoutDuration))},
		{"lockOutObservationWindow", fmt.Sprint(adInterval(LockoutObservationWindow))},
	} {
		fmt.Fprintf(&b, "replace: %s\n%s: %s\n-\n", kv[0], kv[0], kv[1])
	}
	return b.String() + "\n"
}

// sampleLDIF adds the OUs, users and groups of the sample data (ldbmodify
// syntax; samba's own modules hash the passwords and maintain memberOf).
func sampleLDIF() string {
	var b strings.Builder
	for _, ou := range []string{PeopleDN, GroupsDN, PartnersDN} {
		name := strings.TrimPrefix(strings.SplitN(ou, ",", 2)[0], "OU=")
		fmt.Fprintf(&b, "dn: %s\nchangetype: add\nobjectClass: organizationalUnit\nou: %s\n\n", ou, name)
	}
	for _, u := range sampleUsers {
		b.WriteString(userLDIF(u))
	}
	for _, g := range sampleGroups {
		fmt.Fprintf(&b, "dn: %s\nchangetype: add\nobjectClass: group\nsAMAccountName: %s\n", g.DN, g.SAMAccountName)
		for _, m := range g.Members {
			fmt.Fprintf(&b, "member: %s\n", m)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func userLDIF(u SampleUser) string {
	uac := uacNormalAccount
	if u.Key == KeyDisabled {
		uac |= uacAccountDisable
	}
	var b strings.Builder
	fmt.Fprintf(&b, "dn: %s\nchangetype: add\nobjectClass: user\ncn: %s\nsAMAccountName: %s\nuserPrincipalName: %s\n",
		u.DN, u.CN, u.SAMAccountName, u.UPN)
	fmt.Fprintf(&b, "unicodePwd:: %s\nuserAccountControl: %d\n", base64.StdEncoding.EncodeToString(unicodePwdValue(u.Password)), uac)
	if u.Key == KeyMustChange {
		b.WriteString("pwdLastSet: 0\n")
	}
	b.WriteString("\n")
	return b.String()
}

// expiredLDIF back-dates the expired user's pwdLastSet. Samba accepts a
// pwdLastSet other than 0 or -1 only together with a password and its
// internal "bypass last set" control, which ldbmodify can send offline but
// the LDAP server drops, so this runs before samba starts.
func expiredLDIF() string {
	u, _ := SampleUserByKey(KeyExpired)
	return fmt.Sprintf("dn: %s\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: %s\n-\nreplace: pwdLastSet\npwdLastSet: %d\n-\n\n",
		u.DN, base64.StdEncoding.EncodeToString(unicodePwdValue(u.Password)), fileTime(expiredPasswordSetAt))
}

// bypassLastSetControl is DSDB_CONTROL_PASSWORD_BYPASS_LAST_SET_OID of
// Samba's source4/dsdb/samdb/samdb.h, in ldb's generic control syntax.
const bypassLastSetControl = "local_oid:1.3.6.1.4.1.7165.4.3.20:0"
