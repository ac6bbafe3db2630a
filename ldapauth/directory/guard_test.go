package directory

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// recorder is a BindGuard that logs every call, and can log the
// Directory's operations (through the test hook) in the same sequence.
type recorder struct {
	mu       sync.Mutex
	events   []string
	keys     []string
	outcomes []BindOutcome
	refuse   error // returned by the guard when set
}

func (r *recorder) add(event string) {
	r.mu.Lock()
	r.events = append(r.events, event)
	r.mu.Unlock()
}

func (r *recorder) guard(_ context.Context, account string) (BindDone, error) {
	r.mu.Lock()
	r.keys = append(r.keys, account)
	r.events = append(r.events, "guard "+account)
	refuse := r.refuse
	r.mu.Unlock()
	if refuse != nil {
		return nil, refuse
	}
	return func(o BindOutcome) {
		r.mu.Lock()
		r.outcomes = append(r.outcomes, o)
		r.events = append(r.events, "done "+o.String())
		r.mu.Unlock()
	}, nil
}

// watch logs each LDAP operation the Directory starts.
func (r *recorder) watch(d *Directory) { setHook(d, func(op string) { r.add("op " + op) }) }

func (r *recorder) snapshot() (events, keys []string, outcomes []BindOutcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events), slices.Clone(r.keys), slices.Clone(r.outcomes)
}

const aliceKey = "dn:uid=alice,ou=people,dc=example,dc=org"

// The guard runs once, right before the user's bind, with the same key for
// every spelling of alice in both strategies.
func TestGuardKeyAndOrder(t *testing.T) {
	srv := sharedLDAP(t)
	tests := []struct {
		strategy string
		options  func(testing.TB, *slapdtest.Server) Options
		want     []string
	}{
		{"search", searchOptions, []string{"op search", "guard " + aliceKey, "op bind", "done succeeded"}},
		// Without a service account the entry is read after the bind.
		{"direct", directOptions, []string{"guard " + aliceKey, "op bind", "done succeeded", "op search"}},
	}
	for _, tt := range tests {
		d := newDirectory(t, tt.options(t, srv))
		for _, spelling := range []string{"alice", "Alice", "ALICE", " alice", "alice "} {
			t.Run(tt.strategy+"/"+spelling, func(t *testing.T) {
				r := &recorder{}
				r.watch(d)
				if _, err := d.Authenticate(context.Background(), spelling, "alice-pass-1", r.guard); err != nil {
					t.Fatal(err)
				}
				if events, _, _ := r.snapshot(); !slices.Equal(events, tt.want) {
					t.Fatalf("events %q, want %q", events, tt.want)
				}
			})
		}
	}
	// slapd returns jsmith's DN with the comma as \2C; the key is the
	// normalised form.
	r := &recorder{}
	d := newDirectory(t, searchOptions(t, srv))
	if _, err := d.Authenticate(context.Background(), "jsmith", "jsmith-pass-1", r.guard); err != nil {
		t.Fatal(err)
	}
	if _, keys, _ := r.snapshot(); !slices.Equal(keys, []string{`dn:cn=smith\, john,ou=people,dc=example,dc=org`}) {
		t.Fatalf("jsmith keys %q", keys)
	}
}

func TestGuardOutcomes(t *testing.T) {
	srv := sharedLDAP(t)
	for _, st := range strategies {
		d := newDirectory(t, st.options(t, srv))
		tests := []struct {
			user, password string
			wantKind       Kind
			wantOutcomes   []BindOutcome
		}{
			{"alice", "alice-pass-1", 0, []BindOutcome{BindSucceeded}},
			{"alice", "wrong", KindInvalidCredentials, []BindOutcome{BindRejected}},
		}
		if st.name == "search" {
			// An unknown user is counted as a wrong password, so lockout
			// does not tell which usernames exist.
			tests = append(tests, struct {
				user, password string
				wantKind       Kind
				wantOutcomes   []BindOutcome
			}{"nobody", "whatever", KindInvalidCredentials, []BindOutcome{BindRejected}})
		}
		for _, tt := range tests {
			t.Run(st.name+"/"+tt.user+"/"+tt.password, func(t *testing.T) {
				r := &recorder{}
				_, err := d.Authenticate(context.Background(), tt.user, tt.password, r.guard)
				if KindOf(err) != tt.wantKind {
					t.Fatalf("kind %v (%v), want %v", KindOf(err), err, tt.wantKind)
				}
				if _, _, outcomes := r.snapshot(); !slices.Equal(outcomes, tt.wantOutcomes) {
					t.Fatalf("outcomes %v, want %v", outcomes, tt.wantOutcomes)
				}
			})
		}
	}
}

