package testserver

import (
	"fmt"
	"os"
	"strings"
)

// LogTail returns the last lines of the file at path, or why there are
// none.
func LogTail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no output: " + err.Error() + ")"
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// WithLogTail appends the last lines of program's log at path to err: what
// a harness returns when a server does not come up.
func WithLogTail(err error, program, path string, lines int) error {
	return fmt.Errorf("%w\n--- %s output (%s) ---\n%s", err, program, path, LogTail(path, lines))
}
