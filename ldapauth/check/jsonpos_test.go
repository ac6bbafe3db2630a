package check

import (
	"strings"
	"testing"
)

func TestJSONErrorsNameLineAndColumn(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       string
	}{
		{"missing comma", "{\n  \"urls\": [\"ldaps://dc1:636\"]\n  \"bind_dn\": \"cn=x\"\n}", "line 3, column 3"},
		{"trailing comma", "{\"urls\": [\"ldaps://dc1:636\"],\n}", "line 2, column 1"},
		{"classic, wrong type", "{\n\"org_id\": \"o\", \"config_data\": {},\n  \"api_id\": 7}", "line 3, column"},
		{"OAS, wrong type", "{\"x-tyk-api-gateway\": {\"info\": {\"name\": 5}}}", "line 1, column"},
		{"bare, wrong type", "[1, 2]", "line 1, column 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSource([]byte(tc.file), func(string) string { return "" })
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestLineColumn(t *testing.T) {
	text := []byte("ab\ncde\n\nf")
	for _, tc := range []struct {
		offset    int64
		line, col int
	}{{1, 1, 1}, {2, 1, 2}, {4, 2, 1}, {6, 2, 3}, {8, 3, 1}, {9, 4, 1}, {0, 1, 1}, {99, 4, 1}} {
		if l, c := lineColumn(text, tc.offset); l != tc.line || c != tc.col {
			t.Errorf("offset %d: line %d column %d, want %d %d", tc.offset, l, c, tc.line, tc.col)
		}
	}
}
