package check

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
)

// Kind is what the checked file holds.
type Kind string

// The kinds of file Run reads.
const (
	// KindClassic is a classic Tyk API definition; the plugin configuration
	// is its config_data.
	KindClassic Kind = "classic"
	// KindOAS is a Tyk OAS API definition; the plugin configuration is
	// x-tyk-api-gateway.middleware.global.pluginConfig.data.value.
	KindOAS Kind = "oas"
	// KindConfig is a bare plugin configuration object, as it would appear
	// in config_data.
	KindConfig Kind = "config"
)

// Where the plugin configuration lives in each kind of file.
const (
	classicConfigPath = "config_data"
	oasConfigPath     = "x-tyk-api-gateway.middleware.global.pluginConfig.data.value"
)

// Source is what the gateway binding would read from the file: the API's
// identity and the plugin configuration, or the setting that disables it.
type Source struct {
	Kind Kind
	// API identifies the API (empty for a bare configuration).
	API ldapauth.APIInfo
	// ConfigPath is where the configuration sits in the file.
	ConfigPath string
	// Config is the plugin configuration as the plugin receives it.
	Config map[string]any
	// DisabledBy names the setting that switches the configuration off,
	// exactly as the gateway binding reports it.
	DisabledBy string
	// Unsupported is a setting of the definition the gateway binding
	// refuses (an auth source other than the Authorization header).
	Unsupported *ldapauth.ConfigError
	// Env is what the gateway's env:// substitution did to the file.
	Env Substitution
	// Warnings are settings outside the plugin configuration that stop the
	// gateway from calling the plugin as its authentication.
	Warnings []string
}

// ReadSource reads an API definition or a bare configuration the way the
// gateway loads it: env:// references are substituted first (see
// SubstituteEnv), then the JSON is decoded with the field names and types
// of Tyk's own structures.
func ReadSource(data []byte, getenv func(string) string) (*Source, error) {
	text, env := SubstituteEnv(data, getenv)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(text, &top); err != nil {
		if len(env.Unsafe) > 0 && json.Valid(data) {
			return nil, fmt.Errorf("the file is valid JSON, but not after the gateway's env:// substitution: "+
				"Tyk inserts a variable's value into the JSON text unescaped, and %s holds a quote, backslash or control character "+
				"(use file:// for such a secret, or a value without them)", joinNames(env.Unsafe))
		}
		return nil, fmt.Errorf("not a JSON object: %w", jsonPosition(text, err))
	}
	var src *Source
	var err error
	switch kindOf(top) {
	case KindOAS:
		src, err = readOAS(text)
	case KindClassic:
		src, err = readClassic(text)
	default:
		src, err = readBareConfig(text)
	}
	if err != nil {
		return nil, err
	}
	src.Env = env
	return src, nil
}

// kindOf tells the kinds apart by keys only one of them has at the top.
func kindOf(top map[string]json.RawMessage) Kind {
	if _, ok := top["x-tyk-api-gateway"]; ok {
		return KindOAS
	}
	if _, ok := top["openapi"]; ok {
		return KindOAS
	}
	for _, k := range []string{"api_id", "config_data", "config_data_disabled", "custom_middleware", "proxy", "version_data"} {
		if _, ok := top[k]; ok {
			return KindClassic
		}
	}
	return KindConfig
}

// classicDefinition holds the fields of Tyk's apidef.APIDefinition that the
// binding and the auth wiring use, under the same JSON names, so a value of
// the wrong type fails here as it fails the gateway's own decoding.
type classicDefinition struct {
	APIID                   string         `json:"api_id"`
	OrgID                   string         `json:"org_id"`
	Name                    string         `json:"name"`
	ConfigData              map[string]any `json:"config_data"`
	ConfigDataDisabled      bool           `json:"config_data_disabled"`
	UseKeyless              bool           `json:"use_keyless"`
	CustomPluginAuthEnabled bool           `json:"custom_plugin_auth_enabled"`
	// A bundle's manifest names the driver and the functions instead.
	CustomMiddlewareBundle         string `json:"custom_middleware_bundle"`
	CustomMiddlewareBundleDisabled bool   `json:"custom_middleware_bundle_disabled"`
	CustomMiddleware               struct {
		Driver    string `json:"driver"`
		AuthCheck struct {
			Name string `json:"name"`
			Path string `json:"path"`
		} `json:"auth_check"`
	} `json:"custom_middleware"`
	VersionData struct {
		Versions map[string]json.RawMessage `json:"versions"`
	} `json:"version_data"`
	AuthConfigs map[string]struct {
		UseParam       bool   `json:"use_param"`
		UseCookie      bool   `json:"use_cookie"`
		DisableHeader  bool   `json:"disable_header"`
		AuthHeaderName string `json:"auth_header_name"`
	} `json:"auth_configs"`
}

