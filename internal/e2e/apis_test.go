package e2e

import (
	"github.com/TykTechnologies/tyk/apidef"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// Plugin configurations (config_data). Values go through JSON like a real
// API definition, so numbers arrive as float64 and lists as []interface{}.

// peopleTemplate binds directly as uid=<username> under ou=people.
const peopleTemplate = "uid={username}," + slapdtest.PeopleDN

// direct is a direct-bind configuration against the sample directory.
func (e *env) direct(pairs ...interface{}) map[string]interface{} {
	return with(map[string]interface{}{"urls": e.ldap.URL(), "user_dn_template": peopleTemplate}, pairs...)
}

// search is a search-then-bind configuration with the service account.
func (e *env) search(pairs ...interface{}) map[string]interface{} {
	return with(map[string]interface{}{
		"urls":           e.ldap.URL(),
		"search_base_dn": slapdtest.PeopleDN,
		"bind_dn":        slapdtest.ServiceAccountDN,
		"bind_password":  slapdtest.ServiceAccountPassword,
	}, pairs...)
}

// with returns a copy of m with the key/value pairs set (nil deletes).
func with(m map[string]interface{}, pairs ...interface{}) map[string]interface{} {
	return e2etest.With(m, pairs...)
}

// API definitions. Each API listens on /<id>/ and strips it.

// flavour is the kind of API definition the plugin is attached to.
type flavour = e2etest.Flavour

const (
	classic = e2etest.Classic
	tykOAS  = e2etest.OAS
)

var flavours = e2etest.Flavours

// apiOption adjusts a classic definition before it is loaded.
type apiOption = e2etest.APIOption

func stripAuthData(d *apidef.APIDefinition)      { e2etest.StripAuthData(d) }
func configDataDisabled(d *apidef.APIDefinition) { e2etest.ConfigDataDisabled(d) }

// api builds an API of the given flavour using the plugin with cfg. The
// gateway's own strip_auth_data is off unless asked for, so what the
// upstream sees is the plugin's doing.
func (e *env) api(f flavour, id string, cfg map[string]interface{}, opts ...apiOption) tykhost.APIs {
	e.t.Helper()
	return e2etest.API(e.t, f, id, cfg, e.so, e.up.URL, opts...)
}

// tokenAPI is a classic API protected by Tyk's standard token auth.
func (e *env) tokenAPI(id string) tykhost.APIs { return e2etest.TokenAPI(id, e.up.URL) }
