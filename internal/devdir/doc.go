// Package devdir runs a directory to develop against, without Docker: the
// sample OpenLDAP directory (internal/slapdtest, TLS on) and Debian's
// phpLDAPadmin on PHP's built-in web server, both on loopback, configured
// in temporary directories and removed when they stop.
//
// phpLDAPadmin is run from the installed package (/usr/share/phpldapadmin)
// with a generated configuration; nothing under /etc or /usr is changed.
// It talks to slapd over StartTLS and verifies the server certificate with
// the directory's own CA.
//
// The command is cmd/devdir (./build.sh devdir). GatewayAPIs gives the API
// definitions the demo gateway serves against the same directory, so a
// user created in the UI can be tried through the plugin at once.
package devdir
