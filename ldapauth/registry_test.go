package ldapauth

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/redistest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

type fakeDefinition struct{ name string }

// resolve is the binding's pattern: Lookup, and Admit on first sight.
func (reg *Registry) resolve(key any, load func() APISource) (*Gate, error) {
	if g, ok, err := reg.Lookup(key); ok {
		return g, err
	}
	return reg.Admit(key, load())
}

func source(id string, cfg map[string]any) APISource {
	return APISource{Info: APIInfo{ID: id, OrgID: "default", Name: "API " + id}, Config: cfg}
}

func TestRegistryBuildsOncePerDefinition(t *testing.T) {
	reg := NewRegistry(RegistryOptions{})
	defer reg.Close()
	def := &fakeDefinition{"v1"}
	loads := 0
	load := func() APISource { loads++; return source("api-1", minimal(nil)) }
	g1, err := reg.resolve(def, load)
	if err != nil {
		t.Fatal(err)
	}
	g2, _ := reg.resolve(def, load)
	if g1 != g2 || loads != 1 {
		t.Fatalf("same definition: gates equal %v, loads %d", g1 == g2, loads)
	}
}

func TestRegistryReloadKeepsGateWhenConfigUnchanged(t *testing.T) {
	reg := NewRegistry(RegistryOptions{})
	defer reg.Close()
	g1, _ := reg.resolve(&fakeDefinition{"v1"}, func() APISource { return source("api-1", minimal(nil)) })
	// A reload: a new definition object with the same content.
	g2, _ := reg.resolve(&fakeDefinition{"v2"}, func() APISource { return source("api-1", minimal(nil)) })
	if g1 != g2 {
		t.Fatal("an unchanged configuration got a new gate (cache and pools thrown away)")
	}
	if n := len(reg.apis["api-1"].gates); n != 1 {
		t.Fatalf("registry holds %d gates for one configuration, want 1", n)
	}
}

func TestRegistryReloadRebuildsWhenConfigChanges(t *testing.T) {
	reg := NewRegistry(RegistryOptions{})
	defer reg.Close()
	g1, _ := reg.resolve(&fakeDefinition{"v1"}, func() APISource { return source("api-1", minimal(nil)) })
	g2, _ := reg.resolve(&fakeDefinition{"v2"}, func() APISource {
		return source("api-1", minimal(map[string]any{"realm": "Changed"}))
	})
	if g1 == g2 {
		t.Fatal("a changed configuration kept the old gate")
	}
	if g2.Config().Realm != "Changed" {
		t.Fatalf("new gate has realm %q", g2.Config().Realm)
	}
}

func TestRegistryKeepsAPIsApart(t *testing.T) {
	reg := NewRegistry(RegistryOptions{})
	defer reg.Close()
	a, _ := reg.resolve(&fakeDefinition{"a"}, func() APISource { return source("api-a", minimal(nil)) })
	b, _ := reg.resolve(&fakeDefinition{"b"}, func() APISource { return source("api-b", minimal(nil)) })
	if a == b || a.API().ID != "api-a" || b.API().ID != "api-b" {
		t.Fatal("two APIs share a gate")
	}
}

