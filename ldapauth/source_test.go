package ldapauth

import (
	"slices"
	"testing"
)

func TestDefinitionSources(t *testing.T) {
	cfg := map[string]any{"urls": "ldaps://x"}
	tests := []struct {
		name          string
		src           APISource
		wantVersions  []string
		wantDisabled  string
		wantRefused   string
		wantHasConfig bool
	}{
		{"classic", ClassicDefinition{ID: "c", ConfigData: cfg}.Source(), []string{"Default"}, "", "", true},
		{"classic versions sorted", ClassicDefinition{ID: "c", VersionNames: []string{"v2", "v1"}, ConfigData: cfg}.Source(), []string{"v1", "v2"}, "", "", true},
		{"classic disabled", ClassicDefinition{ID: "c", ConfigData: cfg, ConfigDataDisabled: true}.Source(), []string{"Default"}, "config_data_disabled", "", true},
		{"classic coprocess header", ClassicDefinition{ID: "c", ConfigData: cfg, Coprocess: &TokenSources{Header: "X-Token"}}.Source(), []string{"Default"}, "", "auth_configs.coprocess", true},
		{"OAS", OASDefinition{ID: "o", HasData: true, Enabled: true, Value: cfg}.Source(), []string{"Default"}, "", "", true},
		{"OAS without data", OASDefinition{ID: "o"}.Source(), []string{"Default"}, "middleware.global.pluginConfig.data", "", false},
		{"OAS data off", OASDefinition{ID: "o", HasData: true, Value: cfg}.Source(), []string{"Default"}, "middleware.global.pluginConfig.data.enabled", "", false},
		{"OAS cookie", OASDefinition{ID: "o", HasData: true, Enabled: true, Value: cfg, TokenSources: &TokenSources{Cookie: true}}.Source(), []string{"Default"}, "", "server.authentication.custom", true},
	}
	for _, tt := range tests {
		refused := ""
		if tt.src.Unsupported != nil {
			refused = tt.src.Unsupported.Key
		}
		if !slices.Equal(tt.src.Info.Versions, tt.wantVersions) || tt.src.DisabledBy != tt.wantDisabled || refused != tt.wantRefused ||
			(tt.src.Config != nil) != tt.wantHasConfig {
			t.Errorf("%s: %+v", tt.name, tt.src)
		}
	}
	if NoTykExtension.DisabledBy != "x-tyk-api-gateway" {
		t.Errorf("NoTykExtension: %+v", NoTykExtension)
	}
}
