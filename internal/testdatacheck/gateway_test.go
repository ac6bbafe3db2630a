package testdatacheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestGatewayConfigs(t *testing.T) {
	tests := []struct {
		file       string
		bundles    bool
		publicKey  bool
		baseURLPfx string
	}{
		{file: "tyk.conf"},
		{file: "tyk.bundles.conf", bundles: true, baseURLPfx: "http://"},
		{file: "tyk.bundles.signed.conf", bundles: true, publicKey: true, baseURLPfx: "https://"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			d := readJSON(t, filepath.Join(root, "testdata/gateway", tc.file))
			// Without Redis the gateway does not start; without file
			// policies the plugin's "policies" names nothing.
			for path, want := range map[string]any{
				"storage.type":             "redis",
				"policies.policy_source":   "file",
				"policies.policy_path":     "/opt/tyk-gateway/policies",
				"app_path":                 "/opt/tyk-gateway/apps",
				"middleware_path":          "/opt/tyk-gateway/middleware",
				"use_db_app_configs":       false,
				"enable_bundle_downloader": tc.bundles,
			} {
				if got := get(d, strings.Split(path, ".")...); got != want {
					t.Errorf("%s = %v, want %v", path, got, want)
				}
			}
			base := getString(d, "bundle_base_url")
			if tc.bundles && (!strings.HasPrefix(base, tc.baseURLPfx) || !strings.HasSuffix(base, "/")) {
				t.Errorf("bundle_base_url = %q, want %s.../", base, tc.baseURLPfx)
			}
			if got := getString(d, "public_key_path") != ""; got != tc.publicKey {
				t.Errorf("public_key_path set = %v, want %v", got, tc.publicKey)
			}
			if d["bundle_insecure_skip_verify"] == true {
				t.Error("bundle_insecure_skip_verify must stay off in a sample")
			}
		})
	}
}

func firstMatch(t *testing.T, file, pattern string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(pattern).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no match for %s", file, pattern)
	}
	return string(m[1])
}

// TestOneTykVersion: the plugin only loads into the gateway version it was
// built for, so the build default and the compose gateway must agree.
func TestOneTykVersion(t *testing.T) {
	build := firstMatch(t, "build.sh", `(?m)^readonly DEFAULT_TYK_VERSION=(v[0-9.]+)$`)
	docker := firstMatch(t, "Dockerfile.plugin-compiler", `(?m)^ARG TYK_VERSION=(v[0-9.]+)$`)
	compose := firstMatch(t, "testdata/compose/docker-compose.yml", `tykio/tyk-gateway:\$\{TYK_VERSION:-(v[0-9.]+)\}`)
	if build != docker || build != compose {
		t.Errorf("Tyk versions differ: build.sh %s, Dockerfile.plugin-compiler %s, docker-compose.yml %s", build, docker, compose)
	}
}

// TestComposeMounts: every file the compose file mounts exists (dist/ is
// made by ./build.sh), and the gateway gets the classic definitions only:
// it cannot load a plain OAS document from app_path.
func TestComposeMounts(t *testing.T) {
	const compose = "testdata/compose/docker-compose.yml"
	b, err := os.ReadFile(filepath.Join(root, compose))
	if err != nil {
		t.Fatal(err)
	}
	mounts := regexp.MustCompile(`(?m)^\s*-\s*(\.{1,2}/[^:\s]+):(/[^:\s]+)`).FindAllStringSubmatch(string(b), -1)
	if len(mounts) < 5 {
		t.Fatalf("found only %d bind mounts in %s", len(mounts), compose)
	}
	targets := map[string]string{}
	for _, m := range mounts {
		src, dst := m[1], m[2]
		targets[dst] = src
		if src == "../../dist" {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, "testdata/compose", src)); err != nil {
			t.Errorf("%s mounts %s, which does not exist: %v", compose, src, err)
		}
	}
	for dst, want := range map[string]string{
		"/opt/tyk-gateway/apps":       "../apis/classic",
		"/opt/tyk-gateway/policies":   "../policies",
		"/opt/tyk-gateway/middleware": "../../dist",
		"/opt/tyk-gateway/tyk.conf":   "../gateway/tyk.bundles.conf",
	} {
		if targets[dst] != want {
			t.Errorf("%s: %s mounted from %q, want %q", compose, dst, targets[dst], want)
		}
	}
}
