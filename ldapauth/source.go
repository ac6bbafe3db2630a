package ldapauth

import "slices"

// The gateway binding and the check command read API definitions through
// their own types (Tyk's, or plain JSON structs); what they read, and the
// rules that turn it into an APISource, are here, once.

// ClassicDefinition is what is read from a classic API definition.
type ClassicDefinition struct {
	ID, OrgID, Name string
	// VersionNames are the keys of version_data.versions.
	VersionNames []string
	// ConfigData is config_data; ConfigDataDisabled is config_data_disabled,
	// which Tyk's Go plugin driver does not honour itself.
	ConfigData         map[string]any
	ConfigDataDisabled bool
	// Coprocess is auth_configs["coprocess"], when present.
	Coprocess *TokenSources
}

// Source is the APISource the definition gives.
func (d ClassicDefinition) Source() APISource {
	src := APISource{
		Info:   APIInfo{ID: d.ID, OrgID: d.OrgID, Name: d.Name, Versions: versions(d.VersionNames)},
		Config: d.ConfigData,
	}
	if d.ConfigDataDisabled {
		src.DisabledBy = "config_data_disabled"
	}
	if d.Coprocess != nil {
		src.Unsupported = UnsupportedTokenSources("auth_configs.coprocess", *d.Coprocess)
	}
	return src
}

// versions lists an API's versions for the session's access rights, which
// Tyk checks against the requested version on versioned APIs; an API with
// none has Tyk's "Default".
func versions(names []string) []string {
	if len(names) == 0 {
		return []string{"Default"}
	}
	out := slices.Clone(names)
	slices.Sort(out)
	return out
}

// OASDefinition is what is read from a Tyk OAS API definition's
// x-tyk-api-gateway extension.
type OASDefinition struct {
	ID, OrgID, Name string
	// TokenSources are server.authentication.custom's header, cookie and
	// query sources, when custom authentication is configured.
	TokenSources *TokenSources
	// HasData says middleware.global.pluginConfig.data is present; Enabled
	// and Value are its fields.
	HasData bool
	Enabled bool
	Value   map[string]any
}

// NoTykExtension is the APISource of an OAS definition without
// x-tyk-api-gateway.
var NoTykExtension = APISource{DisabledBy: "x-tyk-api-gateway"}

// Source is the APISource the definition gives.
func (d OASDefinition) Source() APISource {
	src := APISource{Info: APIInfo{ID: d.ID, OrgID: d.OrgID, Name: d.Name, Versions: versions(nil)}}
	if d.TokenSources != nil {
		src.Unsupported = UnsupportedTokenSources("server.authentication.custom", *d.TokenSources)
	}
	switch {
	case !d.HasData:
		src.DisabledBy = "middleware.global.pluginConfig.data"
	case !d.Enabled:
		src.DisabledBy = "middleware.global.pluginConfig.data.enabled"
	default:
		src.Config = d.Value
	}
	return src
}
