//go:build !linux

package main

import (
	"errors"
	"os"
)

// isTerminal is false where reading without echo is not implemented: the
// password then comes from standard input or -password-env.
func isTerminal(*os.File) bool { return false }

func readHidden(*os.File, func()) (string, error) {
	return "", errors.New("reading a password from the terminal is supported on Linux only: pipe it on standard input or use -password-env")
}
