package ldapauth

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// readmeRows returns the README configuration table's rows by key, each as
// its cells (key, default, example, meaning).
func readmeRows(t *testing.T) (map[string][]string, []string) {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	var order []string
	inTable := false
	cell := regexp.MustCompile(`(?:\\\||[^|])*`)
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "## Configuration reference") {
			inTable = true
			continue
		}
		if inTable && strings.HasPrefix(line, "## ") {
			break
		}
		if inTable && strings.HasPrefix(line, "| `") {
			var cells []string
			for _, c := range cell.FindAllString(strings.Trim(line, "|"), -1) {
				cells = append(cells, strings.TrimSpace(c))
			}
			key := strings.Trim(cells[0], "`")
			rows[key] = cells
			order = append(order, key)
		}
	}
	return rows, order
}

// The README's configuration table documents every declared key exactly as
// declared (default, example, meaning), in the declared order, and nothing
// the plugin does not accept.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	rows, order := readmeRows(t)
	for i, f := range ConfigFields() {
		row, ok := rows[f.Key]
		if !ok {
			t.Errorf("README configuration table lacks %q", f.Key)
			continue
		}
		want := []string{"`" + f.Key + "`", f.Default, f.Example, f.Meaning}
		if strings.Join(row, " | ") != strings.Join(want, " | ") {
			t.Errorf("README row of %q differs from its declaration in config_fields.go:\n README: | %s |\n declared: | %s |",
				f.Key, strings.Join(row, " | "), strings.Join(want, " | "))
		}
		if i < len(order) && order[i] != f.Key {
			t.Errorf("README row %d is %q, declared %q: keep the table in the declaration's order", i+1, order[i], f.Key)
		}
		delete(rows, f.Key)
	}
	for key := range rows {
		t.Errorf("README documents %q, which the plugin does not accept", key)
	}
}

// Every key is declared once, with a default and a meaning.
func TestConfigFieldsDeclaredOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range ConfigFields() {
		if seen[f.Key] {
			t.Errorf("%q is declared twice", f.Key)
		}
		seen[f.Key] = true
		if f.Default == "" || f.Meaning == "" || f.Example == "" {
			t.Errorf("%q lacks its default, example or meaning", f.Key)
		}
	}
	if len(ConfigKeys()) != len(ConfigFields()) {
		t.Errorf("ConfigKeys has %d keys, ConfigFields %d", len(ConfigKeys()), len(ConfigFields()))
	}
}
