package testserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// MaxSocketPath is the longest Unix socket path a server is given:
// sun_path holds 108 bytes, and servers add to the names they are given.
const MaxSocketPath = 100

// ErrPathTooLong is wrapped by MkdirTemp when the socket path would not fit.
var ErrPathTooLong = errors.New("too long for a Unix socket path; use a shorter TMPDIR")

// MkdirTemp creates a directory as os.MkdirTemp(parent, pattern) does for a
// server that will create the socket DIR/socket (socket may hold slashes;
// "" for none). When that path would be longer than MaxSocketPath it
// removes the directory again and fails with ErrPathTooLong.
func MkdirTemp(parent, pattern, socket string) (string, error) {
	dir, err := os.MkdirTemp(parent, pattern)
	if err != nil {
		return "", err
	}
	if socket != "" {
		if p := filepath.Join(dir, socket); len(p) > MaxSocketPath {
			_ = os.RemoveAll(dir)
			return "", fmt.Errorf("socket %s: %w", p, ErrPathTooLong)
		}
	}
	return dir, nil
}
