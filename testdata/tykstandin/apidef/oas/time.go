// STAND-IN for tests only, not Tyk code. Mirrors ReadableDuration of
// github.com/TykTechnologies/tyk/apidef/oas (time.go, an alias of
// internal/time.ReadableDuration from v5.8.0 to v5.14.0): a duration written
// in JSON as a Go duration string.
package oas

import (
	"encoding/json"
	"errors"
	"math"
	"time"
)

// ReadableDuration is a time.Duration that JSON carries as a string such as
// "1h30m". Like the real type, an empty string is 0 and a string that does
// not parse as a duration is silently 0 as well.
type ReadableDuration time.Duration

// MarshalJSON writes the duration as a string. The real type writes the
// shortest form ("1h"); this writes time.Duration's form ("1h0m0s"), which
// reads back to the same value.
func (d ReadableDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a quoted duration string; anything but a JSON string is
// an error, as in the real type.
func (d *ReadableDuration) UnmarshalJSON(data []byte) error {
	var in string
	if err := json.Unmarshal(data, &in); err != nil {
		return errors.New("error while parsing duration")
	}
	parsed, err := time.ParseDuration(in)
	if err != nil {
		parsed = 0
	}
	*d = ReadableDuration(parsed)
	return nil
}

// Seconds returns the duration in whole seconds, rounded down, as the real
// method does.
func (d ReadableDuration) Seconds() float64 {
	return math.Floor(time.Duration(d).Seconds())
}
