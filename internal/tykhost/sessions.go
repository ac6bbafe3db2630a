package tykhost

import (
	"encoding/json"
	"sort"
	"sync"

	"github.com/TykTechnologies/tyk/user"
)

// SessionStore stands in for the gateway's Redis session store: sessions are
// kept as JSON under their KeyID (Tyk's key is "apikey-"+HashKey(KeyID), a
// one-to-one mapping, so lookups by the presented token behave the same) and
// every write is counted.
type SessionStore struct {
	mu      sync.Mutex
	entries map[string]storedSession
	writes  int
}

type storedSession struct {
	json     []byte
	lifetime int64
	writes   int
}

func newSessionStore() *SessionStore {
	return &SessionStore{entries: make(map[string]storedSession)}
}

// Put stores s under keyID, like GlobalSessionManager.UpdateSession.
// lifetime is the TTL in seconds Tyk would give the Redis key (0: none).
func (st *SessionStore) Put(keyID string, s *user.SessionState, lifetime int64) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	e := st.entries[keyID]
	st.entries[keyID] = storedSession{json: b, lifetime: lifetime, writes: e.writes + 1}
	st.writes++
	return nil
}

// Get returns a fresh copy of the session stored under keyID. KeyID is not
// serialised (json:"-"), so it is set from the key, as Tyk does.
func (st *SessionStore) Get(keyID string) (*user.SessionState, bool) {
	st.mu.Lock()
	e, ok := st.entries[keyID]
	st.mu.Unlock()
	if !ok {
		return nil, false
	}
	s := &user.SessionState{}
	if err := json.Unmarshal(e.json, s); err != nil {
		return nil, false
	}
	s.KeyID = keyID
	return s, true
}

// Lifetime returns the TTL the session was last stored with.
func (st *SessionStore) Lifetime(keyID string) (int64, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.entries[keyID]
	return e.lifetime, ok
}

// Delete removes a session.
func (st *SessionStore) Delete(keyID string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.entries, keyID)
}

// Writes returns the number of writes made so far.
func (st *SessionStore) Writes() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.writes
}

// WritesFor returns the number of writes made for one key.
func (st *SessionStore) WritesFor(keyID string) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.entries[keyID].writes
}

// Keys returns the stored keys, sorted.
func (st *SessionStore) Keys() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	keys := make([]string, 0, len(st.entries))
	for k := range st.entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
