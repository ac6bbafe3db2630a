package testserver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogTail(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name  string
		path  string
		lines int
		want  string
	}{
		{"last lines", write("long.log", "1\n2\n3\n4\n"), 2, "3\n4"},
		{"fewer lines than asked", write("short.log", "1\n2\n"), 5, "1\n2"},
		{"no final newline", write("open.log", "1\n2\n3"), 1, "3"},
		{"missing file", filepath.Join(dir, "absent.log"), 5, "(no output: open " + filepath.Join(dir, "absent.log") + ": no such file or directory)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := LogTail(tc.path, tc.lines); got != tc.want {
				t.Fatalf("LogTail = %q, want %q", got, tc.want)
			}
		})
	}
	cause := errors.New("srv did not answer")
	err := WithLogTail(cause, "srv", tests[0].path, 1)
	if !errors.Is(err, cause) || err.Error() != "srv did not answer\n--- srv output ("+tests[0].path+") ---\n4" {
		t.Fatalf("WithLogTail = %q", err)
	}
	if strings.Count(err.Error(), "\n") != 2 {
		t.Fatalf("WithLogTail = %q, want the tail's one line", err)
	}
}
