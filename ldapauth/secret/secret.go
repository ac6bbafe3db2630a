// Package secret holds credentials taken from configuration so that they
// cannot leak through formatting, and resolves the references operators
// write instead of the credential itself.
package secret

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Value is a credential: a bind password, a session key secret, a Redis
// password. Its String and GoString methods redact it, so printing a struct
// that holds one with %v or %#v cannot leak it.
type Value string

func (Value) String() string   { return "[redacted]" }
func (Value) GoString() string { return "[redacted]" }

// Reveal returns the credential's text, for the one place that sends it.
func (v Value) Reveal() string { return string(v) }

// maxFileSize bounds what a file:// reference may read.
const maxFileSize = 64 << 10

// Resolve turns what an operator wrote into the credential:
//   - "env://NAME": the variable from the gateway's environment. Tyk
//     substitutes env:// itself when it loads an API, but leaves the literal
//     text when the variable is unset; an unset or empty variable is an
//     error, never a password.
//   - "file:///path": the file's content without a trailing newline, so
//     Docker and Kubernetes secrets can be mounted as files.
//   - "secrets://", "consul://", "vault://": references the gateway should
//     have substituted; still present means it could not, which is an error.
//   - anything else: the value itself.
//
// Error messages name the reference, never a value.
func Resolve(text string) (Value, error) {
	switch {
	case strings.HasPrefix(text, "env://"):
		name := strings.TrimPrefix(text, "env://")
		if name == "" {
			return "", errors.New("env:// needs a variable name, e.g. env://LDAP_BIND_PASSWORD")
		}
		value, set := os.LookupEnv(name)
		if !set || value == "" {
			return "", fmt.Errorf("environment variable %s is not set (or empty) in the gateway's environment", name)
		}
		return Value(value), nil
	case strings.HasPrefix(text, "file://"):
		path := strings.TrimPrefix(text, "file://")
		if !strings.HasPrefix(path, "/") {
			return "", errors.New("file:// needs an absolute path, e.g. file:///run/secrets/ldap-bind-password")
		}
		data, err := readSmallFile(path)
		if err != nil {
			return "", fmt.Errorf("cannot read %s: %w", path, err)
		}
		value := strings.TrimRight(string(data), "\r\n")
		if value == "" {
			return "", fmt.Errorf("file %s is empty", path)
		}
		return Value(value), nil
	}
	if ref := UnresolvedReference(text); ref != "" {
		return "", fmt.Errorf("still reads %q: the gateway did not substitute it (is the secret set?)", ref)
	}
	return Value(text), nil
}

// UnresolvedReference returns the reference (prefix and a bounded part of
// the name) when s is a gateway secret reference the gateway left in place,
// and "" otherwise. env:// counts too: outside a secret-bearing key nothing
// resolves it.
func UnresolvedReference(s string) string {
	s = strings.TrimSpace(s)
	for _, prefix := range []string{"env://", "secrets://", "consul://", "vault://"} {
		if strings.HasPrefix(s, prefix) {
			name := s[len(prefix):]
			if len(name) > 64 {
				name = name[:64]
			}
			return prefix + name
		}
	}
	return ""
}

func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, errors.New("file larger than 64 KiB")
	}
	return data, nil
}
