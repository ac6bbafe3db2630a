package adtest

import (
	"slices"
	"strings"
	"testing"
)

// TestProvisionArgsDNS: with Options.DNS the last --dns-backend (the one
// samba-tool uses) is Samba's internal DNS, and the DC's host record is ::1.
func TestProvisionArgsDNS(t *testing.T) {
	args := Options{DNS: true}.provisionArgs("/d", "Adm-secret")
	var backend string
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--dns-backend="); ok {
			backend = v
		}
	}
	if backend != "SAMBA_INTERNAL" || !slices.Contains(args, "--host-ip6=::1") {
		t.Fatalf("args %q", args)
	}
	if slices.Contains(Options{}.provisionArgs("/d", "x"), "--dns-backend=SAMBA_INTERNAL") {
		t.Fatal("the plain DC provisions DNS")
	}
}

func TestProvisionArgs(t *testing.T) {
	args := provisionArgs("/d", "Adm-secret")
	for _, want := range []string{
		"domain", "provision", "--targetdir=/d", "--realm=CORP.EXAMPLE.ORG", "--domain=CORP",
		"--host-name=DC1", "--server-role=dc", "--dns-backend=NONE", "--use-rfc2307",
		"--adminpass=Adm-secret", "--option=interfaces=lo", "--option=bind interfaces only=yes",
		"--option=pid directory=/d", "--option=log file=/d/log.%m", "--option=tls enabled=yes",
		"--option=tls keyfile=/d/tls/server-key.pem", "--option=tls certfile=/d/tls/server.pem",
		"--option=tls cafile=/d/tls/ca.pem",
	} {
		if !slices.Contains(args, want) {
			t.Errorf("provisionArgs lacks %q", want)
		}
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--option=") && !strings.Contains(a, "interfaces") &&
			!strings.Contains(a, "tls enabled") && !strings.Contains(a, "/d") {
			t.Errorf("%q: a path option outside the target directory", a)
		}
	}
}

func TestNewAdminPassword(t *testing.T) {
	a, err := newAdminPassword()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newAdminPassword()
	// Samba's default complexity rule (on while provisioning) wants three
	// of: upper case, lower case, digits, symbols.
	classes := 0
	for _, in := range []func(rune) bool{
		func(r rune) bool { return r >= 'A' && r <= 'Z' },
		func(r rune) bool { return r >= 'a' && r <= 'z' },
		func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') },
	} {
		if strings.IndexFunc(a, in) >= 0 {
			classes++
		}
	}
	if classes != 3 || len(a) < 20 || a == b {
		t.Fatalf("passwords %q %q: want random, long, three character classes", a, b)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, secret, want string }{
		{"bad password Adm-1 given", "Adm-1", "bad password <redacted> given"},
		{"Adm-1 and Adm-1", "Adm-1", "<redacted> and <redacted>"},
		{"nothing here", "Adm-1", "nothing here"},
		{"empty secret", "", "empty secret"},
	}
	for _, tc := range tests {
		if got := redact(tc.in, tc.secret); got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
