package ldapauth

import (
	"strings"
	"testing"
)

type fakeDefinition struct{ name string }

// gateFor is the binding's pattern: Lookup, and Admit on first sight.
func (reg *Registry) gateFor(key interface{}, load func() APISource) (*Gate, error) {
	if g, err, ok := reg.Lookup(key); ok {
		return g, err
	}
	return reg.Admit(key, load())
}

func source(id string, cfg map[string]interface{}) APISource {
	return APISource{Info: APIInfo{ID: id, OrgID: "default", Name: "API " + id}, Config: cfg}
}

func TestRegistryBuildsOncePerDefinition(t *testing.T) {
	reg := NewRegistry(nil)
	defer reg.Close()
	def := &fakeDefinition{"v1"}
	loads := 0
	load := func() APISource { loads++; return source("api-1", minimal(nil)) }
	g1, err := reg.gateFor(def, load)
	if err != nil {
		t.Fatal(err)
	}
	g2, _ := reg.gateFor(def, load)
	if g1 != g2 || loads != 1 {
		t.Fatalf("same definition: gates equal %v, loads %d", g1 == g2, loads)
	}
}

func TestRegistryReloadKeepsGateWhenConfigUnchanged(t *testing.T) {
	reg := NewRegistry(nil)
	defer reg.Close()
	g1, _ := reg.gateFor(&fakeDefinition{"v1"}, func() APISource { return source("api-1", minimal(nil)) })
	// A reload: a new definition object with the same content.
	g2, _ := reg.gateFor(&fakeDefinition{"v2"}, func() APISource { return source("api-1", minimal(nil)) })
	if g1 != g2 {
		t.Fatal("an unchanged configuration got a new gate (cache and pools thrown away)")
	}
	if reg.Len() != 1 {
		t.Fatalf("registry tracks %d APIs, want 1", reg.Len())
	}
}

func TestRegistryReloadRebuildsWhenConfigChanges(t *testing.T) {
	reg := NewRegistry(nil)
	defer reg.Close()
	g1, _ := reg.gateFor(&fakeDefinition{"v1"}, func() APISource { return source("api-1", minimal(nil)) })
	g2, _ := reg.gateFor(&fakeDefinition{"v2"}, func() APISource {
		return source("api-1", minimal(map[string]interface{}{"realm": "Changed"}))
	})
	if g1 == g2 {
		t.Fatal("a changed configuration kept the old gate")
	}
	if g2.Config().Realm != "Changed" {
		t.Fatalf("new gate has realm %q", g2.Config().Realm)
	}
}

func TestRegistryKeepsAPIsApart(t *testing.T) {
	reg := NewRegistry(nil)
	defer reg.Close()
	a, _ := reg.gateFor(&fakeDefinition{"a"}, func() APISource { return source("api-a", minimal(nil)) })
	b, _ := reg.gateFor(&fakeDefinition{"b"}, func() APISource { return source("api-b", minimal(nil)) })
	if a == b || a.API().ID != "api-a" || b.API().ID != "api-b" {
		t.Fatal("two APIs share a gate")
	}
}

func TestRegistryLogsConfigErrorsOnceNamingAPIAndKey(t *testing.T) {
	log := &recordingLogger{}
	reg := NewRegistry(log)
	defer reg.Close()
	def := &fakeDefinition{"broken"}
	load := func() APISource {
		return source("api-broken", minimal(map[string]interface{}{"pool_size": "lots", "bind_password": "hunter2-secret"}))
	}
	for i := 0; i < 3; i++ {
		if _, err := reg.gateFor(def, load); err == nil {
			t.Fatal("broken configuration accepted")
		}
	}
	logs := log.all()
	for _, want := range []string{"api-broken", `"pool_size"`, `"bind_dn"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log does not mention %s:\n%s", want, logs)
		}
	}
	if n := log.count(`"pool_size"`); n != 1 {
		t.Errorf("pool_size error logged %d times, want once", n)
	}
	if strings.Contains(logs, "hunter2-secret") {
		t.Fatal("log contains the bind password")
	}
}

func TestRegistryDisabledConfig(t *testing.T) {
	log := &recordingLogger{}
	reg := NewRegistry(log)
	defer reg.Close()
	_, err := reg.gateFor(&fakeDefinition{"off"}, func() APISource {
		s := source("api-off", minimal(nil))
		s.DisabledBy = "config_data_disabled"
		return s
	})
	if err == nil || !strings.Contains(err.Error(), "config_data_disabled") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(log.all(), "api-off") {
		t.Fatalf("not logged: %s", log.all())
	}
}
