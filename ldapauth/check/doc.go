// Package check runs one API's LDAP configuration against the real
// directory, once, and explains every step: how the gateway reads the API
// definition, the configuration check, each server dialled, the TLS
// certificates presented, the service bind, the searches, the user bind,
// the identity, the groups, the access rules, the session the gateway
// would create, and the HTTP status the gateway would answer with.
//
// The decision comes from the gateway's own code: the configuration is
// validated by ldapauth.ParseConfig and a real ldapauth.Gate decides a
// synthetic request carrying the credentials, with a directory.Trace
// attached to its directory client. What this package adds is reading the
// API definition (classic or Tyk OAS) without Tyk's packages, and advice
// an operator can act on for each failed step.
//
// Reports never contain the password checked, the bind password, the
// session key secret or the Authorization header.
package check
