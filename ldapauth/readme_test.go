package ldapauth

import (
	"os"
	"strings"
	"testing"
)

// The README's configuration table must document every key the parser
// accepts, and nothing it does not.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	inTable := false
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "## Configuration reference") {
			inTable = true
			continue
		}
		if inTable && strings.HasPrefix(line, "## ") {
			break
		}
		if inTable && strings.HasPrefix(line, "| `") {
			key := strings.TrimPrefix(line, "| `")
			documented[key[:strings.Index(key, "`")]] = true
		}
	}
	for _, key := range ConfigKeys() {
		if !documented[key] {
			t.Errorf("README configuration table lacks %q", key)
		}
		delete(documented, key)
	}
	for key := range documented {
		t.Errorf("README documents %q, which the plugin does not accept", key)
	}
}
