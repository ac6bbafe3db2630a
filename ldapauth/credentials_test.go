package ldapauth

import (
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"
)

func basic(userPass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPass))
}

func TestParseBasic(t *testing.T) {
	tests := []struct {
		name     string
		header   string
		wantUser string
		wantPass string
		wantErr  error
	}{
		{"plain", basic("alice:secret"), "alice", "secret", nil},
		{"scheme lower case", "basic " + base64.StdEncoding.EncodeToString([]byte("alice:secret")), "alice", "secret", nil},
		{"scheme upper case", "BASIC " + base64.StdEncoding.EncodeToString([]byte("alice:secret")), "alice", "secret", nil},
		{"several spaces after scheme", "Basic    " + base64.StdEncoding.EncodeToString([]byte("alice:secret")), "alice", "secret", nil},
		{"trailing space", basic("alice:secret") + "  ", "alice", "secret", nil},
		{"colon in password", basic("alice:se:cr:et"), "alice", "se:cr:et", nil},
		{"unicode", basic("jürgen:pässwörd"), "jürgen", "pässwörd", nil},
		{"filter metacharacters kept for escaping later", basic("*)(uid=*:x"), "*)(uid=*", "x", nil},
		{"empty header", "", "", "", errNotBasic},
		{"bearer scheme", "Bearer abc", "", "", errNotBasic},
		{"scheme prefix only", "Basicx " + base64.StdEncoding.EncodeToString([]byte("a:b")), "", "", errMalformedSeparator},
		{"scheme without credentials", "Basic", "", "", errMalformedSeparator},
		{"scheme and spaces only", "Basic    ", "", "", errMalformedSeparator},
		{"bad base64", "Basic !!!!", "", "", errBadBase64},
		{"unpadded base64", "Basic " + base64.RawStdEncoding.EncodeToString([]byte("alice:secret1")), "", "", errBadBase64},
		{"url-safe alphabet", "Basic " + base64.URLEncoding.EncodeToString([]byte("a?>:?>?>")), "", "", errBadBase64},
		{"newline inside base64", "Basic YWxp\nY2U6c2VjcmV0", "", "", errBadBase64},
		{"no colon", basic("alicesecret"), "", "", errNoColon},
		{"empty username", basic(":secret"), "", "", errEmptyUsername},
		{"empty password", basic("alice:"), "", "", errEmptyPassword},
		{"both empty", basic(":"), "", "", errEmptyUsername},
		{"NUL in username", basic("ali\x00ce:secret"), "", "", errControlCharacter},
		{"NUL in password", basic("alice:sec\x00ret"), "", "", errControlCharacter},
		{"tab in password", basic("alice:sec\tret"), "", "", errControlCharacter},
		{"DEL in username", basic("ali\x7fce:secret"), "", "", errControlCharacter},
		{"C1 control in username", basic("ali\u0085ce:secret"), "", "", errControlCharacter},
		{"invalid UTF-8", basic("ali\xffce:secret"), "", "", errNotUTF8},
		{"overlong UTF-8", basic("\xc0\xafetc:secret"), "", "", errNotUTF8},
		{"username too long", basic(strings.Repeat("a", MaxUsernameLen+1) + ":x"), "", "", errUsernameTooLong},
		{"username at limit", basic(strings.Repeat("a", MaxUsernameLen) + ":x"), strings.Repeat("a", MaxUsernameLen), "x", nil},
		{"password too long", basic("a:" + strings.Repeat("p", MaxPasswordLen+1)), "", "", errPasswordTooLong},
		{"header too long", "Basic " + strings.Repeat("A", maxAuthorizationLen), "", "", errHeaderTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf CredentialsBuffer
			user, pass, err := ParseBasic(tt.header, &buf)
			if err != tt.wantErr {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if string(user) != tt.wantUser || string(pass) != tt.wantPass {
				t.Fatalf("got %q/%q, want %q/%q", user, pass, tt.wantUser, tt.wantPass)
			}
		})
	}
}

func TestBasicFromRequest(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		wantErr error
	}{
		{"no header", nil, ErrNoCredentials},
		{"one header", []string{basic("alice:secret")}, nil},
		{"two headers", []string{basic("alice:secret"), basic("bob:secret")}, errManyHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			var buf CredentialsBuffer
			_, _, err := BasicFromRequest(r, &buf)
			if err != tt.wantErr {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestCredentialsErrorsNeverQuoteInput(t *testing.T) {
	secret := "hunter2-should-not-appear"
	for _, h := range []string{basic("alice" + secret), basic("\x00:" + secret), "Basic " + secret} {
		var buf CredentialsBuffer
		_, _, err := ParseBasic(h, &buf)
		if err == nil {
			t.Fatalf("%q: expected an error", h)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error %q quotes the input", err)
		}
	}
}

// Spellings a directory folds into another account's name are refused
// before any traffic: they would multiply an account's names (and its
// failure counts). See checkUsernameForm.
func TestUsernameForm(t *testing.T) {
	tests := []struct {
		name string
		user string
		ok   bool
	}{
		{"ascii", "alice", true},
		{"ascii with space inside", "mary ann", true},
		{"latin composed", "jürgen", true},
		{"cjk", "山田", true},
		{"apostrophe", "o'brien", true},
		{"fullwidth letter", "ａlice", false},
		{"all fullwidth", "ａｌｉｃｅ", false},
		{"circled letter", "ⓐlice", false},
		{"mathematical bold", "𝐚lice", false},
		{"decomposed umlaut", "ju\u0308rgen", false},
		{"ligature", "ﬁle", false},
		{"soft hyphen", "ali\u00adce", false},
		{"zero width space", "ali\u200bce", false},
		{"zero width joiner", "ali\u200dce", false},
		{"no-break space", "alice\u00a0", false},
		{"ideographic space", "alice\u3000", false},
		{"variation selector", "alice\ufe0f", false},
		{"combining grapheme joiner", "ali\u034fce", false},
		{"byte order mark", "\ufeffalice", false},
		{"superscript", "alice²", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf CredentialsBuffer
			_, _, err := ParseBasic(basic(tt.user+":secret"), &buf)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok && err != errUsernameNotNormal {
				t.Fatalf("err = %v, want errUsernameNotNormal", err)
			}
		})
	}
}