// A bind that never gets its answer (the server dies under it) reports
// BindNoAnswer.
func TestGuardOutcomeNoAnswer(t *testing.T) {
	srv := slapdtest.StartT(t)
	d := newDirectory(t, fastTimeouts(directOptions(t, srv)))
	var once sync.Once
	setHook(d, func(op string) {
		if op == "bind" {
			once.Do(func() {
				if err := srv.Kill(); err != nil {
					t.Error(err)
				}
			})
		}
	})
	r := &recorder{}
	_, err := d.Authenticate(context.Background(), "alice", "alice-pass-1", r.guard)
	if KindOf(err) != KindUnavailable {
		t.Fatalf("kind %v (%v), want unavailable", KindOf(err), err)
	}
	if _, _, outcomes := r.snapshot(); !slices.Equal(outcomes, []BindOutcome{BindNoAnswer}) {
		t.Fatalf("outcomes %v, want [no answer]", outcomes)
	}
	setHook(d, nil)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	mustAuthenticate(t, d, "alice", "alice-pass-1")
	poolsIdle(t, d)
}

// A refusing guard stops the bind: the password never reaches slapd, the
// guard's error is wrapped, and done is not called.
func TestGuardRefusal(t *testing.T) {
	srv := sharedLDAP(t)
	alice := sampleUser(t, "ALICE")
	tooMany := errors.New("too many attempts for this account")
	for _, st := range strategies {
		t.Run(st.name, func(t *testing.T) {
			d := newDirectory(t, st.options(t, srv))
			r := &recorder{refuse: tooMany}
			before := counters(t, srv)
			id, err := d.Authenticate(context.Background(), "Alice", alice.Password, r.guard)
			if KindOf(err) != KindRefused || !errors.Is(err, tooMany) || id != nil {
				t.Fatalf("identity %v, error %v; want KindRefused wrapping the guard's error", id, err)
			}
			if de, _ := AsError(err); st.name == "search" && de.User != "alice" {
				t.Fatalf("refusal names user %q, want alice (the entry was found first)", de.User)
			}
			diff := counters(t, srv).Sub(before)
			if binds := userBinds(diff); len(binds) != 0 {
				t.Fatalf("binds reached slapd despite the refusal: %v", binds)
			}
			if _, keys, outcomes := r.snapshot(); !slices.Equal(keys, []string{aliceKey}) || len(outcomes) != 0 {
				t.Fatalf("guard keys %q, outcomes %v", keys, outcomes)
			}
			if down, _ := endpointState(d.endpoints[0]); down {
				t.Fatal("a refusal marked the server down")
			}
			poolsIdle(t, d)
			// The connection used for the refused attempt is still good.
			if _, err := d.Authenticate(context.Background(), "alice", alice.Password, (&recorder{}).guard); err != nil {
				t.Fatalf("next attempt: %v", err)
			}
		})
	}
}

// panicked runs f and returns what it panicked with (nil if it returned).
func panicked(f func()) (value any) {
	defer func() { value = recover() }()
	f()
	return nil
}

type injected struct{ op string }