func TestRegistryLogsConfigErrorsOnceNamingAPIAndKey(t *testing.T) {
	log := newRecordingLogger(false)
	reg := NewRegistry(RegistryOptions{Logger: log.logger()})
	defer reg.Close()
	def := &fakeDefinition{"broken"}
	load := func() APISource {
		return source("api-broken", minimal(map[string]any{"pool_size": "lots", "bind_password": "hunter2-secret"}))
	}
	for i := 0; i < 3; i++ {
		if _, err := reg.resolve(def, load); err == nil {
			t.Fatal("broken configuration accepted")
		}
	}
	logs := log.all()
	for _, want := range []string{`api_id="api-broken"`, `key="pool_size"`, `key="bind_dn"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log does not mention %s:\n%s", want, logs)
		}
	}
	if n := log.count(`key="pool_size"`); n != 1 {
		t.Errorf("pool_size error logged %d times, want once", n)
	}
	if strings.Contains(logs, "hunter2-secret") {
		t.Fatal("log contains the bind password")
	}
}

func TestRegistryDisabledConfig(t *testing.T) {
	log := newRecordingLogger(false)
	reg := NewRegistry(RegistryOptions{Logger: log.logger()})
	defer reg.Close()
	_, err := reg.resolve(&fakeDefinition{"off"}, func() APISource {
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

// During a reload, requests carrying the old and the new definition
// interleave: each keeps its own gate, and nothing is rebuilt.
func TestRegistryDoesNotThrashDuringReload(t *testing.T) {
	log := newRecordingLogger(false)
	reg := NewRegistry(RegistryOptions{Logger: log.logger()})
	defer reg.Close()
	oldDef, newDef := &fakeDefinition{"old"}, &fakeDefinition{"new"}
	oldSrc := func() APISource { return source("api-1", minimal(nil)) }
	newSrc := func() APISource { return source("api-1", minimal(map[string]any{"realm": "Changed"})) }
	gOld, _ := reg.resolve(oldDef, oldSrc)
	gNew, _ := reg.resolve(newDef, newSrc)
	for i := range 10 {
		def, src, want := oldDef, oldSrc, gOld
		if i%2 == 1 {
			def, src, want = newDef, newSrc, gNew
		}
		if g, _ := reg.resolve(def, src); g != want {
			t.Fatalf("request %d got another gate", i)
		}
	}
	if n := log.count("LDAP authentication configured"); n != 2 {
		t.Fatalf("%d gates built for two configurations, want 2", n)
	}
	// A third configuration retires the oldest gate, not the newest.
	third, _ := reg.resolve(&fakeDefinition{"third"}, func() APISource { return source("api-1", minimal(map[string]any{"realm": "Third"})) })
	if g, _ := reg.resolve(newDef, newSrc); g != gNew {
		t.Fatal("the newest earlier gate was retired")
	}
	if g, _ := reg.resolve(oldDef, oldSrc); g == gOld || g == gNew || g == third {
		t.Fatal("the retired gate is still served")
	}
}

// Admit parses the configuration, which reads files, without holding the
// registry's lock: a slow file read must not stall other APIs' admissions.
func TestRegistryReadsFilesOutsideItsLock(t *testing.T) {
	reg := NewRegistry(RegistryOptions{})
	defer reg.Close()
	fifo := filepath.Join(t.TempDir(), "ca.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	slowDone := make(chan struct{})
	go func() { // blocks in the CA file read until the FIFO gets a writer
		defer close(slowDone)
		_, _ = reg.Admit(&fakeDefinition{"slow"}, source("api-slow", minimal(map[string]any{"tls_ca_file": fifo})))
	}()
	if _, err := reg.Admit(&fakeDefinition{"other"}, source("api-other", minimal(nil))); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	<-slowDone
}

// Tyk never tells a plugin that a reload deleted an API: its gate goes
// once it has had no request for idleBeforeClose, at the next admission,
// and takes its directory connections, caches and Redis client with it.
// A gate still in use stays.
func TestRegistryClosesGatesOfDeletedAPIs(t *testing.T) {
	deletedLDAP := slapdtest.StartT(t)
	rds := redistest.StartT(t)
	reg := NewRegistry(RegistryOptions{})
	t.Cleanup(reg.Close)
	clock := time.Now()
	reg.now = func() time.Time { return clock }

	deletedDef := &fakeDefinition{"deleted"}
	deleted, err := reg.Admit(deletedDef, source("api-deleted", fleetConfig(deletedLDAP, rds.URL(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	expectOutcome(t, check(deleted, "alice", "alice-pass-1"), OutcomeGranted)
	keptDef := &fakeDefinition{"kept"}
	kept, err := reg.Admit(keptDef, source("api-kept", directConfig(sharedLDAP(t), nil)))
	if err != nil {
		t.Fatal(err)
	}
	if testutil.OpenConnections(t, deletedLDAP.Addr()) == 0 || testutil.OpenConnections(t, rds.Addr()) == 0 {
		t.Fatal("the API to be deleted holds no connections; the test proves nothing")
	}

	clock = clock.Add(time.Hour)
	if g, ok, _ := reg.Lookup(keptDef); !ok || g != kept {
		t.Fatal("kept API lost its gate")
	}
	clock = clock.Add(2 * time.Minute)
	if _, err := reg.Admit(&fakeDefinition{"reload"}, source("api-other", minimal(nil))); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := reg.Lookup(deletedDef); ok {
		t.Fatal("the idle API's definition is still served")
	}
	if g, ok, _ := reg.Lookup(keptDef); !ok || g != kept {
		t.Fatal("an API in use was closed")
	}
	deadline := time.Now().Add(10 * time.Second)
	for testutil.OpenConnections(t, deletedLDAP.Addr())+testutil.OpenConnections(t, rds.Addr()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the idle API still holds %d directory and %d Redis connections",
				testutil.OpenConnections(t, deletedLDAP.Addr()), testutil.OpenConnections(t, rds.Addr()))
		}
		time.Sleep(10 * time.Millisecond) // polling the kernel's connection table
	}
	reg.shared.mu.Lock()
	defer reg.shared.mu.Unlock()
	if len(reg.shared.redis) != 0 {
		t.Fatalf("%d Redis clients still shared", len(reg.shared.redis))
	}
}
