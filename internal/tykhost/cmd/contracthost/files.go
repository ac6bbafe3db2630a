package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/apidef/oas"
	gatewayconfig "github.com/TykTechnologies/tyk/config"
	"github.com/TykTechnologies/tyk/user"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/tykhost"
)

// readAPIs reads API definition files. A file holding an OpenAPI document
// (top-level "openapi" or "x-tyk-api-gateway") is a Tyk OAS API; anything
// else is a classic definition. pluginPath, when set, replaces the auth_check
// path of every API that has one, so one freshly built .so serves them all.
func readAPIs(paths []string, pluginPath string) (tykhost.APIs, error) {
	var apis tykhost.APIs
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return apis, err
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(b, &top); err != nil {
			return apis, fmt.Errorf("%s: %w", p, err)
		}
		_, hasOpenAPI := top["openapi"]
		_, hasTyk := top[oas.ExtensionTykAPIGateway]
		if hasOpenAPI || hasTyk {
			var o oas.OAS
			if err := json.Unmarshal(b, &o); err != nil {
				return apis, fmt.Errorf("%s: %w", p, err)
			}
			overrideOASPlugin(&o, pluginPath)
			apis.OAS = append(apis.OAS, &o)
			continue
		}
		var d apidef.APIDefinition
		if err := strictUnmarshal(b, &d); err != nil {
			return apis, fmt.Errorf("%s: %w", p, err)
		}
		if pluginPath != "" && d.CustomMiddleware.AuthCheck.Path != "" {
			d.CustomMiddleware.AuthCheck.Path = pluginPath
		}
		apis.Classic = append(apis.Classic, &d)
	}
	return apis, nil
}

func overrideOASPlugin(o *oas.OAS, pluginPath string) {
	if pluginPath == "" {
		return
	}
	x := o.GetTykExtension()
	if x == nil || x.Server.Authentication == nil || x.Server.Authentication.Custom == nil {
		return
	}
	if c := x.Server.Authentication.Custom.Config; c != nil && c.Path != "" {
		c.Path = pluginPath
	}
}

// strictUnmarshal decodes JSON, refusing trailing data.
func strictUnmarshal(b []byte, v interface{}) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// readPolicies reads policy files in any of the shapes Tyk uses: one policy
// object (a file in policy_path), a map of ID to policy (policies.json), or
// a list. A policy without an "id" takes its map key.
func readPolicies(paths []string) ([]user.Policy, error) {
	var out []user.Policy
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		b = bytes.TrimSpace(b)
		switch {
		case bytes.HasPrefix(b, []byte("[")):
			var list []user.Policy
			if err := json.Unmarshal(b, &list); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			out = append(out, list...)
		default:
			var top map[string]json.RawMessage
			if err := json.Unmarshal(b, &top); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			if _, single := top["id"]; single {
				var pol user.Policy
				if err := json.Unmarshal(b, &pol); err != nil {
					return nil, fmt.Errorf("%s: %w", p, err)
				}
				out = append(out, pol)
				continue
			}
			for id, raw := range top {
				var pol user.Policy
				if err := json.Unmarshal(raw, &pol); err != nil {
					return nil, fmt.Errorf("%s: policy %q: %w", p, id, err)
				}
				if pol.ID == "" {
					pol.ID = id
				}
				out = append(out, pol)
			}
		}
	}
	for _, pol := range out {
		if pol.ID == "" {
			return nil, fmt.Errorf("a policy has no id")
		}
	}
	return out, nil
}

// readTykConf reads the parts of a tyk.conf the host publishes.
func readTykConf(path string) (gatewayconfig.Config, error) {
	var c gatewayconfig.Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