func readClassic(text []byte) (*Source, error) {
	var def classicDefinition
	if err := json.Unmarshal(text, &def); err != nil {
		return nil, fmt.Errorf("the gateway cannot load this classic API definition: %w", jsonPosition(text, err))
	}
	d := ldapauth.ClassicDefinition{ID: def.APIID, OrgID: def.OrgID, Name: def.Name,
		ConfigData: def.ConfigData, ConfigDataDisabled: def.ConfigDataDisabled}
	for name := range def.VersionData.Versions {
		d.VersionNames = append(d.VersionNames, name)
	}
	if ac, ok := def.AuthConfigs["coprocess"]; ok {
		d.Coprocess = &ldapauth.TokenSources{Query: ac.UseParam, Cookie: ac.UseCookie, HeaderDisabled: ac.DisableHeader, Header: ac.AuthHeaderName}
	}
	src := fromAPISource(KindClassic, classicConfigPath, d.Source())
	if def.UseKeyless {
		src.Warnings = append(src.Warnings, "use_keyless is true: the gateway lets every request in without calling the plugin; set it to false")
	}
	if !def.CustomPluginAuthEnabled {
		src.Warnings = append(src.Warnings, "custom_plugin_auth_enabled is not true: the gateway does not use the plugin for authentication")
	}
	if def.CustomMiddlewareBundle != "" && !def.CustomMiddlewareBundleDisabled {
		return src, nil
	}
	if def.CustomMiddleware.Driver != "goplugin" {
		src.Warnings = append(src.Warnings, fmt.Sprintf("custom_middleware.driver is %q: it must be \"goplugin\"", def.CustomMiddleware.Driver))
	}
	if def.CustomMiddleware.AuthCheck.Name != pluginSymbol {
		src.Warnings = append(src.Warnings, fmt.Sprintf("custom_middleware.auth_check.name is %q: the plugin's function is %q", def.CustomMiddleware.AuthCheck.Name, pluginSymbol))
	}
	return src, nil
}

// pluginSymbol is the function the gateway must look up in the plugin.
const pluginSymbol = "LDAPAuth"

// classicVersions mirrors the binding: the API's version names sorted, or
// "Default" when it declares none.
// fromAPISource describes what the gateway binding would read.
func fromAPISource(kind Kind, path string, a ldapauth.APISource) *Source {
	return &Source{Kind: kind, API: a.Info, ConfigPath: path, Config: a.Config, DisabledBy: a.DisabledBy, Unsupported: a.Unsupported}
}

// oasDefinition holds the parts of a Tyk OAS definition's x-tyk-api-gateway
// extension the binding and the auth wiring use. Pointers are where Tyk's
// own structures have pointers: absent and empty differ there.
type oasDefinition struct {
	Ext *struct {
		Info struct {
			ID    string `json:"id"`
			OrgID string `json:"orgId"`
			Name  string `json:"name"`
		} `json:"info"`
		Server struct {
			Authentication *struct {
				Enabled bool `json:"enabled"`
				Custom  *struct {
					Enabled bool        `json:"enabled"`
					Header  *authSource `json:"header"`
					Cookie  *authSource `json:"cookie"`
					Query   *authSource `json:"query"`
					Config  *struct {
						Enabled      bool   `json:"enabled"`
						FunctionName string `json:"functionName"`
						Path         string `json:"path"`
					} `json:"config"`
				} `json:"custom"`
			} `json:"authentication"`
		} `json:"server"`
		Middleware *struct {
			Global *struct {
				PluginConfig *struct {
					Driver string `json:"driver"`
					// A bundle's manifest names the driver instead.
					Bundle *struct {
						Enabled bool `json:"enabled"`
					} `json:"bundle"`
					Data *struct {
						Enabled bool           `json:"enabled"`
						Value   map[string]any `json:"value"`
					} `json:"data"`
				} `json:"pluginConfig"`
			} `json:"global"`
		} `json:"middleware"`
	} `json:"x-tyk-api-gateway"`
}

