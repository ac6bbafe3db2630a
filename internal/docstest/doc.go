// Package docstest keeps README.md honest: it runs every shell block of the
// README that is meant to be run (against a real sample directory where a
// block needs one), checks that each other block says why it is not run,
// parses every JSON block the way the gateway and the plugin read it, and
// checks that the README's first two commands stay the main job and the
// test command CI runs.
//
// A block is marked by an HTML comment on the line before it:
//
//	<!-- readme-test: skip: REASON -->          not run, for the reason given
//	<!-- readme-test: ldap: ...; stdin: TEXT --> run with LDAP_URL, LDAPS_URL and
//	                                             LDAP_CA_FILE of a sample slapd,
//	                                             TEXT on standard input
//
// An unmarked sh block is run as it is.
package docstest
