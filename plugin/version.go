package main

import (
	"sync"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/version"
)

var announceOnce sync.Once

// announceBuild logs which build serves, once per gateway process, when the
// plugin admits its first API. Not in init: loading the plugin must do no
// I/O, and a line at load time would also repeat for every load test.
func announceBuild() {
	announceOnce.Do(func() {
		info := version.Get()
		tykLogger.WithFields(map[string]any{
			"version":  info.Version,
			"build_id": info.BuildID,
			"gateway":  info.Gateway,
			"go":       info.Go,
		}).Info(info.String())
	})
}
