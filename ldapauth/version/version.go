// Package version says which build of tyk-ldap-auth is running. A release
// build stamps the three variables with the linker (-ldflags -X), so the
// same numbers appear in the gateway log, in ldapauth-check -version and in
// the release's file names; an unstamped build says "dev".
package version

import (
	"fmt"
	"runtime"
)

// Stamped at build time:
//
//	-X <module>/ldapauth/version.Version=v0.1.0
//	-X <module>/ldapauth/version.BuildID=20261207031500-1a2b3c4d
//	-X <module>/ldapauth/version.Gateway=v5.14.0
var (
	// Version is the release of tyk-ldap-auth (CHANGELOG.md's newest entry).
	Version = "dev"
	// BuildID tells two builds of one release apart; it is also part of the
	// .so's file and module name, so a gateway can load a new build beside
	// one it already holds.
	BuildID = ""
	// Gateway is the Tyk release the .so was compiled against ("" for the
	// check command, which runs outside the gateway).
	Gateway = ""
)

// Info is the build's identity as one value.
type Info struct {
	Version string `json:"version"`
	BuildID string `json:"build_id,omitempty"`
	Gateway string `json:"gateway,omitempty"`
	Go      string `json:"go"`
}

// Get returns the stamped values and the Go release that compiled them.
func Get() Info {
	return Info{Version: Version, BuildID: BuildID, Gateway: Gateway, Go: runtime.Version()}
}

// String is the one-line form: "tyk-ldap-auth v0.1.0 (build B, for Tyk
// v5.14.0, go1.25.4)"; parts that were not stamped are left out.
func (i Info) String() string {
	s := "tyk-ldap-auth " + i.Version + " ("
	if i.BuildID != "" {
		s += "build " + i.BuildID + ", "
	}
	if i.Gateway != "" {
		s += "for Tyk " + i.Gateway + ", "
	}
	return s + i.Go + ")"
}

// LDFlags returns the -ldflags value that stamps info into a binary whose
// module path is module (a release build renames the module per build id).
func LDFlags(module string, i Info) string {
	pkg := module + "/ldapauth/version"
	flags := fmt.Sprintf("-X %s.Version=%s", pkg, i.Version)
	if i.BuildID != "" {
		flags += fmt.Sprintf(" -X %s.BuildID=%s", pkg, i.BuildID)
	}
	if i.Gateway != "" {
		flags += fmt.Sprintf(" -X %s.Gateway=%s", pkg, i.Gateway)
	}
	return flags
}
