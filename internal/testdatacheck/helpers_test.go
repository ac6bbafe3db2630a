package testdatacheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// root is the repository root, seen from this package.
const root = "../.."

// doc is one decoded JSON document.
type doc = map[string]any

func readJSON(t *testing.T, path string) doc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d doc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// get walks nested objects: get(d, "a", "b") is d["a"]["b"], nil when absent.
func get(d any, keys ...string) any {
	for _, k := range keys {
		m, ok := d.(map[string]any)
		if !ok {
			return nil
		}
		d = m[k]
	}
	return d
}

func getString(d any, keys ...string) string {
	s, _ := get(d, keys...).(string)
	return s
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, pattern))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no files match %s", pattern)
	}
	sort.Strings(files)
	return files
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
