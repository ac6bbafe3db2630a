// Command devdir runs a directory to develop against on loopback: the
// sample OpenLDAP directory (TLS on) and phpLDAPadmin pointing at it, until
// SIGINT, SIGTERM or SIGHUP. It prints the UI's address and admin login, the LDAP
// URLs and CA file, and the sample users; ./build.sh devdir runs it.
//
// By default the user test (test123) and the posixGroup testgroup are left
// out, for the tutorial that creates them in the UI; -tutorial=false loads
// the whole sample directory.
//
//	devdir [-port N] [-info FILE] [-gateway-apis DIR -upstream URL]
//
// -info writes the KEY='value' lines of devldap plus LDAP_UI_URL and friends
// (see devdir.Dev.EnvLines); -gateway-apis writes API definitions for the
// demo gateway (see devdir.GatewayAPIs). On exit it stops both servers and
// removes their temporary directories and the info file.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/devdir"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

type config struct {
	opts             devdir.Options
	infoFile         string
	apiDir, upstream string
	pluginPath       string
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("devdir", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defaultPort := 0
	if v := getenv("DEVDIR_PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 65535 {
			return c, fmt.Errorf("DEVDIR_PORT=%q is not a port number", v)
		}
		defaultPort = p
	}
	fs.IntVar(&c.opts.Port, "port", defaultPort, "phpLDAPadmin's port on 127.0.0.1 (default $DEVDIR_PORT, else a free port)")
	fs.BoolVar(&c.opts.Tutorial, "tutorial", true, "leave the user test and the posixGroup testgroup out, to create them in the UI")
	fs.StringVar(&c.opts.DataDir, "data", "", "directory of *.ldif files (default: testdata/ldap of the module)")
	fs.StringVar(&c.opts.RootPassword, "root-password", "", "password of the directory's admin, the UI login (default: random)")
	fs.StringVar(&c.infoFile, "info", "", "write KEY='value' lines describing the directory and the UI to this file (removed on exit)")
	fs.StringVar(&c.apiDir, "gateway-apis", "", "write the demo gateway's API definitions for this directory into this directory")
	fs.StringVar(&c.upstream, "upstream", "", "with -gateway-apis: the APIs' upstream URL")
	fs.StringVar(&c.pluginPath, "plugin-path", "/opt/tyk-gateway/middleware/ldapauth.so", "with -gateway-apis: the APIs' auth_check path")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.opts.Port < 0 || c.opts.Port > 65535 {
		return c, fmt.Errorf("-port %d is not a port number", c.opts.Port)
	}
	if (c.apiDir == "") != (c.upstream == "") {
		return c, fmt.Errorf("-gateway-apis and -upstream go together")
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, getenv, stderr)
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintf(stderr, "devdir: %v\n", err)
		}
		return 2
	}
	if c.opts.DataDir == "" {
		if _, err := slapdtest.DefaultDataDir(); err != nil {
			fmt.Fprintf(stderr, "devdir: %v\ndevdir: run it inside the repository or pass -data DIR\n", err)
			return 1
		}
	}
	d, err := devdir.Start(c.opts)
	if err != nil {
		fmt.Fprintf(stderr, "devdir: %v\n", err)
		return 1
	}
	defer func() {
		if err := d.Stop(); err != nil {
			fmt.Fprintf(stderr, "devdir: stop: %v\n", err)
		}
	}()
	if c.apiDir != "" {
		if _, err := devdir.WriteGatewayAPIs(c.apiDir, devdir.GatewayAPIs(d.LDAP, c.upstream, c.pluginPath)); err != nil {
			fmt.Fprintf(stderr, "devdir: %v\n", err)
			return 1
		}
	}
	// The info file comes last: a script that waits for it may use
	// everything at once.
	if c.infoFile != "" {
		if err := slapdtest.WriteEnvFile(c.infoFile, d.EnvLines()); err != nil {
			fmt.Fprintf(stderr, "devdir: %v\n", err)
			return 1
		}
		defer os.Remove(c.infoFile)
	}
	fmt.Fprint(stdout, d.Banner())
	fmt.Fprintln(stderr, "devdir: running; stop with Ctrl-C (SIGINT), SIGTERM or SIGHUP")
	return watch(ctx, d, stderr)
}

// watch serves until ctx ends (0) or a server dies (1).
func watch(ctx context.Context, d *devdir.Dev, stderr io.Writer) int {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(stderr, "devdir: stopping")
			return 0
		case <-d.UI.Done():
			fmt.Fprintf(stderr, "devdir: php exited unexpectedly; its output:\n%s\n", d.UI.LogTail(20))
			return 1
		case <-tick.C:
			// A Ctrl-C reaches slapd too (it shares the terminal's process
			// group): its exit is then part of stopping.
			if !d.LDAP.Running() && ctx.Err() == nil {
				fmt.Fprintf(stderr, "devdir: slapd exited unexpectedly; log: %s\n", d.LDAP.LogFile())
				return 1
			}
		}
	}
}
