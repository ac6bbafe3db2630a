package redistest

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testserver"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

func TestStartStop(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	pid, dir, addr := s.PID(), s.Dir(), s.Addr()
	if !s.Running() || pid == 0 || !testproc.Alive(pid) {
		t.Fatalf("not running after Start (pid %d)", pid)
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") || s.Port() == 0 {
		t.Fatalf("address %q, port %d", addr, s.Port())
	}
	if want := "redis://" + addr + "/0"; s.URL() != want {
		t.Fatalf("URL %q, want %q", s.URL(), want)
	}
	if got, err := s.Do("PING"); err != nil || got != "PONG" {
		t.Fatalf("PING: %q %v", got, err)
	}
	// The settings the harness promises, as the server reports them.
	opt, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opt)
	defer rc.Close()
	ctx := context.Background()
	for param, want := range map[string]string{"save": "", "appendonly": "no", "bind": "127.0.0.1", "dir": dir} {
		got, err := rc.ConfigGet(ctx, param).Result()
		if err != nil {
			t.Fatalf("CONFIG GET %s: %v", param, err)
		}
		if got[param] != want {
			t.Errorf("%s = %q, want %q", param, got[param], want)
		}
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if s.Running() || testproc.Alive(pid) {
		t.Fatalf("redis-server %d alive after Stop", pid)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("directory %s not removed: %v", dir, err)
	}
	if testserver.Accepts(addr) {
		t.Fatal("port still accepts after Stop")
	}
	if err := s.Restart(); err == nil {
		t.Fatal("Restart after Stop succeeded")
	}
}

func TestKillThenRestartOnSamePort(t *testing.T) {
	s := StartT(t)
	addr, oldPID := s.Addr(), s.PID()
	if _, err := s.Do("SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := s.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if s.Running() || testproc.Alive(oldPID) {
		t.Fatal("running after Kill")
	}
	start := time.Now()
	if testserver.Accepts(addr) {
		t.Fatal("connect succeeded after Kill")
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("refusal took %v, want immediate", d)
	}
	if err := s.Kill(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("second Kill: %v, want ErrNotRunning", err)
	}
	if err := s.Freeze(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Freeze when killed: %v, want ErrNotRunning", err)
	}
	if err := s.Restart(); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if s.Addr() != addr || s.PID() == oldPID {
		t.Fatalf("after Restart: addr %s (was %s), pid %d (was %d)", s.Addr(), addr, s.PID(), oldPID)
	}
	if got, err := s.Do("PING"); err != nil || got != "PONG" {
		t.Fatalf("PING after Restart: %q %v", got, err)
	}
	// Nothing is persisted: a restarted server starts empty.
	if n, err := s.Do("EXISTS", "k"); err != nil || n != "0" {
		t.Fatalf("EXISTS k after Restart: %q %v, want 0", n, err)
	}
}

func TestRestartWhileRunningAndFrozen(t *testing.T) {
	s := StartT(t)
	addr := s.Addr()
	for _, frozen := range []bool{false, true} {
		old := s.PID()
		if frozen {
			if err := s.Freeze(); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Restart(); err != nil {
			t.Fatalf("Restart (frozen %v): %v", frozen, err)
		}
		testutil.WaitGone(t, old, 5*time.Second)
		if s.Addr() != addr {
			t.Fatalf("address changed to %s", s.Addr())
		}
		if got, err := s.Do("PING"); err != nil || got != "PONG" {
			t.Fatalf("PING after Restart (frozen %v): %q %v", frozen, got, err)
		}
	}
}

func TestFreezeThaw(t *testing.T) {
	s := StartT(t)
	if err := s.Freeze(); err != nil {
		t.Fatalf("Freeze: %v", err)
	}
	// The kernel completes the handshake for a stopped process, but no
	// reply comes.
	start := time.Now()
	_, err := roundTrip(s.Addr(), nil, 300*time.Millisecond, "PING")
	if err == nil {
		t.Fatal("PING on a frozen server answered")
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("frozen server failed after %v (%v), want a timeout", d, err)
	}
	if !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("want a timeout, got %v", err)
	}
	if err := s.Thaw(); err != nil {
		t.Fatalf("Thaw: %v", err)
	}
	if got, err := s.Do("PING"); err != nil || got != "PONG" {
		t.Fatalf("PING after Thaw: %q %v", got, err)
	}
}

func TestAuthentication(t *testing.T) {
	const pw = `s3cret "quoted" \ back`
	type probe struct {
		name    string
		auth    []string
		wantErr string // "" = PING answers PONG
	}
	tests := []struct {
		name   string
		opts   []Option
		user   string
		probes []probe
	}{
		{"requirepass", []Option{WithPassword(pw)}, "", []probe{
			{"no auth", nil, "NOAUTH"},
			{"wrong password", []string{"nope"}, "WRONGPASS"},
			{"password", []string{pw}, ""},
			{"default user and password", []string{"default", pw}, ""},
		}},
		{"acl user", []Option{WithUser("gateway", pw)}, "gateway", []probe{
			{"no auth", nil, "NOAUTH"},
			{"password as default user", []string{pw}, "WRONGPASS"},
			{"wrong password", []string{"gateway", "nope"}, "WRONGPASS"},
			{"user and password", []string{"gateway", pw}, ""},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := StartT(t, tc.opts...)
			if s.Username() != tc.user || s.Password() != pw {
				t.Fatalf("credentials %q/%q not as configured", s.Username(), s.Password())
			}
			for _, p := range tc.probes {
				got, err := roundTrip(s.Addr(), p.auth, pingTimeout, "PING")
				if p.wantErr == "" {
					if err != nil || got != "PONG" {
						t.Errorf("%s: %q %v, want PONG", p.name, got, err)
					}
					continue
				}
				var re *ReplyError
				if !errors.As(err, &re) || !strings.HasPrefix(re.Msg, p.wantErr) {
					t.Errorf("%s: %q %v, want a %s reply", p.name, got, err, p.wantErr)
				}
			}
			// Do authenticates with the configured credentials.
			if got, err := s.Do("PING"); err != nil || got != "PONG" {
				t.Fatalf("Do PING: %q %v", got, err)
			}
			// The password is in the 0600 config file, not the command line.
			cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(s.PID()) + "/cmdline")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(cmdline), "s3cret") {
				t.Fatal("password visible in the process list")
			}
			fi, err := os.Stat(s.confPath)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("config file %v mode %v, want 0600", err, fi.Mode().Perm())
			}
		})
	}
}

func TestInvalidCredentialsOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"user without password", Options{Username: "u"}},
		{"user with a space", Options{Username: "a b", Password: "p"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := Start(tc.opts); err == nil {
				s.Stop()
				t.Fatal("Start succeeded")
			}
		})
	}
}
