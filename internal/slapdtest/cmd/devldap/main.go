// Command devldap runs the sample OpenLDAP directory of tyk-ldap-auth on
// loopback until SIGINT or SIGTERM, for demos and manual testing.
//
// It prints (and with -info writes) shell-friendly KEY='value' lines: the
// URLs, CA files, DNs and the sample users with their passwords, so
//
//	devldap -info /tmp/ldap.env & ... ; . /tmp/ldap.env
//
// gives a script everything it needs. On exit it stops slapd and removes
// its temporary directory and the info file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("devldap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "directory of *.ldif files (default: testdata/ldap of the module)")
	infoFile := fs.String("info", "", "also write the KEY='value' lines to this file (removed on exit)")
	stats := fs.Bool("stats", true, "run slapd with its stats log (per-operation lines in LDAP_LOG_FILE)")
	rootPW := fs.String("root-password", "", "rootdn password (default: random)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "devldap: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *dataDir == "" {
		if _, err := slapdtest.DefaultDataDir(); err != nil {
			fmt.Fprintf(stderr, "devldap: %v\ndevldap: run it inside the repository or pass -data DIR\n", err)
			return 1
		}
	}
	s, err := slapdtest.Start(slapdtest.Options{DataDir: *dataDir, DisableStats: !*stats, RootPassword: *rootPW})
	if err != nil {
		fmt.Fprintf(stderr, "devldap: %v\n", err)
		return 1
	}
	defer func() {
		if err := s.Stop(); err != nil {
			fmt.Fprintf(stderr, "devldap: stop: %v\n", err)
		}
	}()
	info := infoLines(s, *dataDir == "")
	fmt.Fprint(stdout, info)
	if *infoFile != "" {
		if err := writeAtomic(*infoFile, info); err != nil {
			fmt.Fprintf(stderr, "devldap: %v\n", err)
			return 1
		}
		defer os.Remove(*infoFile)
	}
	fmt.Fprintln(stderr, "devldap: running; stop with Ctrl-C (SIGINT) or SIGTERM")
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(stderr, "devldap: stopping")
			return 0
		case <-tick.C:
			if !s.Running() {
				fmt.Fprintf(stderr, "devldap: slapd exited unexpectedly; log: %s\n", s.LogFile())
				return 1
			}
		}
	}
}

// infoLines renders KEY='value' lines that sh, bash and docker --env-file
// style parsers of the simple kind read alike.
func infoLines(s *slapdtest.Server, sample bool) string {
	var b strings.Builder
	kv := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, shellQuote(v)) }
	fmt.Fprintf(&b, "# devldap: slapd pid %d\n", s.PID())
	kv("LDAP_URL", s.URL())
	kv("LDAP_STARTTLS_URL", s.StartTLSURL())
	kv("LDAPS_URL", s.LDAPSURL())
	kv("LDAP_CA_FILE", s.CAFile())
	kv("LDAP_WRONG_CA_FILE", s.WrongCAFile())
	kv("LDAP_BASE_DN", s.BaseDN())
	kv("LDAP_PEOPLE_DN", slapdtest.PeopleDN)
	kv("LDAP_GROUPS_DN", slapdtest.GroupsDN)
	kv("LDAP_BIND_DN", slapdtest.ServiceAccountDN)
	kv("LDAP_BIND_PASSWORD", slapdtest.ServiceAccountPassword)
	kv("LDAP_ROOT_DN", s.RootDN())
	kv("LDAP_ROOT_PASSWORD", s.RootPassword())
	kv("LDAP_LDAPI_URL", s.LDAPIURL())
	kv("LDAP_DIR", s.Dir())
	kv("LDAP_LOG_FILE", s.LogFile())
	if sample {
		var keys []string
		for _, u := range slapdtest.SampleUsers() {
			keys = append(keys, u.Key)
			fmt.Fprintf(&b, "# %s: %s\n", u.Key, u.Note)
			kv("LDAP_USER_"+u.Key+"_UID", u.UID)
			kv("LDAP_USER_"+u.Key+"_DN", u.DN)
			kv("LDAP_USER_"+u.Key+"_PASSWORD", u.Password)
		}
		kv("LDAP_USERS", strings.Join(keys, " "))
	}
	return b.String()
}

// shellQuote wraps v in single quotes; a quote inside becomes '\”.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// writeAtomic lets a script poll for the file and never read half of it.
func writeAtomic(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".devldap-*")
	if err != nil {
		return err
	}
	_, werr := tmp.WriteString(content)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
