package ldapauth

import (
	"errors"
	"io"
	"os"
	"strings"
)

// Secret holds a credential from the configuration. Its String and GoString
// methods redact it, so printing a Config with %v or %#v cannot leak it.
type Secret string

func (Secret) String() string   { return "[redacted]" }
func (Secret) GoString() string { return "[redacted]" }

// Reveal returns the secret's text, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

const maxSecretFileSize = 64 << 10

// secret reads a secret-bearing key. Three forms are accepted:
//   - "env://NAME": read from the gateway's environment now. Tyk substitutes
//     env:// itself when it loads an API, but leaves the literal text when the
//     variable is unset (and, before 5.14, never for OAS APIs); resolving it
//     here works on every version, and an unset variable is an error, never
//     a password.
//   - "file:///path": the file's content without a trailing newline, so
//     Docker and Kubernetes secrets can be mounted as files.
//   - anything else: the value itself.
func (d *decoder) secret(key string) Secret {
	v, ok := d.lookup(key)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		d.fail(key, "must be a string, got %s", describe(v))
		return ""
	}
	switch {
	case strings.HasPrefix(s, "env://"):
		name := strings.TrimPrefix(s, "env://")
		if name == "" {
			d.fail(key, "env:// needs a variable name, e.g. env://LDAP_BIND_PASSWORD")
			return ""
		}
		value, set := os.LookupEnv(name)
		if !set || value == "" {
			d.fail(key, "environment variable %s is not set (or empty) in the gateway's environment", name)
			return ""
		}
		return Secret(value)
	case strings.HasPrefix(s, "file://"):
		path := strings.TrimPrefix(s, "file://")
		if !strings.HasPrefix(path, "/") {
			d.fail(key, "file:// needs an absolute path, e.g. file:///run/secrets/ldap-bind-password")
			return ""
		}
		data, err := readSmallFile(path)
		if err != nil {
			d.fail(key, "cannot read %s: %v", path, err)
			return ""
		}
		value := strings.TrimRight(string(data), "\r\n")
		if value == "" {
			d.fail(key, "file %s is empty", path)
			return ""
		}
		return Secret(value)
	}
	if ref := unresolvedReference(s); ref != "" {
		d.fail(key, "still reads %q: the gateway did not substitute it (is the secret set?)", ref)
		return ""
	}
	return Secret(s)
}

func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSecretFileSize {
		return nil, errors.New("file larger than 64 KiB")
	}
	return data, nil
}
