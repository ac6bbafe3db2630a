// STAND-IN tests (not Tyk code): pin the stand-in ctx package to the real
// semantics of v5.8.0 to v5.14.0 the plugin relies on.
package ctx

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"
	"github.com/TykTechnologies/tyk/config"
	"github.com/TykTechnologies/tyk/user"
)

// withGlobal installs config.Global for one test and restores it.
func withGlobal(t *testing.T, hashKeys bool) {
	t.Helper()
	old := config.Global
	config.Global = func() config.Config { return config.Config{HashKeys: hashKeys} }
	t.Cleanup(func() { config.Global = old })
}

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatalf("expected a panic containing %q", want)
		}
		if msg, _ := r.(string); want != "" && !strings.Contains(msg, want) {
			// runtime errors are not strings; accept them when want is empty
			t.Fatalf("panic %v, want it to contain %q", r, want)
		}
	}()
	f()
}

func TestSetSessionNilPanics(t *testing.T) {
	withGlobal(t, false)
	r := httptest.NewRequest("GET", "/", nil)
	mustPanic(t, "setting a nil context SessionData", func() { SetSession(r, nil, false) })
}

func TestSetSessionWithoutGlobalConfigPanics(t *testing.T) {
	old := config.Global
	config.Global = nil
	t.Cleanup(func() { config.Global = old })
	r := httptest.NewRequest("GET", "/", nil)
	// One hashKey value is not enough to bypass config.Global, as in Tyk.
	mustPanic(t, "", func() { SetSession(r, &user.SessionState{KeyID: "k"}, false, true) })
	// Two values bypass it.
	SetSession(r, &user.SessionState{KeyID: "k"}, false, true, true)
	if GetSession(r) == nil {
		t.Fatal("session not set with two hashKey values")
	}
}

func TestSetSession(t *testing.T) {
	tests := []struct {
		name         string
		globalHash   bool
		hashArgs     []bool
		keyID        string
		authToken    string
		schedule     bool
		wantKeyID    string
		wantHash     string
		wantModified bool
	}{
		{name: "raw key when hashing off", keyID: "ldap:alice", wantKeyID: "ldap:alice", wantHash: "ldap:alice"},
		{name: "global hash_keys on", globalHash: true, keyID: "hello", wantKeyID: "hello", wantHash: "248bfa47"},
		{name: "one hashKey arg is ignored", hashArgs: []bool{true}, keyID: "hello", wantKeyID: "hello", wantHash: "hello"},
		{name: "two hashKey args use the first", hashArgs: []bool{true, false}, keyID: "hello", wantKeyID: "hello", wantHash: "248bfa47"},
		{name: "KeyID defaults to the auth token", authToken: "tok", wantKeyID: "tok", wantHash: "tok"},
		{name: "scheduleUpdate touches", keyID: "k", schedule: true, wantKeyID: "k", wantHash: "k", wantModified: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			withGlobal(t, tc.globalHash)
			r := httptest.NewRequest("GET", "/", nil)
			if tc.authToken != "" {
				setContext(r, contextWith(r, AuthToken, tc.authToken))
			}
			orig := r
			s := &user.SessionState{KeyID: tc.keyID}
			SetSession(r, s, tc.schedule, tc.hashArgs...)
			if orig != r || GetSession(orig) != s {
				t.Fatal("SetSession must mutate *r in place")
			}
			if s.KeyID != tc.wantKeyID {
				t.Fatalf("KeyID = %q, want %q", s.KeyID, tc.wantKeyID)
			}
			if got := s.KeyHash(); got != tc.wantHash {
				t.Fatalf("KeyHash = %q, want %q", got, tc.wantHash)
			}
			if GetAuthToken(r) != tc.wantKeyID {
				t.Fatalf("AuthToken = %q, want %q", GetAuthToken(r), tc.wantKeyID)
			}
			if s.IsModified() != tc.wantModified {
				t.Fatalf("IsModified = %v, want %v", s.IsModified(), tc.wantModified)
			}
		})
	}
}

func TestSetSessionKeepsExistingKeyHash(t *testing.T) {
	withGlobal(t, true)
	r := httptest.NewRequest("GET", "/", nil)
	s := &user.SessionState{KeyID: "hello"}
	s.SetKeyHash("preset")
	SetSession(r, s, false)
	if s.KeyHash() != "preset" {
		t.Fatalf("KeyHash = %q, want the preset hash", s.KeyHash())
	}
}

func TestGetSessionNilBeforeSet(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if GetSession(r) != nil || GetAuthToken(r) != "" {
		t.Fatal("fresh request must have no session and no token")
	}
}

func TestGetDefinitionReturnsDeepCopy(t *testing.T) {
	def := &apidef.APIDefinition{APIID: "a1", ConfigData: map[string]interface{}{"k": "v"}}
	r := httptest.NewRequest("GET", "/", nil)
	SetDefinition(r, def)
	if r.Context().Value(Definition) != def {
		t.Fatal("context must hold the gateway's pointer")
	}
	got := GetDefinition(r)
	if got == def || got.APIID != "a1" {
		t.Fatalf("GetDefinition = %p (%+v), want a copy of %p", got, got, def)
	}
	got.ConfigData["k"] = "changed"
	if def.ConfigData["k"] != "v" {
		t.Fatal("mutating the copy changed the original: not a deep copy")
	}
	if GetOASDefinition(r) != nil {
		t.Fatal("classic API must have no OAS definition")
	}
}

func TestGetOASDefinitionReturnsDeepCopy(t *testing.T) {
	o := &oas.OAS{}
	o.SetTykExtension(&oas.XTykAPIGateway{Info: oas.Info{ID: "o1"}})
	r := httptest.NewRequest("GET", "/", nil)
	SetOASDefinition(r, o)
	got := GetOASDefinition(r)
	if got == o || got.GetTykExtension() == o.GetTykExtension() {
		t.Fatal("GetOASDefinition must deep-copy")
	}
	if got.GetTykExtension().Info.ID != "o1" {
		t.Fatalf("copy lost data: %+v", got.GetTykExtension())
	}
	if GetDefinition(r) != nil {
		t.Fatal("OAS API must have no classic definition")
	}
}

func TestSetSessionAllocations(t *testing.T) {
	withGlobal(t, false)
	base := httptest.NewRequest("GET", "/", nil)
	s := &user.SessionState{KeyID: "k"}
	s.SetKeyHash("k")
	allocs := testing.AllocsPerRun(100, func() {
		r := *base
		SetSession(&r, s, false)
	})
	// Two context values plus one request copy, as in the real gateway.
	if allocs != 3 {
		t.Fatalf("SetSession allocations = %v, want 3", allocs)
	}
}
