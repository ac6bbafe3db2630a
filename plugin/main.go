// Package main is the tyk-ldap-auth plugin that Tyk loads: it exports
// LDAPAuth, the function an API names in custom_middleware.auth_check. All
// decisions are made by package ldapauth; this package only translates
// between Tyk's request context and session types and ldapauth.
//
// Build it with the gateway's own toolchain and source (see build.sh):
//
//	go build -buildmode=plugin -trimpath -tags=goplugin ./plugin
package main

import (
	"log/slog"
	"net/http"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
)

// registry holds one ldapauth.Gate per API. Creating it does no I/O: Tyk
// runs a plugin's initialisation once at load time, with no API config, and
// a failure there would break every later load of the file.
var registry = ldapauth.NewRegistry(ldapauth.RegistryOptions{
	Logger:       slog.New(&gatewayHandler{}),
	GatewayRedis: gatewayRedis,
})

// LDAPAuth authenticates the request's HTTP Basic credentials against the
// API's LDAP directory. On success it writes nothing, sets the Tyk session
// for the user and prepares the request for the upstream; otherwise it
// answers 401, 403, 429, 500 or 503 itself, which ends the request.
func LDAPAuth(w http.ResponseWriter, r *http.Request) {
	defer recoverRequest(w)

	def, ambiguous := apiDefinition(r)
	if def == nil {
		logMissingDefinition(ambiguous)
		ldapauth.WriteMisconfigured(w)
		return
	}
	gate, found, err := registry.Lookup(def)
	if !found {
		announceBuild()
		gate, err = registry.Admit(def, apiSource(def))
	}
	if err != nil {
		ldapauth.WriteMisconfigured(w)
		return
	}
	res := gate.Check(r)
	if res.Outcome != ldapauth.OutcomeGranted {
		gate.WriteDenial(w, res)
		return
	}
	gate.Forward(r, res.Grant)
	setSession(r, gate, res)
}

// recoverRequest turns a panic into a 500. Since Tyk 5.12 a panic in a
// plugin drops the client's connection instead of answering, so the plugin
// must never let one escape.
func recoverRequest(w http.ResponseWriter) {
	if v := recover(); v != nil {
		logPanic(v)
		ldapauth.WriteMisconfigured(w)
	}
}

func main() {}
