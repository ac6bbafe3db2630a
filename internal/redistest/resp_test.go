package redistest

import (
	"bufio"
	"errors"
	"strings"
	"testing"
)

func TestEncodeCommand(t *testing.T) {
	got := string(encodeCommand([]string{"SET", "k", "", "a\r\nb"}))
	want := "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n$4\r\na\r\nb\r\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        string // substring; "" = no error
		replyErr       bool   // the error is a *ReplyError
	}{
		{"simple", "+PONG\r\n", "PONG", "", false},
		{"integer", ":42\r\n", "42", "", false},
		{"bulk", "$5\r\nab\r\nc\r\n", "ab\r\nc", "", false},
		{"empty bulk", "$0\r\n\r\n", "", "", false},
		{"error", "-NOAUTH Authentication required.\r\n", "", "NOAUTH Authentication required.", true},
		{"nil bulk", "$-1\r\n", "", "nil reply", false},
		{"array", "*1\r\n+x\r\n", "", "array reply", false},
		{"bad length", "$x\r\n", "", "bad bulk length", false},
		{"too long", "$2000000\r\n", "", "bad bulk length", false},
		{"short bulk", "$5\r\nab\r\n", "", "EOF", false},
		{"bulk without CRLF", "$2\r\nabcd", "", "not terminated", false},
		{"bare LF", "+PONG\n", "", "not terminated", false},
		{"unknown type", "?x\r\n", "", "unknown reply type", false},
		{"empty line", "\r\n", "", "empty reply line", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readReply(bufio.NewReader(strings.NewReader(tc.in)))
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %q %v, want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %q %v, want an error containing %q", got, err, tc.wantErr)
			}
			var re *ReplyError
			if errors.As(err, &re) != tc.replyErr {
				t.Fatalf("ReplyError = %v, want %v", !tc.replyErr, tc.replyErr)
			}
		})
	}
}

func TestConfQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"tab\there", `"tab\x09here"`},
		{"é", `"\xc3\xa9"`},
		{"", `""`},
	}
	for _, tc := range tests {
		if got := confQuote(tc.in); got != tc.want {
			t.Errorf("confQuote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
