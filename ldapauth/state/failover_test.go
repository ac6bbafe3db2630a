package state

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/redistest"
)

// While Redis is unreachable the node counts locally (one warning for the
// outage, Redis not asked again until the backoff passes), and after Redis
// answers again it counts there again (one line); no call fails because of
// the outage.
func TestFailoverFallsBackAndRecovers(t *testing.T) {
	s := redistest.StartT(t)
	const timeout = 300 * time.Millisecond
	client, err := NewRedisClient(RedisOptions{Addrs: []string{s.Addr()}}, timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	limits := Limits{Max: 3, Window: time.Minute}
	remote := newAttempts(t, client, limits, timeout)
	local, clock := newTestAttempts(3, time.Minute, 0)
	var logs recordedLogs
	f := NewFailover(remote, local, slog.New(&logs))
	f.now = clock.Now
	ctx := context.Background()

	r, err := f.Reserve(ctx, account("ann"))
	if err != nil {
		t.Fatal(err)
	}
	r.Failed(ctx)
	if n, _ := remote.LockedForErr(ctx, account("ann")); n != 0 || local.size() != 0 {
		t.Fatal("the first failure did not go to Redis alone")
	}

	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err = f.Reserve(ctx, account("ann"))
	if err != nil {
		t.Fatalf("Reserve during the outage: %v", err)
	}
	if d := time.Since(start); d > timeout+200*time.Millisecond {
		t.Fatalf("the first Reserve of the outage took %v, bound is the %v timeout", d, timeout)
	}
	r.Failed(ctx)
	start = time.Now()
	for i := range 2 {
		r, err := f.Reserve(ctx, account("ann"))
		if err != nil {
			t.Fatalf("local reserve %d: %v", i, err)
		}
		r.Failed(ctx)
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("Reserves during the backoff took %v: Redis was asked again", d)
	}
	var le *LockedError
	if _, err := f.Reserve(ctx, account("ann")); !errors.As(err, &le) {
		t.Fatalf("local counting does not hold the bound during the outage: %v", err)
	}
	if n := logs.count("unreachable"); n != 1 {
		t.Fatalf("%d outage warnings, want 1:\n%s", n, logs.all())
	}

	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for logs.count("answers again") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("Redis was not used again after the restart:\n%s", logs.all())
		}
		clock.advance(failoverMaxBackoff) // the backoff has passed for the probe
		if r, err := f.Reserve(ctx, account("bob")); err == nil {
			r.Cancel(ctx)
		}
		time.Sleep(20 * time.Millisecond) // poll interval while go-redis reconnects
	}
	r, err = f.Reserve(ctx, account("cid"))
	if err != nil {
		t.Fatal(err)
	}
	r.Failed(ctx)
	if local.tracks(account("cid")) {
		t.Fatal("after recovery a failure was counted locally")
	}
	if n := logs.count("answers again"); n != 1 {
		t.Fatalf("%d recovery lines, want 1", n)
	}
}

// A failure whose settlement cannot reach Redis is counted locally instead
// of being lost.
func TestFailoverKeepsFailuresWhenSettlingFails(t *testing.T) {
	s := redistest.StartT(t)
	const timeout = 300 * time.Millisecond
	client, err := NewRedisClient(RedisOptions{Addrs: []string{s.Addr()}}, timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	remote := newAttempts(t, client, Limits{Max: 1, Window: time.Minute}, timeout)
	local, _ := newTestAttempts(1, time.Minute, 0)
	f := NewFailover(remote, local, slog.New(&recordedLogs{}))
	ctx := context.Background()
	r, err := f.Reserve(ctx, account("dan"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if !r.Failed(ctx) {
		t.Fatal("the failure was not counted (Max 1 must lock) after Redis died before the settlement")
	}
	if local.LockedFor(ctx, account("dan")) == 0 {
		t.Fatal("the local counter does not hold the lock")
	}
}

// A lock is written to both sides, so it holds through an outage.
func TestFailoverLocksSurviveAnOutage(t *testing.T) {
	s := redistest.StartT(t)
	client, err := NewRedisClient(RedisOptions{Addrs: []string{s.Addr()}}, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	remote := newAttempts(t, client, Limits{Max: 3, Window: time.Minute}, 300*time.Millisecond)
	local, _ := newTestAttempts(3, time.Minute, 0)
	f := NewFailover(remote, local, slog.New(&recordedLogs{}))
	ctx := context.Background()
	f.Lock(ctx, account("eve"), time.Minute)
	if d, _ := remote.LockedForErr(ctx, account("eve")); d == 0 {
		t.Fatal("the lock did not reach Redis")
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if f.LockedFor(ctx, account("eve")) == 0 {
		t.Fatal("the lock is gone while Redis is down")
	}
	if _, err := f.Reserve(ctx, account("eve")); err == nil {
		t.Fatal("a locked account got an attempt during the outage")
	}
}

func TestParseRedisURL(t *testing.T) {
	tests := []struct {
		url     string
		want    RedisOptions
		wantErr string
	}{
		{"redis://127.0.0.1:6380/2", RedisOptions{Addrs: []string{"127.0.0.1:6380"}, DB: 2}, ""},
		{"redis://redis.internal", RedisOptions{Addrs: []string{"redis.internal:6379"}}, ""},
		{"rediss://user:pw@redis.internal:6380", RedisOptions{Addrs: []string{"redis.internal:6380"}, TLS: true, Username: "user", Password: "pw"}, ""},
		{"http://x", RedisOptions{}, "scheme"},
		{"redis://:hunter2@x/db", RedisOptions{}, "database number"},
		{"redis://x?dial_timeout=1s", RedisOptions{}, "query"},
	}
	for _, tt := range tests {
		got, err := ParseRedisURL(tt.url)
		if tt.wantErr != "" {
			if err == nil || !containsFold(err.Error(), tt.wantErr) {
				t.Errorf("%s: err %v, want one about %q", tt.url, err, tt.wantErr)
			}
			if err != nil && containsFold(err.Error(), "hunter2") {
				t.Errorf("%s: the error repeats the password", tt.url)
			}
			continue
		}
		if err != nil || got.Addrs[0] != tt.want.Addrs[0] || got.DB != tt.want.DB || got.TLS != tt.want.TLS ||
			got.Username != tt.want.Username || got.Password != tt.want.Password {
			t.Errorf("%s: %+v %v, want %+v", tt.url, got, err, tt.want)
		}
	}
}

// The client the plugin builds works against a real 3-master cluster, and
// the attempt bound holds there.
func TestRedisClientOnACluster(t *testing.T) {
	c, err := redistest.StartCluster(redistest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	client, err := NewRedisClient(RedisOptions{Addrs: c.Addrs()[:1], Cluster: true}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	a := newAttempts(t, client, Limits{Max: 2, Window: time.Minute}, time.Second)
	ctx := context.Background()
	for i := range 2 {
		r, err := a.Reserve(ctx, account("fay"))
		if err != nil {
			t.Fatalf("reserve %d: %v", i, err)
		}
		r.Failed(ctx)
	}
	if _, err := a.Reserve(ctx, account("fay")); err == nil {
		t.Fatal("the bound does not hold on the cluster")
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
