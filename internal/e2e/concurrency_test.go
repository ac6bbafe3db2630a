package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/e2e/e2etest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestConcurrentUsers hammers two APIs (direct bind with a 150 ms cache, so
// cold and cached decisions mix, and search-then-bind) from 8 goroutines
// with 6 users and some wrong passwords. Under -race: every 200 reaches the
// upstream as exactly the requesting user, analytics carry that user, each
// user has one session per API written once, and no session mixes users.
func TestConcurrentUsers(t *testing.T) {
	e := newEnv(t)
	apis := []string{"conc-direct", "conc-search"}
	e.load(
		e.api(classic, apis[0], e.direct("cache_ttl", "150ms")),
		e.api(tykOAS, apis[1], e.search()),
	)
	var users []slapdtest.SampleUser
	for _, k := range []string{"ALICE", "BOB", "CAROL", "TEST", "OBRIEN", "DAVE"} {
		u, _ := slapdtest.SampleUserByKey(k)
		users = append(users, u)
	}

	const workers, perWorker = 8, 30
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				api, ui := apis[(g+i/2)%2], (g*7+i)%len(users)
				u := users[ui]
				pass, want := u.Password, 200
				if (g+i)%11 == 0 {
					pass, want = "wrong-"+u.Password, 401
				}
				path := fmt.Sprintf("/%s/u/%d/%d/%d", api, ui, g, i)
				r, err := e.doE(path, http.Header{"Authorization": {basic(u.UID, pass)}})
				switch {
				case err != nil:
					t.Errorf("%s: %v", path, err)
				case r.status != want:
					t.Errorf("%s as %s: status %d, want %d (%s)", path, u.UID, r.status, want, r.body)
				case want == 200 && (r.seen == nil || strings.Join(r.seen.Header.Values("X-Authenticated-User"), "|") != u.UID):
					t.Errorf("%s as %s: upstream saw %v", path, u.UID, r.seen)
				}
			}
		}(g)
	}
	wg.Wait()

	type who struct{ api, user string }
	keyOf := map[who]string{}
	whoseKey := map[string]who{}
	for _, rec := range e.records(workers * perWorker) {
		parts := strings.Split(rec.Path, "/") // "", api, "u", index, g, i
		ui, err := strconv.Atoi(parts[3])
		if err != nil {
			t.Fatalf("record path %q", rec.Path)
		}
		w := who{parts[1], users[ui].UID}
		if rec.Status != 200 {
			if rec.KeyID != "" {
				t.Errorf("%s: status %d with session %s", rec.Path, rec.Status, rec.KeyID)
			}
			continue
		}
		if rec.Alias != w.user {
			t.Errorf("%s: analytics alias %q, want %q", rec.Path, rec.Alias, w.user)
		}
		if k, ok := keyOf[w]; ok && k != rec.KeyID {
			t.Errorf("%v has two session keys: %s and %s", w, k, rec.KeyID)
		}
		if o, ok := whoseKey[rec.KeyID]; ok && o != w {
			t.Errorf("session key %s shared by %v and %v", rec.KeyID, o, w)
		}
		keyOf[w], whoseKey[rec.KeyID] = rec.KeyID, w
	}
	if len(keyOf) != len(apis)*len(users) {
		t.Errorf("%d (api, user) pairs succeeded, want %d", len(keyOf), len(apis)*len(users))
	}
	for w, key := range keyOf {
		s, ok := e.host.Sessions().Get(key)
		if !ok {
			t.Errorf("%v: no stored session", w)
			continue
		}
		if _, only := s.AccessRights[w.api]; s.Alias != w.user || !only || len(s.AccessRights) != 1 {
			t.Errorf("%v: stored session alias %q access %v", w, s.Alias, s.AccessRights)
		}
		if n := e.host.Sessions().WritesFor(key); n != 1 {
			t.Errorf("%v: session written %d times, want once", w, n)
		}
	}
}

// TestReloadUnderLoad reloads the gateway over and over (unchanged
// definitions, and alternating realms, which rebuild the API's gate and
// close the old one) while 6 goroutines keep sending good and bad
// credentials: no request may fail with a 5xx or get a wrong answer.
func TestReloadUnderLoad(t *testing.T) {
	e := newEnv(t)
	const api = "reload-load"
	realms := []string{"Realm A", "Realm B"}
	load := func(i int) {
		e.load(e.api(classic, api, e.search("realm", realms[i%2])), e.api(tykOAS, api+"-oas", e.direct("realm", realms[i%2])))
	}
	load(0)

	var mu sync.Mutex
	served := 0
	users := []string{"alice", "bob", "carol"}
	clients := e2etest.StartWorkers(6, func(g, i int) bool {
		id := api
		if g%2 == 1 {
			id += "-oas"
		}
		u := users[(g+i)%len(users)]
		pass, want := u+"-pass-1", 200
		if i%5 == 0 {
			pass, want = "wrong-pass", 401
		}
		r, err := e.doE("/"+id+"/", http.Header{"Authorization": {basic(u, pass)}})
		switch {
		case err != nil:
			t.Errorf("%s: %v", id, err)
			return false
		case r.status != want:
			t.Errorf("%s as %s: status %d (%s), want %d", id, u, r.status, r.body, want)
			return false
		case want == 401:
			if c := r.header.Get("Www-Authenticate"); c != challenge(realms[0]) && c != challenge(realms[1]) {
				t.Errorf("challenge %q", c)
			}
		case r.seen == nil || r.seen.Header.Get("X-Authenticated-User") != u:
			t.Errorf("%s as %s: upstream saw %v", id, u, r.seen)
		}
		mu.Lock()
		served++
		mu.Unlock()
		return true
	})
	for i := 1; i <= 20; i++ {
		time.Sleep(20 * time.Millisecond)
		if i%2 == 0 {
			if err := e.host.Reload(); err != nil {
				t.Error(err)
			}
			continue
		}
		load(i)
	}
	clients.Stop()
	if served < 50 {
		t.Errorf("only %d requests served during the reloads", served)
	}
}
