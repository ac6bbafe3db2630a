package plugintest

import (
	"net/http"
	"plugin"
	"testing"
)

// TestBuildPluginLoadsIntoThisBinary is the property the package exists
// for: the built .so opens in the test binary that built it.
func TestBuildPluginLoadsIntoThisBinary(t *testing.T) {
	so := BuildPlugin(t, "../testdata/testplugin")
	if again := BuildPlugin(t, "../testdata/testplugin"); again != so {
		t.Fatalf("second build gave %q, want the cached %q", again, so)
	}
	p, err := plugin.Open(so)
	if err != nil {
		t.Fatalf("plugin.Open: %v", err)
	}
	sym, err := p.Lookup("AuthCheck")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sym.(func(http.ResponseWriter, *http.Request)); !ok {
		t.Fatalf("AuthCheck has type %T", sym)
	}
}

// TestBuildSettingsFollowRace checks the one setting that decides most
// often whether a plugin loads: -race must match the test binary.
func TestBuildSettingsFollowRace(t *testing.T) {
	flags, _, err := buildSettings()
	if err != nil {
		t.Fatalf("buildSettings: %v", err)
	}
	hasRace := false
	for _, f := range flags {
		hasRace = hasRace || f == "-race"
	}
	if hasRace != raceEnabled {
		t.Fatalf("flags %v carry -race=%v, but this binary has race=%v", flags, hasRace, raceEnabled)
	}
}
