// Package adtest runs a real Active Directory domain controller (Samba 4
// AD DC) for tests: the domain CORP.EXAMPLE.ORG with sample users, nested
// groups, a lockout policy and accounts in every state a bind can fail on
// (disabled, password expired, must change password, locked out).
//
// Samba's LDAP ports are fixed (389, 636), so only one DC runs per
// machine: Start takes a machine-wide lock, and a test binary shares one
// DC between its tests (Shared, stopped by Main in TestMain). Each DC is a
// copy of a domain provisioned once per machine (the template), with fresh
// TLS material; samba runs in the foreground with only its LDAP service
// and dies with the test binary.
//
// The admin helpers (AddUser, SetPassword, Unlock, BadPwdCount, ...) work
// online over LDAPS as Administrator.
//
// It needs the Debian packages samba-ad-dc, samba-ad-provision and
// ldb-tools, root (or CAP_NET_BIND_SERVICE) for the ports, and runs on
// Linux. See README.md for the facts its tests establish.
package adtest
