// STAND-IN for tests only, not Tyk code. Mirrors the OAS type of
// github.com/TykTechnologies/tyk/apidef/oas (apidef/oas/oas.go). The real OAS
// embeds kin-openapi's openapi3.T (v5.3.13 imports the TykTechnologies fork
// directly; v5.8.0 pins getkin/kin-openapi v0.115.0; v5.8.12 and v5.8.15
// replace getkin with the TykTechnologies fork v0.92.0, v5.14.0 with a later
// fork revision). The stand-in embeds a small T of its own that keeps the
// document's "x-" extensions as raw JSON until GetTykExtension decodes them
// and passes every other top-level field through untouched. GetTykExtension,
// SetTykExtension and RemoveTykExtension behave as the real ones at all
// those tags.
package oas

import (
	"encoding/json"
	"strings"
)

// ExtensionTykAPIGateway is the OAS extension key holding Tyk's settings.
const ExtensionTykAPIGateway = "x-tyk-api-gateway"

// OAS holds an OpenAPI document with Tyk's extension.
type OAS struct {
	T
}

// T stands in for kin-openapi's openapi3.T: only the promoted Extensions
// map, which GetTykExtension uses, is exposed.
type T struct {
	// Extensions holds the document's "x-" keys. After unmarshalling the
	// values are json.RawMessage; the real GetTykExtension accepts that or a
	// decoded map (which of the two kin-openapi yields was not checked, as
	// its source is not available here) and replaces its own entry with the
	// decoded value.
	Extensions map[string]interface{} `json:"-"`

	OpenAPI string `json:"openapi"`

	// rest keeps all other top-level fields so a document survives a
	// marshal round trip.
	rest map[string]json.RawMessage
}

// UnmarshalJSON splits a document into its extensions and the rest.
func (t *T) UnmarshalJSON(data []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	*t = T{}
	for k, v := range fields {
		switch {
		case k == "openapi":
			if err := json.Unmarshal(v, &t.OpenAPI); err != nil {
				return err
			}
		case strings.HasPrefix(k, "x-"):
			if t.Extensions == nil {
				t.Extensions = make(map[string]interface{})
			}
			t.Extensions[k] = v
		default:
			if t.rest == nil {
				t.rest = make(map[string]json.RawMessage)
			}
			t.rest[k] = v
		}
	}
	return nil
}

// MarshalJSON writes the document back, extensions included.
func (t T) MarshalJSON() ([]byte, error) {
	out := make(map[string]interface{}, len(t.rest)+len(t.Extensions)+1)
	for k, v := range t.rest {
		out[k] = v
	}
	for k, v := range t.Extensions {
		out[k] = v
	}
	if t.OpenAPI != "" {
		out["openapi"] = t.OpenAPI
	}
	return json.Marshal(out)
}

// SetTykExtension populates our OAS schema extension inside *OAS.
func (s *OAS) SetTykExtension(xTykAPIGateway *XTykAPIGateway) {
	if s.Extensions == nil {
		s.Extensions = make(map[string]interface{})
	}
	s.Extensions[ExtensionTykAPIGateway] = xTykAPIGateway
}

// GetTykExtension returns our OAS schema extension from inside *OAS. Like the
// real method, the first call decodes a raw or map value and stores the
// decoded pointer back into Extensions: it writes to the map, so it is not
// safe for concurrent first use. The gateway calls it while loading an API,
// before any request can see the definition.
func (s *OAS) GetTykExtension() *XTykAPIGateway {
	if s.Extensions == nil {
		return nil
	}
	ext := s.Extensions[ExtensionTykAPIGateway]
	if ext == nil {
		return nil
	}
	if raw, ok := ext.(json.RawMessage); ok {
		var x XTykAPIGateway
		_ = json.Unmarshal(raw, &x)
		s.Extensions[ExtensionTykAPIGateway] = &x
		return &x
	}
	if m, ok := ext.(map[string]interface{}); ok {
		var x XTykAPIGateway
		b, _ := json.Marshal(m)
		_ = json.Unmarshal(b, &x)
		s.Extensions[ExtensionTykAPIGateway] = &x
		return &x
	}
	return ext.(*XTykAPIGateway)
}

// RemoveTykExtension clears the Tyk extensions from *OAS.
func (s *OAS) RemoveTykExtension() {
	if s.Extensions == nil {
		return
	}
	delete(s.Extensions, ExtensionTykAPIGateway)
}
