package directory

import (
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// recordingSink remembers what a Watcher delivered.
type recordingSink struct {
	mu      sync.Mutex
	keys    []string
	resyncs int
	tracked []string
}

func (s *recordingSink) Changed(keys []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, keys...)
}

func (s *recordingSink) Resync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resyncs++
}

func (s *recordingSink) Tracked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tracked)
}

func (s *recordingSink) snapshot() (keys []string, resyncs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.keys), s.resyncs
}

func (s *recordingSink) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = nil
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, not synchronising
	}
}

func watchOptions(t *testing.T, srv *slapdtest.Server) Options {
	o := searchOptions(t, srv)
	o.SearchBaseDN = slapdtest.PeopleDN
	o.Groups = GroupOptions{Source: GroupsFromSearch, BaseDN: slapdtest.GroupsDN, Filter: mustTemplate(t, defaultGroupFilter, "dn", "username"), NameAttribute: "cn"}
	o.DialTimeout, o.RequestTimeout = time.Second, time.Second
	return o
}

// Every mechanism, against a real slapd: a change to a user, a membership
// change and a delete each reach the sink as that entry's keys within two
// seconds; after the server restarts, and after its connection is killed,
// the watch resyncs and keeps following.
func TestWatcherFollowsChanges(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []slapdtest.Option
		mode WatchMode
		want Mechanism
	}{
		{"syncrepl", []slapdtest.Option{slapdtest.WithSyncProv()}, WatchAuto, MechanismSyncrepl},
		{"poll without syncprov", nil, WatchAuto, MechanismPollTime},
		{"poll forced", []slapdtest.Option{slapdtest.WithSyncProv()}, WatchPoll, MechanismPollTime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := slapdtest.StartT(t, tc.opts...)
			sink := &recordingSink{}
			w, err := NewWatcher(watchOptions(t, srv), WatchOptions{Mode: tc.mode, PollInterval: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			defer w.Subscribe(sink)()
			waitFor(t, 10*time.Second, "the watch goes live", w.Live)
			if got := w.Mechanism(); got != tc.want {
				t.Fatalf("mechanism %s, want %s", got, tc.want)
			}
			aliceDN := "uid=alice," + slapdtest.PeopleDN
			bobDN := "uid=bob," + slapdtest.PeopleDN
			carolDN := "uid=carol," + slapdtest.PeopleDN
			sink.mu.Lock()
			sink.tracked = []string{NormalizeDN(carolDN)}
			sink.mu.Unlock()
			expect := func(what string, key string, change func() error) {
				t.Helper()
				sink.reset()
				if err := change(); err != nil {
					t.Fatal(err)
				}
				waitFor(t, 2*time.Second, what+": "+key+" delivered", func() bool {
					keys, _ := sink.snapshot()
					return slices.Contains(keys, key)
				})
			}
			expect("password change", "dn:"+NormalizeDN(aliceDN), func() error { return srv.SetPassword(aliceDN, "alice-new-1") })
			expect("removal from a group", "dn:"+NormalizeDN(slapdtest.DevelopersDN), func() error {
				return srv.RemoveFromGroup(slapdtest.DevelopersDN, aliceDN)
			})
			expect("group change names the members", "dn:"+NormalizeDN(bobDN), func() error {
				return srv.AddToGroup(slapdtest.DevelopersDN, bobDN)
			})
			expect("delete", "dn:"+NormalizeDN(carolDN), func() error { return srv.DeleteEntry(carolDN) })

			for _, gap := range []struct {
				name string
				do   func() error
			}{{"restart", srv.Restart}, {"killed connection", func() error { return killWatchConn(w) }}} {
				_, before := sink.snapshot()
				if err := gap.do(); err != nil {
					t.Fatal(err)
				}
				waitFor(t, 15*time.Second, "a resync after the "+gap.name, func() bool {
					_, after := sink.snapshot()
					return after > before && w.Live()
				})
				expect("change after the "+gap.name, "dn:"+NormalizeDN(aliceDN), func() error {
					return srv.SetPassword(aliceDN, "alice-after-"+strings.ReplaceAll(gap.name, " ", "-"))
				})
			}
		})
	}
}

// killWatchConn closes the watch's connection under it, as a network
// failure would.
func killWatchConn(w *Watcher) error {
	if c := w.conn.Load(); c != nil {
		c.Close()
	}
	return nil
}

