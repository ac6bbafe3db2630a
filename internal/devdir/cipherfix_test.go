package devdir

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// roundTripScript loads phpLDAPadmin's functions.php from the directory in
// argv[1] and counts the logins (a DN) that do not survive encryption and
// decryption with its session cipher.
const roundTripScript = `
define('LIBDIR', $argv[1] . '/');
define('DEBUG_ENABLED', 0);
$app = array();
require LIBDIR . 'functions.php';
error_reporting(0);
$secret = bin2hex(random_bytes(24));
$failed = 0;
for ($i = 0; $i < (int)$argv[2]; $i++) {
	$data = 'cn=admin,dc=example,dc=org';
	if (blowfish_decrypt(blowfish_encrypt($data, $secret), $secret) !== $data) $failed++;
}
echo $failed;
`

func failedRoundTrips(t *testing.T, functionsPHP []byte, n int) int {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "functions.php"), functionsPHP, 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "roundtrip.php")
	if err := os.WriteFile(script, []byte("<?php\n"+roundTripScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(DefaultPHPPath, script, dir, strconv.Itoa(n)).Output()
	if err != nil {
		t.Fatalf("php: %v (%s)", err, InstallHint)
	}
	failed, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("php printed %q", out)
	}
	return failed
}

// TestSessionCipherFix runs the installed functions.php and the repaired
// one: with 5000 logins the installed code loses some (about 0.4% each);
// the repaired one loses none.
func TestSessionCipherFix(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(DefaultInstallDir, "lib", "functions.php"))
	if err != nil {
		t.Fatalf("%v (%s)", err, InstallHint)
	}
	const n = 5000
	fixed, changed := fixSessionCipher(orig)
	if !changed {
		// Another release: its own code must then be sound.
		if f := failedRoundTrips(t, orig, n); f != 0 {
			t.Fatalf("the installed functions.php loses %d of %d logins and the repair does not apply to it", f, n)
		}
		return
	}
	if f := failedRoundTrips(t, orig, n); f == 0 {
		t.Fatalf("the installed functions.php lost none of %d logins: the repair is not needed", n)
	}
	if f := failedRoundTrips(t, fixed, n); f != 0 {
		t.Fatalf("the repaired functions.php loses %d of %d logins", f, n)
	}
}

func TestFixSessionCipherOnlyWhole(t *testing.T) {
	both := cipherFixes[0].from + "\n" + cipherFixes[1].from + "\n"
	tests := []struct {
		name    string
		src     string
		changed bool
	}{
		{"both lines", both, true},
		{"only one of them", cipherFixes[0].from + "\n", false},
		{"one twice", both + cipherFixes[1].from + "\n", false},
		{"neither", "<?php\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, changed := fixSessionCipher([]byte(tc.src))
			if changed != tc.changed {
				t.Fatalf("changed = %v, want %v", changed, tc.changed)
			}
			if !changed && string(out) != tc.src {
				t.Fatal("the source was altered without the repair applying")
			}
			if changed && (strings.Contains(string(out), cipherFixes[0].from) || !strings.Contains(string(out), cipherFixes[1].to)) {
				t.Fatalf("not repaired:\n%s", out)
			}
		})
	}
}
