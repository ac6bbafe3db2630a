// Command devldap runs the sample OpenLDAP directory of tyk-ldap-auth on
// loopback until SIGINT, SIGTERM or SIGHUP, for demos and manual testing.
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
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
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
	var users []slapdtest.SampleUser
	if *dataDir == "" {
		users = slapdtest.SampleUsers()
	}
	info := slapdtest.EnvLines(s, users)
	fmt.Fprint(stdout, info)
	if *infoFile != "" {
		if err := slapdtest.WriteEnvFile(*infoFile, info); err != nil {
			fmt.Fprintf(stderr, "devldap: %v\n", err)
			return 1
		}
		defer os.Remove(*infoFile)
	}
	fmt.Fprintln(stderr, "devldap: running; stop with Ctrl-C (SIGINT), SIGTERM or SIGHUP")
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
