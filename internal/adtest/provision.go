package adtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
)

// provisionTimeout bounds samba-tool domain provision (about 4-6 s here,
// up to 15 s on a loaded machine).
const provisionTimeout = 3 * time.Minute

// ldbTimeout bounds each offline ldbmodify run.
const ldbTimeout = time.Minute

// tlsDir is where a DC's certificate files live, relative to its directory.
const tlsDir = "tls"

// provisionArgs are the samba-tool arguments that provision dir. The TLS
// paths point into dir/tls, written per DC (see writeTLS): Samba's
// self-generated certificate has no subjectAltName, which Go refuses.
func provisionArgs(dir, adminPassword string) []string {
	return []string{
		"domain", "provision",
		"--targetdir=" + dir,
		"--realm=" + Realm,
		"--domain=" + Domain,
		"--host-name=" + HostName,
		"--server-role=dc",
		"--dns-backend=NONE",
		"--use-rfc2307",
		"--adminpass=" + adminPassword,
		"--option=interfaces=lo",
		"--option=bind interfaces only=yes",
		"--option=pid directory=" + dir,
		// samba -i logs to stdout; this keeps any other log in dir too.
		"--option=log file=" + filepath.Join(dir, "log.%m"),
		"--option=tls enabled=yes",
		"--option=tls keyfile=" + filepath.Join(dir, tlsDir, "server-key.pem"),
		"--option=tls certfile=" + filepath.Join(dir, tlsDir, "server.pem"),
		"--option=tls cafile=" + filepath.Join(dir, tlsDir, "ca.pem"),
	}
}

// provisionArgs are provisionArgs with the DNS server when o.DNS is set.
func (o Options) provisionArgs(dir, adminPassword string) []string {
	args := provisionArgs(dir, adminPassword)
	if o.DNS {
		args = append(args, dnsProvisionArgs()...)
	}
	return args
}

// dnsProvisionArgs replace --dns-backend=NONE (samba-tool takes the last
// one): Samba's internal DNS server, with the zone holding the DC's own
// records (the SRV records Windows clients look DCs up by). samba-tool
// drops 127.0.0.1 as a host address, so the DC's host record is ::1 (an
// AAAA record), where samba listens too.
func dnsProvisionArgs() []string {
	return []string{"--dns-backend=SAMBA_INTERNAL", "--host-ip6=::1"}
}

// newAdminPassword satisfies the default complexity rule that is still on
// while provisioning (upper case, lower case, a symbol).
func newAdminPassword() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "Adm-" + hex.EncodeToString(b), nil
}

// provision creates a domain in dir (which must exist and be empty) and
// loads the sample data offline, before any samba runs on it.
func provision(opts Options, dir, adminPassword string) error {
	if err := os.MkdirAll(filepath.Join(dir, tlsDir), 0o700); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), provisionTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, opts.SambaToolPath, opts.provisionArgs(dir, adminPassword)...)
	if out, err := runQuiet(cmd); err != nil {
		// samba-tool runs without samba-ad-provision's data files, then
		// fails here: repeat the hint.
		return fmt.Errorf("adtest: samba-tool domain provision: %v (%s)\n%s", err, InstallHint, redact(out, adminPassword))
	}
	if err := ldbModify(opts, dir, policyLDIF()+sampleLDIF()); err != nil {
		return err
	}
	return ldbModify(opts, dir, expiredLDIF(), "--controls="+bypassLastSetControl)
}

// ldbModify applies ldif to the domain's sam.ldb directly (samba must not
// be running on dir). Samba's ldb modules are loaded as they are in the
// server, so passwords are hashed and memberOf is maintained.
func ldbModify(opts Options, dir, ldif string, extra ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), ldbTimeout)
	defer cancel()
	args := append([]string{
		"-H", "tdb://" + filepath.Join(dir, "private", "sam.ldb"),
		"--configfile=" + filepath.Join(dir, "etc", "smb.conf"),
	}, extra...)
	cmd := exec.CommandContext(ctx, opts.LDBModifyPath, args...)
	cmd.Stdin = strings.NewReader(ldif)
	if out, err := runQuiet(cmd); err != nil {
		return fmt.Errorf("adtest: ldbmodify: %v\n%s", err, out)
	}
	return nil
}

// runQuiet runs cmd (dying with the test binary) and returns its combined
// output.
func runQuiet(cmd *exec.Cmd) (string, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = testproc.SysProcAttr()
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

// redact hides a secret that a program echoed back.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "<redacted>")
}

// sambaVersion is `samba --version` (e.g. "Version 4.17.12-Debian"); it
// keys the template cache.
func sambaVersion(opts Options) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := runQuiet(exec.CommandContext(ctx, opts.SambaPath, "--version"))
	if err != nil {
		return "", fmt.Errorf("adtest: samba --version: %v\n%s", err, out)
	}
	return out, nil
}
