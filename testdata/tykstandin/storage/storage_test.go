// STAND-IN tests (not Tyk code): check the stand-in hashes keys like Tyk's
// default murmur32 and passes raw keys through when hashing is off.
package storage

import "testing"

func TestHashKey(t *testing.T) {
	tests := []struct {
		name string
		in   string
		hash bool
		want string
	}{
		{"hashing off returns the raw key", "ldap:alice", false, "ldap:alice"},
		{"hashing off keeps an empty key", "", false, ""},
		// Reference values of MurmurHash3_x86_32 with seed 0.
		{"empty input", "", true, "00000000"},
		{"hello", "hello", true, "248bfa47"},
		{"quick brown fox", "The quick brown fox jumps over the lazy dog", true, "2e4ff723"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := HashKey(tc.in, tc.hash); got != tc.want {
				t.Fatalf("HashKey(%q, %v) = %q, want %q", tc.in, tc.hash, got, tc.want)
			}
		})
	}
}
