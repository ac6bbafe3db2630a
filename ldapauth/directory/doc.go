// Package directory answers one question: who is this user, according to
// the LDAP directory? It checks a username and password against one or more
// LDAP servers (OpenLDAP, Active Directory, or anything that speaks LDAPv3)
// and returns the user's Identity: the entry that bound, its canonical
// username, a stable unique ID, requested attributes and groups.
//
// Two strategies find the account to bind as: direct bind builds the bind
// name from a template (a DN, an Active Directory userPrincipalName or a
// down-level DOMAIN\user name), and search-then-bind finds the user's entry
// with a service account first. Either way a BindGuard supplied by the
// caller is consulted right before the password is sent, so the caller can
// bound password attempts per account however many requests arrive at once.
//
// Connections are pooled per server and purpose (service-account searches
// and user binds never share a connection), every operation is bounded by
// a timeout, servers fail over in order with backoff, and every failure is
// an *Error whose Kind says whether the credentials were wrong, the
// directory could not be reached, the pool was saturated, or the
// configuration is wrong. The package imports nothing from the gateway.
package directory
