package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// readPassword gets the password from the environment variable envName
// when set, else from the terminal without echo, else from the first line
// of stdin.
func readPassword(envName, username string, stdin *os.File, stderr io.Writer) (string, error) {
	if envName != "" {
		pw, ok := os.LookupEnv(envName)
		if !ok || pw == "" {
			return "", fmt.Errorf("-password-env: the environment variable %s is not set (or empty)", envName)
		}
		return pw, nil
	}
	if isTerminal(stdin) {
		pw, err := readHidden(stdin, func() { fmt.Fprintf(stderr, "Password for %s: ", username) })
		fmt.Fprintln(stderr)
		return pw, err
	}
	return firstLine(stdin)
}

// firstLine reads the password from a pipe or file: its first line, which
// may also be its only content without a line ending.
func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	if line == "" {
		return "", errors.New("no password on standard input (give it on the first line, or use -password-env NAME)")
	}
	return trimLineEnd(line), nil
}