func TestWatchBases(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   Options
		expect []string
	}{
		{"user and group", Options{SearchBaseDN: "ou=people,dc=x", Groups: GroupOptions{BaseDN: "ou=groups,dc=x"}}, []string{"ou=people,dc=x", "ou=groups,dc=x"}},
		{"group under user", Options{SearchBaseDN: "dc=x", Groups: GroupOptions{BaseDN: "ou=groups,dc=x"}}, []string{"dc=x"}},
		{"user under group", Options{SearchBaseDN: "ou=people,dc=x", Groups: GroupOptions{BaseDN: "dc=x"}}, []string{"dc=x"}},
		{"no groups", Options{SearchBaseDN: "ou=people,dc=x"}, []string{"ou=people,dc=x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.opts.WatchBases(); !slices.Equal(got, tc.expect) {
				t.Fatalf("WatchBases() = %q, want %q", got, tc.expect)
			}
		})
	}
}

func TestChangeKeys(t *testing.T) {
	c := Change{DN: "UID=Alice, ou=People,dc=example,dc=org", ID: "entryUUID:abc", Members: []string{"cn=Dev,ou=groups,dc=example,dc=org", "Bob"}}
	want := []string{"dn:uid=alice,ou=people,dc=example,dc=org", "id:entryUUID:abc", "dn:cn=dev,ou=groups,dc=example,dc=org", "name:bob"}
	if got := c.Keys(); !slices.Equal(got, want) {
		t.Fatalf("Keys() = %q, want %q", got, want)
	}
	id := &Identity{Username: "alice", DN: "uid=alice,ou=people,dc=example,dc=org", ID: "entryUUID:abc", Groups: []Group{{Name: "dev", DN: "cn=dev,ou=groups,dc=example,dc=org"}}}
	deps := DependencyKeys(id)
	for _, k := range c.Keys()[:3] {
		if !slices.Contains(deps, k) {
			t.Errorf("DependencyKeys lacks %q: %q", k, deps)
		}
	}
}

// A watch with nothing to protect ends its goroutine and connection, and
// Wake (a decision was cached) starts it again.
func TestWatcherPausesWhenNothingIsCached(t *testing.T) {
	srv := slapdtest.StartT(t)
	w, err := NewWatcher(watchOptions(t, srv), WatchOptions{PollInterval: 50 * time.Millisecond, IdleAfter: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	sink := &recordingSink{}
	defer w.Subscribe(sink)()
	waitFor(t, 10*time.Second, "the idle watch ends", func() bool { return !w.Running() })
	if w.Live() {
		t.Fatal("a paused watch reports itself live")
	}
	sink.mu.Lock()
	sink.tracked = []string{NormalizeDN("uid=alice," + slapdtest.PeopleDN)}
	sink.mu.Unlock()
	w.Wake()
	waitFor(t, 10*time.Second, "the woken watch goes live", w.Live)
	_, resyncs := sink.snapshot()
	if resyncs == 0 {
		t.Fatal("a watch resumed after a pause did not resync: changes during the pause would be missed")
	}
	if err := srv.SetPassword("uid=alice,"+slapdtest.PeopleDN, "alice-new-2"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "the change delivered", func() bool {
		keys, _ := sink.snapshot()
		return slices.Contains(keys, "dn:"+NormalizeDN("uid=alice,"+slapdtest.PeopleDN))
	})
	if !w.Running() {
		t.Fatal("the watch paused while something was tracked")
	}
}

// TestRetryAfter: a watch whose service account the directory refuses
// must not guess its password again every few seconds (Active Directory
// would lock the account out from under every API using it); a server
// that does not answer is retried on the normal backoff.
func TestRetryAfter(t *testing.T) {
	const backoff = 400 * time.Millisecond
	for _, tc := range []struct {
		name string
		err  error
		want time.Duration
	}{
		{"service account refused", classifyServiceBind(ldap.NewError(ldap.LDAPResultInvalidCredentials, errors.New("data 52e")), "ldaps://dc:636", "cn=svc"), watchRefusedBackoff},
		{"service account locked", classifyServiceBind(ldap.NewError(ldap.LDAPResultInvalidCredentials, errors.New("data 775")), "ldaps://dc:636", "cn=svc"), watchRefusedBackoff},
		{"no answer", classifyServiceBind(ldap.NewError(ldap.ErrorNetwork, io.EOF), "ldaps://dc:636", "cn=svc"), backoff},
		{"directory busy", classifyServiceBind(ldap.NewError(ldap.LDAPResultBusy, errors.New("busy")), "ldaps://dc:636", "cn=svc"), backoff},
		{"refused connection", unavailable("dial", syscall.ECONNREFUSED), backoff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := retryAfter(tc.err, backoff); got != tc.want {
				t.Errorf("retryAfter(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
