// Command ldapauth-check runs one API's LDAP configuration against the
// real directory with one user's credentials, and shows every step the
// gateway would take: the configuration check, each server dialled, TLS
// and the certificates presented, the service bind, the searches, the user
// bind, the identity, the groups, the access rules, the session, and the
// answer the gateway would give, with advice for the step that failed.
//
// Usage:
//
//	ldapauth-check [flags] FILE USERNAME [flags]
//
// FILE is a classic or Tyk OAS API definition, or a bare plugin
// configuration object. The password is read from the terminal without
// echo, from the first line of standard input when that is not a terminal,
// or from the environment variable named by -password-env. See
// docs/check.md for the flags, the JSON schema and the exit codes.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/check"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/version"
)

// Exit codes (docs/check.md).
const (
	exitGranted     = 0 // the gateway would let the user in (200)
	exitDenied      = 1 // the user is refused: 401, 403, 429
	exitConfig      = 2 // usage error, or the file or configuration is invalid
	exitUnavailable = 3 // the directory cannot be used as configured: 500 or 503 after talking to it
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// flags are the command line's settings.
type flags struct {
	json        bool
	passwordEnv string
	urls        []string
	caFile      string
	version     bool
}

func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	var f flags
	fs := flag.NewFlagSet("ldapauth-check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(fs, stderr) }
	fs.BoolVar(&f.json, "json", false, "print the report as JSON (schema in docs/check.md)")
	fs.StringVar(&f.passwordEnv, "password-env", "", "read the password from the environment variable `NAME`")
	fs.Func("url", "use this directory `URL` instead of the configuration's urls or domain (repeat for several, tried in order)", func(v string) error {
		f.urls = append(f.urls, v)
		return nil
	})
	fs.BoolVar(&f.version, "version", false, "print the build (release, build id, Go release) and exit")
	fs.StringVar(&f.caFile, "ca-file", "", "use this CA certificate `FILE` (PEM) instead of tls_ca_file / tls_ca_pem")
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitGranted
	}
	if err != nil {
		return exitConfig
	}
	if f.version {
		fmt.Fprintln(stdout, version.Get())
		return exitGranted
	}
	if len(positional) != 2 {
		fmt.Fprintf(stderr, "ldapauth-check: expected FILE and USERNAME, got %d argument(s)\n", len(positional))
		usage(fs, stderr)
		return exitConfig
	}
	file, username := positional[0], positional[1]
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "ldapauth-check: %v\n", err)
		return exitConfig
	}
	// The file and its configuration are checked before anyone is asked
	// for a password: a broken file ends the check here.
	prepared, report := check.Prepare(check.Options{File: file, Data: data, Username: username, URLs: f.urls, CAFile: f.caFile})
	if prepared != nil {
		password, err := readPassword(f.passwordEnv, username, stdin, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "ldapauth-check: %v\n", err)
			return exitConfig
		}
		report = prepared.Run(password)
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(report)
	} else {
		err = report.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ldapauth-check: writing the report: %v\n", err)
		return exitConfig
	}
	return exitCode(report)
}

// parseInterspersed lets flags come before, between or after FILE and
// USERNAME, as "./build.sh check FILE USERNAME -json" writes them.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// exitCode maps the verdict to the documented exit codes.
func exitCode(r *check.Report) int {
	switch {
	case r.Granted():
		return exitGranted
	case r.Verdict.Status == 401 || r.Verdict.Status == 403 || r.Verdict.Status == 429:
		return exitDenied
	case r.Verdict.Status == 0 || r.Verdict.Step == "config" || len(r.ConfigErrors) > 0:
		return exitConfig
	}
	return exitUnavailable
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `Usage: ldapauth-check [flags] FILE USERNAME [flags]

Runs FILE's LDAP configuration against the directory with USERNAME's
credentials, as the gateway would, and explains every step.

FILE      a classic or Tyk OAS API definition, or a bare plugin configuration
USERNAME  the username a client would send

The password is read from the terminal without echo, from the first line of
standard input when it is not a terminal, or from -password-env.

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, `
Exit status: 0 the user would be let in (200); 1 refused (401, 403, 429);
2 usage error or invalid file/configuration; 3 the directory cannot be used
as configured (500 or 503 after asking it).
`)
}

// trimLineEnd removes the line ending a terminal or a pipe adds, and
// nothing else: passwords may start or end with spaces.
func trimLineEnd(s string) string {
	return strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
}
