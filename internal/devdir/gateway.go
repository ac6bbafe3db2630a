package devdir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// GatewayAPI is a classic Tyk API definition, as JSON-ready data, for a
// gateway (the demo's contract host) in front of the development directory.
type GatewayAPI struct {
	// File is the name WriteGatewayAPIs gives it.
	File string
	// ListenPath is where the gateway serves it.
	ListenPath string
	// Summary says who gets in.
	Summary    string
	Definition map[string]any
}

// TutorialGroup is the group the testgroup API requires.
const TutorialGroup = "testgroup"

// GatewayAPIs are the APIs that take users made in the UI: search then
// bind with the service account under ou=people (so any entry with a uid
// there can log in, whatever its RDN: the UI's user form names entries by
// cn), over StartTLS verified with the directory's CA, with no cache, so
// every change made in the UI counts from the next request on.
//
//   - /ldap-ui/: every user under ou=people with a password;
//   - /ldap-testgroup/: only members of a group named testgroup under
//     ou=groups (a posixGroup's memberUid, or a member/uniqueMember).
//
// pluginPath is the auth_check path (a gateway or the contract host's
// -plugin flag may replace it).
func GatewayAPIs(ldap *slapdtest.Server, upstream, pluginPath string) []GatewayAPI {
	base := func() map[string]any {
		return map[string]any{
			"urls":            []string{ldap.StartTLSURL()},
			"start_tls":       true,
			"tls_ca_file":     ldap.CAFile(),
			"dial_timeout":    "1s",
			"request_timeout": "2s",
			"search_base_dn":  slapdtest.PeopleDN,
			"bind_dn":         slapdtest.ServiceAccountDN,
			// The sample directory's published service-account password.
			"bind_password": slapdtest.ServiceAccountPassword,
			"realm":         "LDAP development directory",
			"cache_ttl":     "0",
		}
	}
	group := base()
	group["group_base_dn"] = slapdtest.GroupsDN
	group["required_groups"] = []string{TutorialGroup}
	group["groups_header"] = "X-Authenticated-Groups"
	return []GatewayAPI{
		{File: "ldap-ui.json", ListenPath: "/ldap-ui/", Summary: "any user under " + slapdtest.PeopleDN,
			Definition: classicAPI("ldap-ui", "/ldap-ui/", upstream, pluginPath, base())},
		{File: "ldap-testgroup.json", ListenPath: "/ldap-testgroup/", Summary: "members of the group " + TutorialGroup + " only",
			Definition: classicAPI("ldap-testgroup", "/ldap-testgroup/", upstream, pluginPath, group)},
	}
}

// classicAPI is a keyed (not keyless) classic definition whose only
// authentication is the Go plugin's LDAPAuth, with Tyk's own
// strip_auth_data on.
func classicAPI(id, listenPath, upstream, pluginPath string, config map[string]any) map[string]any {
	return map[string]any{
		"name": id, "api_id": id, "org_id": "default", "active": true,
		"use_keyless": false, "use_standard_auth": false, "use_basic_auth": false,
		"custom_plugin_auth_enabled": true, "strip_auth_data": true,
		"definition": map[string]any{"location": "header", "key": "x-api-version"},
		"version_data": map[string]any{
			"not_versioned": true, "default_version": "Default",
			"versions": map[string]any{"Default": map[string]any{"name": "Default", "use_extended_paths": true}},
		},
		"proxy": map[string]any{"listen_path": listenPath, "target_url": upstream, "strip_listen_path": true},
		"custom_middleware": map[string]any{
			"driver":     "goplugin",
			"auth_check": map[string]any{"name": "LDAPAuth", "path": pluginPath},
		},
		"config_data_disabled": false,
		"config_data":          config,
	}
}

// WriteGatewayAPIs writes each definition to dir/File and returns the paths.
func WriteGatewayAPIs(dir string, apis []GatewayAPI) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var paths []string
	for _, a := range apis {
		b, err := json.MarshalIndent(a.Definition, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("devdir: %s: %w", a.File, err)
		}
		p := filepath.Join(dir, a.File)
		// The definitions carry the service account's password.
		if err := os.WriteFile(p, append(b, '\n'), 0o600); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
