package slapdtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvLines describes a running server as shell-friendly KEY='value' lines
// (URLs, CA files, DNs, the rootdn and service-account credentials), then
// each of users with its DN and password. sh, bash and simple env-file
// parsers read them alike; the tools that print them (devldap, devdir) and
// the scripts that source them (the demo) share these names.
func EnvLines(s *Server, users []SampleUser) string {
	var b strings.Builder
	kv := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, ShellQuote(v)) }
	fmt.Fprintf(&b, "# slapd pid %d\n", s.PID())
	kv("LDAP_URL", s.URL())
	kv("LDAP_STARTTLS_URL", s.StartTLSURL())
	kv("LDAPS_URL", s.LDAPSURL())
	kv("LDAP_CA_FILE", s.CAFile())
	kv("LDAP_WRONG_CA_FILE", s.WrongCAFile())
	kv("LDAP_BASE_DN", s.BaseDN())
	kv("LDAP_PEOPLE_DN", PeopleDN)
	kv("LDAP_GROUPS_DN", GroupsDN)
	kv("LDAP_BIND_DN", ServiceAccountDN)
	kv("LDAP_BIND_PASSWORD", ServiceAccountPassword)
	kv("LDAP_ROOT_DN", s.RootDN())
	kv("LDAP_ROOT_PASSWORD", s.RootPassword())
	kv("LDAP_LDAPI_URL", s.LDAPIURL())
	kv("LDAP_DIR", s.Dir())
	kv("LDAP_LOG_FILE", s.LogFile())
	if len(users) > 0 {
		var keys []string
		for _, u := range users {
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

// ShellQuote wraps v in single quotes; each quote inside it is closed,
// written as \' and reopened.
func ShellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// WriteEnvFile writes content to path (mode 0600) through a rename, so a
// script polling for the file never reads half of it.
func WriteEnvFile(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".env-*")
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
		_ = os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