// A panic inside an LDAP operation propagates to the caller, yet done is
// called exactly once, every connection goes back (closed), no probe
// claim is left behind, and the next request works.
func TestPanicInsideOperations(t *testing.T) {
	srv := sharedLDAP(t)
	withGroups := func(t testing.TB, s *slapdtest.Server) Options {
		o := searchOptions(t, s)
		o.Groups = searchGroups(t)
		return o
	}
	tests := []struct {
		name    string
		options func(testing.TB, *slapdtest.Server) Options
		op      string
		nth     int // panic on the nth operation of that kind
		// wantOutcomes: what done received (nil: the guard was never
		// consulted because the panic came first).
		wantOutcomes []BindOutcome
	}{
		{"search: panic in the bind", searchOptions, "bind", 1, []BindOutcome{BindNoAnswer}},
		{"direct: panic in the bind", directOptions, "bind", 1, []BindOutcome{BindNoAnswer}},
		{"search: panic in the user search", searchOptions, "search", 1, nil},
		{"search: panic in the group search", withGroups, "search", 2, []BindOutcome{BindSucceeded}},
		{"direct: panic reading the entry", directOptions, "search", 1, []BindOutcome{BindSucceeded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDirectory(t, tt.options(t, srv))
			mustAuthenticate(t, d, "alice", "alice-pass-1") // pooled connections exist
			idleBefore := idleConnections(d)
			seen := 0
			var mu sync.Mutex
			setHook(d, func(op string) {
				mu.Lock()
				defer mu.Unlock()
				if op == tt.op {
					if seen++; seen == tt.nth {
						panic(injected{op})
					}
				}
			})
			r := &recorder{}
			got := panicked(func() { _, _ = d.Authenticate(context.Background(), "alice", "alice-pass-1", r.guard) })
			if got != (injected{tt.op}) {
				t.Fatalf("panic value %v, want the injected panic", got)
			}
			if _, _, outcomes := r.snapshot(); !slices.Equal(outcomes, tt.wantOutcomes) {
				t.Fatalf("done received %v, want %v", outcomes, tt.wantOutcomes)
			}
			poolsIdle(t, d)
			// The connection the panic interrupted is in an unknown state:
			// closed, not kept.
			if n := idleConnections(d); n != idleBefore-1 {
				t.Fatalf("%d idle connections after the panic, %d before; want the interrupted one closed", n, idleBefore)
			}
			if down, probing := endpointState(d.endpoints[0]); down || probing {
				t.Fatalf("after the panic: down %v, probing %v", down, probing)
			}
			setHook(d, nil)
			r2 := &recorder{}
			if _, err := d.Authenticate(context.Background(), "alice", "alice-pass-1", r2.guard); err != nil {
				t.Fatalf("next request: %v", err)
			}
			if _, _, outcomes := r2.snapshot(); !slices.Equal(outcomes, []BindOutcome{BindSucceeded}) {
				t.Fatalf("next request outcomes %v", outcomes)
			}
			poolsIdle(t, d)
		})
	}
}

func TestBindOutcomeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want BindOutcome
	}{
		{"success", nil, BindSucceeded},
		{"rejected", invalidCredentials("x", nil), BindRejected},
		{"locked", &Error{Kind: KindInvalidCredentials, Locked: true}, BindLocked},
		{"unavailable", unavailable("x", nil), BindNoAnswer},
		{"misconfigured", misconfigured("x", nil), BindNoAnswer},
		{"plain transport error", errors.New("connection reset"), BindNoAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bindOutcome(tt.err); got != tt.want {
				t.Fatalf("bindOutcome = %v, want %v", got, tt.want)
			}
		})
	}
	// Logs tell the outcomes apart.
	names := map[string]bool{}
	for _, o := range []BindOutcome{BindSucceeded, BindRejected, BindLocked, BindNoAnswer} {
		names[strings.TrimSpace(o.String())] = true
	}
	if len(names) != 4 || names[""] {
		t.Errorf("outcome names %v are not four distinct names", names)
	}
}

// A bind the directory received but never answered (slapd frozen mid-bind,
// the gateway's request_timeout ends the wait) reports BindUnanswered, so
// the guard counts it: the directory may have judged the password.
func TestGuardCountsAnUnansweredBind(t *testing.T) {
	srv := slapdtest.StartT(t)
	opts := directOptions(t, srv)
	opts.RequestTimeout = 300 * time.Millisecond
	d := newDirectory(t, opts)
	r := &recorder{}
	var froze sync.Once
	setHook(d, func(op string) {
		if op == "bind" {
			froze.Do(func() {
				if err := srv.Freeze(); err != nil {
					t.Error(err)
				}
			})
		}
	})
	t.Cleanup(func() { _ = srv.Thaw() })
	_, err := d.Authenticate(context.Background(), "alice", "guess-1", r.guard)
	if err == nil {
		t.Fatal("a frozen directory authenticated alice")
	}
	if _, _, outcomes := r.snapshot(); !slices.Equal(outcomes, []BindOutcome{BindUnanswered}) {
		t.Fatalf("outcomes %v, want [unanswered] (error: %v)", outcomes, err)
	}
}
