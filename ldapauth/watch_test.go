package ldapauth

import (
	"testing"
	"time"
)

// APIs on one directory share one watch, which ends with the last of them;
// an API with revocation_watch "off", or without a service account, has
// none.
func TestRegistrySharesOneWatchPerDirectory(t *testing.T) {
	srv := sharedLDAP(t)
	reg := NewRegistry(RegistryOptions{})
	defer reg.Close()
	admit := func(id string, cfg map[string]any) *Gate {
		t.Helper()
		g, err := reg.Admit(&fakeDefinition{id}, source(id, cfg))
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	a := admit("a", searchConfig(srv, nil))
	b := admit("b", searchConfig(srv, map[string]any{"realm": "other"}))
	off := admit("off", searchConfig(srv, map[string]any{"revocation_watch": "off"}))
	noAccount := admit("direct", directConfig(srv, nil))

	if a.watcher == nil || a.watcher != b.watcher {
		t.Fatalf("two APIs on one directory: watches %p and %p, want one shared", a.watcher, b.watcher)
	}
	if off.watcher != nil || noAccount.watcher != nil {
		t.Fatal("a watch for an API with revocation_watch off or without bind_dn")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !a.Watched() {
		if time.Now().After(deadline) {
			t.Fatal("the watch did not go live")
		}
		time.Sleep(10 * time.Millisecond) // polling for the watch
	}
	w := a.watcher
	a.Close()
	if !w.Live() {
		t.Fatal("closing one of two APIs stopped the shared watch")
	}
	b.Close()
	if w.Live() {
		t.Fatal("the watch outlived the last API using it")
	}
	reg.watches.mu.Lock()
	left := len(reg.watches.watches)
	reg.watches.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d watches left after their APIs closed", left)
	}
}
