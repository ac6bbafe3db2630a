package ldapauth

import "testing"

func TestUnsupportedTokenSources(t *testing.T) {
	tests := []struct {
		name    string
		sources TokenSources
		refused bool
	}{
		{"nothing set", TokenSources{}, false},
		{"Authorization header", TokenSources{Header: "Authorization"}, false},
		{"authorization header in lower case", TokenSources{Header: "authorization"}, false},
		{"another header", TokenSources{Header: "X-Token"}, true},
		{"header switched off", TokenSources{HeaderDisabled: true}, true},
		{"query parameter", TokenSources{Query: true}, true},
		{"cookie", TokenSources{Cookie: true}, true},
	}
	for _, tt := range tests {
		err := UnsupportedTokenSources("server.authentication.custom", tt.sources)
		if (err != nil) != tt.refused {
			t.Errorf("%s: %v, want refused %v", tt.name, err, tt.refused)
		}
		if err != nil && err.Key != "server.authentication.custom" {
			t.Errorf("%s: the error names %q", tt.name, err.Key)
		}
	}
}