func readOAS(text []byte) (*Source, error) {
	var def oasDefinition
	if err := json.Unmarshal(text, &def); err != nil {
		return nil, fmt.Errorf("the gateway cannot load this Tyk OAS API definition: %w", jsonPosition(text, err))
	}
	ext := def.Ext
	if ext == nil {
		return fromAPISource(KindOAS, oasConfigPath, ldapauth.NoTykExtension), nil
	}
	d := ldapauth.OASDefinition{ID: ext.Info.ID, OrgID: ext.Info.OrgID, Name: ext.Info.Name}
	if auth := ext.Server.Authentication; auth != nil && auth.Custom != nil {
		c := auth.Custom
		d.TokenSources = &ldapauth.TokenSources{Query: c.Query != nil && c.Query.Enabled, Cookie: c.Cookie != nil && c.Cookie.Enabled}
		if c.Header != nil {
			d.TokenSources.Header, d.TokenSources.HeaderDisabled = c.Header.Name, !c.Header.Enabled
		}
	}
	if mw := ext.Middleware; mw != nil && mw.Global != nil && mw.Global.PluginConfig != nil && mw.Global.PluginConfig.Data != nil {
		data := mw.Global.PluginConfig.Data
		d.HasData, d.Enabled, d.Value = true, data.Enabled, data.Value
	}
	src := fromAPISource(KindOAS, oasConfigPath, d.Source())
	src.Warnings = oasWiring(&def)
	return src, nil
}

func oasWiring(def *oasDefinition) []string {
	var out []string
	auth := def.Ext.Server.Authentication
	switch {
	case auth == nil || !auth.Enabled:
		out = append(out, "server.authentication.enabled is not true: the gateway does not authenticate requests to this API")
	case auth.Custom == nil || !auth.Custom.Enabled:
		out = append(out, "server.authentication.custom.enabled is not true: the gateway does not use the plugin for authentication")
	case auth.Custom.Config == nil || !auth.Custom.Config.Enabled:
		out = append(out, "server.authentication.custom.config.enabled is not true: the gateway does not call the plugin")
	case auth.Custom.Config.FunctionName != pluginSymbol:
		out = append(out, fmt.Sprintf("server.authentication.custom.config.functionName is %q: the plugin's function is %q", auth.Custom.Config.FunctionName, pluginSymbol))
	}
	driver, bundled := "", false
	if mw := def.Ext.Middleware; mw != nil && mw.Global != nil && mw.Global.PluginConfig != nil {
		driver = mw.Global.PluginConfig.Driver
		bundled = mw.Global.PluginConfig.Bundle != nil && mw.Global.PluginConfig.Bundle.Enabled
	}
	if driver != "goplugin" && !bundled {
		out = append(out, fmt.Sprintf("middleware.global.pluginConfig.driver is %q: it must be \"goplugin\"", driver))
	}
	return out
}

func readBareConfig(text []byte) (*Source, error) {
	var cfg map[string]any
	if err := json.Unmarshal(text, &cfg); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", jsonPosition(text, err))
	}
	if cfg == nil {
		return nil, errors.New("the file holds null, not a configuration object")
	}
	// Read as the config_data of a classic API that names no versions.
	return &Source{Kind: KindConfig, Config: cfg, API: ldapauth.APIInfo{Versions: []string{"Default"}}}, nil
}

// authSource is one of a Tyk OAS API's token sources.
type authSource struct {
	Enabled bool   `json:"enabled"`
	Name    string `json:"name"`
}
