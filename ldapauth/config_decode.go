package ldapauth

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth/secret"
)

// ConfigError names the configuration key that is wrong and what is wrong
// with it. Keys are the names operators write in config_data.
type ConfigError struct {
	Key     string
	Problem string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("config_data key %q: %s", e.Key, e.Problem)
}

// decoder reads typed values out of the untyped map Tyk hands over (JSON
// numbers arrive as float64) and remembers every problem, so that an operator
// sees all mistakes at once instead of fixing them one reload at a time.
type decoder struct {
	raw  map[string]any
	errs []*ConfigError
}

func (d *decoder) fail(key, format string, args ...any) {
	d.errs = append(d.errs, &ConfigError{Key: key, Problem: fmt.Sprintf(format, args...)})
}

// failed reports whether a problem was recorded for key.
func (d *decoder) failed(key string) bool {
	return slices.ContainsFunc(d.errs, func(e *ConfigError) bool { return e.Key == key })
}

// err returns every recorded problem, sorted by key for stable messages.
func (d *decoder) err() error {
	slices.SortStableFunc(d.errs, func(a, b *ConfigError) int { return cmp.Compare(a.Key, b.Key) })
	errs := make([]error, len(d.errs))
	for i, e := range d.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// checkUnknownKeys rejects keys nobody reads: a typo such as "requierd_groups"
// must not silently switch a security check off.
func (d *decoder) checkUnknownKeys() {
	for key := range d.raw {
		if !slices.Contains(configKeys, key) {
			hint := ""
			if near := closestKey(key); near != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", near)
			}
			d.fail(key, "unknown key%s", hint)
		}
	}
}

func (d *decoder) lookup(key string) (any, bool) {
	v, ok := d.raw[key]
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

// str reads a string; unresolved gateway secret references are refused here
// for every key, so "env://LDAP_URL" left behind by an unset variable can
// never be used as a value.
func (d *decoder) str(key, def string) string {
	v, ok := d.lookup(key)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		d.fail(key, "must be a string, got %s", describe(v))
		return def
	}
	if ref := secret.UnresolvedReference(s); ref != "" {
		d.fail(key, "still reads %q: the gateway did not substitute it (is the variable or secret set?)", ref)
		return def
	}
	return strings.TrimSpace(s)
}

func (d *decoder) boolean(key string, def bool) bool {
	v, ok := d.lookup(key)
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		d.fail(key, "must be true or false, got %s", describe(v))
		return def
	}
	return b
}

func (d *decoder) integer(key string, def, min, max int) int {
	v, ok := d.lookup(key)
	if !ok {
		return def
	}
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case int:
		f = float64(n)
	case int64:
		f = float64(n)
	default:
		d.fail(key, "must be a whole number, got %s", describe(v))
		return def
	}
	if f != math.Trunc(f) || f < float64(min) || f > float64(max) {
		d.fail(key, "must be a whole number from %d to %d, got %v", min, max, f)
		return def
	}
	return int(f)
}

// duration reads a Go duration string ("300ms", "5m"); "0" means off where
// the key allows it.
func (d *decoder) duration(key string, def, min, max time.Duration) time.Duration {
	v, ok := d.lookup(key)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		d.fail(key, "must be a duration string such as \"5s\" or \"2m\", got %s", describe(v))
		return def
	}
	dur, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		d.fail(key, "must be a duration string such as \"5s\" or \"2m\", got %q", s)
		return def
	}
	if dur < min || dur > max {
		d.fail(key, "must be between %v and %v, got %v", min, max, dur)
		return def
	}
	return dur
}

// strings reads a list of non-empty strings; a single string is accepted as
// a list of one, which is what operators write for one server or one group.
func (d *decoder) strings(key string) []string {
	v, ok := d.lookup(key)
	if !ok {
		return nil
	}
	var items []any
	switch t := v.(type) {
	case string:
		items = []any{t}
	case []any:
		items = t
	case []string:
		for _, s := range t {
			items = append(items, s)
		}
	default:
		d.fail(key, "must be a list of strings, got %s", describe(v))
		return nil
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		s, ok := item.(string)
		if !ok {
			d.fail(key, "entry %d must be a string, got %s", i, describe(item))
			continue
		}
		if ref := secret.UnresolvedReference(s); ref != "" {
			d.fail(key, "entry %d still reads %q: the gateway did not substitute it", i, ref)
			continue
		}
		s = strings.TrimSpace(s)
		if s == "" {
			d.fail(key, "entry %d is empty", i)
			continue
		}
		out = append(out, s)
	}
	return out
}

// stringMap reads an object whose values are strings.
func (d *decoder) stringMap(key string) map[string]string {
	raw, ok := d.object(key)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" {
			d.fail(key, "value of %q must be a non-empty string, got %s", k, describe(v))
			continue
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(s)
	}
	return out
}

// listMap reads an object whose values are lists of strings (or one string).
func (d *decoder) listMap(key string) map[string][]string {
	raw, ok := d.object(key)
	if !ok {
		return nil
	}
	out := make(map[string][]string, len(raw))
	for k, v := range raw {
		inner := decoder{raw: map[string]any{key: v}}
		list := inner.strings(key)
		for _, e := range inner.errs {
			d.fail(key, "value of %q: %s", k, e.Problem)
		}
		if strings.TrimSpace(k) == "" {
			d.fail(key, "has an empty name")
			continue
		}
		out[strings.TrimSpace(k)] = list
	}
	return out
}

func (d *decoder) object(key string) (map[string]any, bool) {
	v, ok := d.lookup(key)
	if !ok {
		return nil, false
	}
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[string]string:
		out := make(map[string]any, len(m))
		for k, s := range m {
			out[k] = s
		}
		return out, true
	case map[string][]string:
		out := make(map[string]any, len(m))
		for k, s := range m {
			out[k] = s
		}
		return out, true
	}
	d.fail(key, "must be an object, got %s", describe(v))
	return nil, false
}

// describe names a JSON value's type without quoting it: a misplaced secret
// must not end up in a log line through an error message.
func describe(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, int, int64:
		return "a number"
	case []any, []string:
		return "a list"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("a %T", v)
}

// closestKey suggests a known key within edit distance 3 of key.
func closestKey(key string) string {
	best, bestDist := "", 4
	for _, k := range configKeys {
		if dist := editDistance(key, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// secret reads a secret-bearing key through secret.Resolve (env://,
// file://, or the value itself).
func (d *decoder) secret(key string) secret.Value {
	v, ok := d.lookup(key)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		d.fail(key, "must be a string, got %s", describe(v))
		return ""
	}
	value, err := secret.Resolve(s)
	if err != nil {
		d.fail(key, "%v", err)
		return ""
	}
	return value
}
