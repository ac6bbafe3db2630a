// STAND-IN tests (not Tyk code): a real classic API definition file must
// unmarshal into the stand-in with the fields the plugin contract uses.
package apidef

import (
	"encoding/json"
	"testing"
)

const classicLDAPAPI = `{"name":"ldap-basic-auth","api_id":"ldap-basic-auth","org_id":"default","active":true,
 "use_keyless":false,"use_standard_auth":false,"use_basic_auth":false,"custom_plugin_auth_enabled":true,"strip_auth_data":true,
 "definition":{"location":"header","key":"x-api-version","strip_versioning_data":true,"url_versioning_pattern":"^v[0-9]+$","fallback_to_default":true,"versions":{"v2":"api-v2"},"base_id":"ignored"},
 "version_data":{"not_versioned":true,"default_version":"Default","versions":{"Default":{"name":"Default","use_extended_paths":true}}},
 "proxy":{"listen_path":"/ldap/","target_url":"http://upstream:8000/","strip_listen_path":true},
 "custom_middleware":{"driver":"goplugin","auth_check":{"name":"LDAPBasicAuth","path":"/opt/tyk-gateway/middleware/ldapauth.so"},
                      "pre":[],"post_key_auth":[],"post":[],"response":[]},
 "config_data":{"ldap_url":"ldaps://ldap.example.com:636","bind_password":"env://LDAP_BIND_PASSWORD"},
 "config_data_disabled":false,"disable_rate_limit":true,"session_lifetime":3600,
 "session_lifetime_respects_key_expiration":true}`

func TestClassicDefinitionUnmarshals(t *testing.T) {
	var d APIDefinition
	if err := json.Unmarshal([]byte(classicLDAPAPI), &d); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"api_id", d.APIID == "ldap-basic-auth"},
		{"org_id", d.OrgID == "default"},
		{"active", d.Active},
		{"use_keyless", !d.UseKeylessAccess},
		{"custom_plugin_auth_enabled", d.CustomPluginAuthEnabled},
		{"strip_auth_data", d.StripAuthData},
		{"listen_path", d.Proxy.ListenPath == "/ldap/"},
		{"target_url", d.Proxy.TargetURL == "http://upstream:8000/"},
		{"strip_listen_path", d.Proxy.StripListenPath},
		{"not_versioned", d.VersionData.NotVersioned && d.VersionData.Versions["Default"].Name == "Default"},
		{"driver", d.CustomMiddleware.Driver == GoPluginDriver},
		{"auth_check", d.CustomMiddleware.AuthCheck.Name == "LDAPBasicAuth" && d.CustomMiddleware.AuthCheck.Path != ""},
		{"config_data", d.ConfigData["ldap_url"] == "ldaps://ldap.example.com:636"},
		{"disable_rate_limit", d.DisableRateLimit && !d.DisableQuota},
		{"session_lifetime", d.SessionLifetime == 3600},
		{"session_lifetime_respects_key_expiration", d.SessionLifetimeRespectsKeyExpiration},
		{"definition", d.VersionDefinition.Location == HeaderLocation && d.VersionDefinition.Key == "x-api-version" &&
			d.VersionDefinition.StripVersioningData && d.VersionDefinition.FallbackToDefault &&
			d.VersionDefinition.UrlVersioningPattern == "^v[0-9]+$" && d.VersionDefinition.Versions["v2"] == "api-v2"},
		{"definition.base_id is not read from JSON", d.VersionDefinition.BaseID == ""},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("field %s not decoded: %+v", c.name, d)
		}
	}
}
