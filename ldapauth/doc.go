// Package ldapauth decides, for one API, whether a request's HTTP Basic
// credentials let its user in. The request path, top to bottom:
//
//  1. Registry.Lookup finds the API's Gate (built once per configuration by ParseConfig and NewGate);
//  2. Gate.Check parses Authorization (BasicFromRequest) and answers from the decision cache, keyed by HMAC;
//  3. on a miss, identical checks merge into one, the brute-force guard reserves an attempt for the account;
//  4. directory.Authenticate binds as the user (direct DN, or search then bind) and reads the entry and groups;
//  5. the access rules pass or deny, and newGrant builds the Tyk session's contents and the upstream headers.
//
// The gateway binding (package plugin) turns the Result into a response or a
// session. Lower packages never import this one: directory speaks LDAP,
// state remembers (cache, failure counts, Redis), secret resolves env:// and
// file:// values.
package ldapauth
