package helmtest

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testpki"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/ldapauth"
)

// defaultCharts is where this machine keeps a tyk-charts snapshot.
const defaultCharts = "/work/.mirror/TykTechnologies+tyk-charts/repo"

var (
	toolsOnce        sync.Once
	helmBin, yamlBin string
	toolsErr         error
	chartsOnce       sync.Once
	chartsDir        string
	chartsErr        error
)

func root(t *testing.T) string {
	t.Helper()
	// The module root, found from the package directory the test runs in
	// (runtime.Caller paths are module-relative under -trimpath).
	dir, err := slapdtest.FindModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// tools builds helm and yaml2json from the tool module once per test binary.
func tools(t *testing.T) (string, string) {
	t.Helper()
	toolsOnce.Do(func() {
		// ./build.sh test builds them before the tests run, outside the
		// test timeout (helm is large).
		if dir := os.Getenv("HELMTEST_TOOLS"); dir != "" {
			helmBin, yamlBin = filepath.Join(dir, "helm"), filepath.Join(dir, "yaml2json")
			return
		}
		dir, err := os.MkdirTemp("", "helmtest-tools-")
		if err != nil {
			toolsErr = err
			return
		}
		toolDir := filepath.Join(root(t), "internal", "helmtest", "tool")
		for _, b := range []struct{ out, pkg string }{{"helm", "helm.sh/helm/v4/cmd/helm"}, {"yaml2json", "./yaml2json"}} {
			cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, b.out), b.pkg)
			cmd.Dir = toolDir
			cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				toolsErr = &buildError{b.pkg, err, string(out)}
				return
			}
		}
		helmBin, yamlBin = filepath.Join(dir, "helm"), filepath.Join(dir, "yaml2json")
	})
	if toolsErr != nil {
		t.Fatal(toolsErr)
	}
	return helmBin, yamlBin
}

type buildError struct {
	pkg string
	err error
	out string
}

func (e *buildError) Error() string { return "building " + e.pkg + ": " + e.err.Error() + "\n" + e.out }

// charts extracts the pinned tyk-charts commit and builds tyk-oss's
// file:// dependencies (offline).
func charts(t *testing.T) string {
	t.Helper()
	helm, _ := tools(t)
	chartsOnce.Do(func() {
		src := os.Getenv("TYK_CHARTS")
		if src == "" {
			src = defaultCharts
		}
		commit, err := os.ReadFile(filepath.Join(root(t), "internal", "helmtest", "charts-commit.txt"))
		if err != nil {
			chartsErr = err
			return
		}
		dir, err := os.MkdirTemp("", "helmtest-charts-")
		if err != nil {
			chartsErr = err
			return
		}
		gitDir := src
		if _, err := os.Stat(filepath.Join(src, ".git")); err == nil {
			gitDir = filepath.Join(src, ".git")
		}
		archive := exec.Command("sh", "-c", `git --git-dir="$1" archive "$2" | tar -x -C "$3"`, "sh", gitDir, strings.TrimSpace(string(commit)), dir)
		if out, err := archive.CombinedOutput(); err != nil {
			chartsErr = &buildError{"the tyk-charts sources from " + src + " (set TYK_CHARTS to a TykTechnologies/tyk-charts clone holding commit " + strings.TrimSpace(string(commit)) + ")", err, string(out)}
			return
		}
		dep := exec.Command(helm, "dependency", "build", "--skip-refresh", filepath.Join(dir, "tyk-oss"))
		dep.Env = helmEnv(dir)
		if out, err := dep.CombinedOutput(); err != nil {
			chartsErr = &buildError{"helm dependency build tyk-oss", err, string(out)}
			return
		}
		chartsDir = dir
	})
	if chartsErr != nil {
		t.Fatal(chartsErr)
	}
	return chartsDir
}

func helmEnv(dir string) []string {
	return append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(dir, ".helm", "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(dir, ".helm", "config"), "HELM_DATA_HOME="+filepath.Join(dir, ".helm", "data"))
}

// object is one Kubernetes object, decoded loosely.
type object = map[string]any

func toJSON(t *testing.T, yaml []byte) []object {
	t.Helper()
	_, y2j := tools(t)
	cmd := exec.Command(y2j)
	cmd.Stdin = strings.NewReader(string(yaml))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("yaml2json: %v", err)
	}
	var docs []object
	if err := json.Unmarshal(out, &docs); err != nil {
		t.Fatal(err)
	}
	return docs
}

func readObjects(t *testing.T, name string) []object {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root(t), "testdata", "kubernetes", name))
	if err != nil {
		t.Fatal(err)
	}
	return toJSON(t, data)
}

// render runs helm template on a chart of the snapshot with a values file.
func render(t *testing.T, chart, values string) []object {
	t.Helper()
	helm, _ := tools(t)
	dir := charts(t)
	chartDir := filepath.Join(dir, chart)
	if chart == "tyk-gateway" {
		chartDir = filepath.Join(dir, "components", "tyk-gateway")
	}
	cmd := exec.Command(helm, "template", "tyk", chartDir, "--namespace", "tyk", "-f", values)
	cmd.Env = helmEnv(dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helm template %s -f %s: %v\n%s", chart, values, err, out)
	}
	return toJSON(t, out)
}

// get walks a decoded object by keys.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// gateway returns the rendered gateway Deployment's pod spec and its
// gateway container.
func gateway(t *testing.T, objs []object) (pod, container map[string]any) {
	t.Helper()
	for _, o := range objs {
		if o["kind"] != "Deployment" && o["kind"] != "DaemonSet" {
			continue
		}
		spec, _ := get(o, "spec", "template", "spec").(map[string]any)
		for _, c := range list(spec["containers"]) {
			cm, _ := c.(map[string]any)
			if strings.HasPrefix(str(cm["name"]), "gateway-") {
				return spec, cm
			}
		}
	}
	t.Fatal("no gateway Deployment in the rendered chart")
	return nil, nil
}

func env(c map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, e := range list(c["env"]) {
		em, _ := e.(map[string]any)
		out[str(em["name"])] = em
	}
	return out
}

// mountFor returns the volume mount whose path holds p (the longest), and
// the volume it mounts.
func mountFor(pod, c map[string]any, p string) (mount, volume map[string]any) {
	best := ""
	for _, m := range list(c["volumeMounts"]) {
		mm, _ := m.(map[string]any)
		mp := str(mm["mountPath"])
		if (p == mp || strings.HasPrefix(p, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best, mount = mp, mm
		}
	}
	if mount == nil {
		return nil, nil
	}
	for _, v := range list(pod["volumes"]) {
		vm, _ := v.(map[string]any)
		if vm["name"] == mount["name"] {
			return mount, vm
		}
	}
	return mount, nil
}

// apiDefinitions returns the Tyk Operator ApiDefinitions by name.
func apiDefinitions(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, o := range readObjects(t, "apidefinitions.yaml") {
		if o["kind"] != "ApiDefinition" || o["apiVersion"] != "tyk.tyk.io/v1alpha1" {
			t.Fatalf("not a Tyk Operator ApiDefinition: %v %v", o["apiVersion"], o["kind"])
		}
		spec, _ := o["spec"].(map[string]any)
		out[str(get(o, "metadata", "name"))] = spec
	}
	return out
}

var dockerCopy = regexp.MustCompile(`(?m)^COPY (--chown=\S+ )?--chmod=(0[0-7]{3}) (\S+) (\S+)$`)

func TestRecipes(t *testing.T) {
	apis := apiDefinitions(t)
	secret := readObjects(t, "secret.yaml")[0]
	ca := readObjects(t, "ca-configmap.yaml")[0]
	bundleServer := readObjects(t, "bundle-server.yaml")
	volume := readObjects(t, "plugin-volume.yaml")
	for _, chart := range []string{"tyk-oss", "tyk-gateway"} {
		for _, recipe := range []string{"image", "bundle", "volume"} {
			t.Run(chart+"/"+recipe, func(t *testing.T) {
				values := filepath.Join(root(t), "testdata", "kubernetes", "values", chart+"-"+recipe+".yaml")
				pod, c := gateway(t, render(t, chart, values))
				checkHardening(t, pod, c)
				checkSecrets(t, c, secret, apis["ldap-orders-"+recipe])
				checkCA(t, pod, c, ca, apis["ldap-orders-"+recipe])
				switch recipe {
				case "image":
					checkImage(t, pod, c, apis["ldap-orders-image"])
				case "bundle":
					checkBundle(t, pod, c, bundleServer, apis["ldap-orders-bundle"])
				case "volume":
					checkVolume(t, pod, c, volume, apis["ldap-orders-volume"])
				}
			})
		}
	}
}

// checkHardening: the chart's own rules the recipes must live with.
func checkHardening(t *testing.T, pod, c map[string]any) {
	t.Helper()
	if get(c, "securityContext", "readOnlyRootFilesystem") != true {
		t.Errorf("the gateway container's root filesystem is not read-only: the recipes assume it is")
	}
	if get(c, "securityContext", "runAsNonRoot") != true && get(pod, "securityContext", "runAsNonRoot") != true {
		t.Errorf("the gateway does not run as non-root")
	}
	if uid, ok := get(c, "securityContext", "runAsUser").(float64); ok && uid != 65532 {
		t.Errorf("the gateway runs as UID %v, the recipes expect the image's 65532 (or a platform-assigned UID)", uid)
	}
	e := env(c)
	if str(e["TYK_GW_MIDDLEWAREPATH"]["value"]) != "/mnt/tyk-gateway/middleware" {
		t.Errorf("TYK_GW_MIDDLEWAREPATH is %v, docs/kubernetes.md says /mnt/tyk-gateway/middleware", e["TYK_GW_MIDDLEWAREPATH"])
	}
	if _, v := mountFor(pod, c, "/mnt/tyk-gateway/middleware/bundles"); v == nil || v["emptyDir"] == nil {
		t.Errorf("/mnt/tyk-gateway/middleware is not on a writable emptyDir: %v", v)
	}
}

// checkSecrets: the API's env:// names are variables the container gets
// from keys the Secret has.
func checkSecrets(t *testing.T, c, secret, api map[string]any) {
	t.Helper()
	e := env(c)
	data, _ := secret["stringData"].(map[string]any)
	cfg, _ := api["config_data"].(map[string]any)
	for _, key := range []string{"bind_password", "session_key_secret"} {
		name, ok := strings.CutPrefix(str(cfg[key]), "env://")
		if !ok {
			t.Errorf("config_data %s is %q, not an env:// reference", key, cfg[key])
			continue
		}
		ref, _ := get(e[name], "valueFrom", "secretKeyRef").(map[string]any)
		if ref == nil {
			t.Errorf("%s (config_data %s) is not set from a Secret in the gateway container", name, key)
			continue
		}
		if ref["name"] != get(secret, "metadata", "name") || data[str(ref["key"])] == nil {
			t.Errorf("%s comes from secret %v key %v, which secret.yaml does not define", name, ref["name"], ref["key"])
		}
	}
	// The configuration itself is valid for the plugin (secrets resolved
	// from the environment, as the gateway's process would).
	t.Setenv("LDAP_BIND_PASSWORD", "k8s-recipe-bind-password")
	t.Setenv("LDAP_SESSION_KEY", "k8s-recipe-session-key-0123456789")
	// tls_ca_file is read when the configuration is parsed: point it at a
	// real CA certificate here (the recipes mount one at the named path).
	cfg = maps.Clone(cfg)
	cfg["tls_ca_file"] = caFile(t)
	if _, err := ldapauth.ParseConfig(cfg); err != nil {
		t.Errorf("config_data is invalid: %v", err)
	}
}

func caFile(t *testing.T) string {
	t.Helper()
	ca, err := testpki.NewCA("helmtest CA", "tyk-ldap-auth tests")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func checkCA(t *testing.T, pod, c, ca, api map[string]any) {
	t.Helper()
	file := str(get(api, "config_data", "tls_ca_file"))
	m, v := mountFor(pod, c, file)
	if m == nil || v == nil || get(v, "configMap", "name") != get(ca, "metadata", "name") {
		t.Fatalf("tls_ca_file %s is not on the ldapauth-ca ConfigMap volume (mount %v, volume %v)", file, m, v)
	}
	if get(ca, "data", path.Base(file)) == nil {
		t.Errorf("the ConfigMap has no key %s", path.Base(file))
	}
}

func checkImage(t *testing.T, pod, c, api map[string]any) {
	t.Helper()
	dockerfile, err := os.ReadFile(filepath.Join(root(t), "testdata", "kubernetes", "Dockerfile.gateway"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^FROM tykio/tyk-gateway:\$\{TYK_VERSION\}$`).Match(dockerfile) {
		t.Errorf("Dockerfile.gateway does not start FROM tykio/tyk-gateway:${TYK_VERSION}")
	}
	apiPath := str(get(api, "custom_middleware", "auth_check", "path"))
	dir := path.Dir(apiPath)
	copies := dockerCopy.FindAllSubmatch(dockerfile, -1)
	var soCopied bool
	for _, m := range copies {
		mode, src, dst := string(m[2]), string(m[3]), string(m[4])
		if strings.HasSuffix(src, ".so") {
			soCopied = strings.TrimSuffix(dst, "/") == dir
			if mode[3]-'0' < 4 {
				t.Errorf("the .so is copied with mode %s: not readable by UID 65532 or a platform-assigned UID", mode)
			}
			if !strings.HasPrefix(src, "ldapauth-${BUILD_ID}_${TYK_VERSION}_linux_amd64") {
				t.Errorf("the .so copied (%s) is not the file the gateway looks for next to %s", src, apiPath)
			}
		}
	}
	if !soCopied {
		t.Errorf("Dockerfile.gateway does not put the .so in %s, where the API looks for it", dir)
	}
	// Nothing the chart mounts may hide the baked-in files.
	if m, _ := mountFor(pod, c, apiPath); m != nil {
		t.Errorf("volume %v is mounted over %s and hides the plugin baked into the image", m["name"], apiPath)
	}
	image := str(c["image"])
	if !strings.HasPrefix(image, "registry.example.org/tyk-gateway-ldapauth:") {
		t.Errorf("the gateway runs %s, not the image built from Dockerfile.gateway", image)
	}
	checkAuthAPI(t, api)
}

func checkBundle(t *testing.T, pod, c map[string]any, server []object, api map[string]any) {
	t.Helper()
	e := env(c)
	if str(e["TYK_GW_ENABLEBUNDLEDOWNLOADER"]["value"]) != "true" {
		t.Errorf("TYK_GW_ENABLEBUNDLEDOWNLOADER is %v", e["TYK_GW_ENABLEBUNDLEDOWNLOADER"])
	}
	var svcURL string
	for _, o := range server {
		if o["kind"] == "Service" {
			port := list(get(o, "spec", "ports"))[0].(map[string]any)["port"]
			svcURL = "http://" + str(get(o, "metadata", "name")) + "." + str(get(o, "metadata", "namespace")) + ".svc:" + jsonNumber(port) + "/"
		}
	}
	if got := str(e["TYK_GW_BUNDLEBASEURL"]["value"]); got != svcURL {
		t.Errorf("TYK_GW_BUNDLEBASEURL is %q, the bundle server's Service is %q", got, svcURL)
	}
	bundle := str(api["custom_middleware_bundle"])
	var probed bool
	for _, o := range server {
		for _, ct := range list(get(o, "spec", "template", "spec", "containers")) {
			if p := str(get(ct, "readinessProbe", "httpGet", "path")); p == "/"+bundle {
				probed = true
			}
		}
	}
	if !probed {
		t.Errorf("the bundle server does not serve %s (its readiness probe asks for another file)", bundle)
	}
	if get(api, "use_go_plugin_auth") != true || get(api, "use_keyless") != false {
		t.Errorf("the bundle API does not make the plugin its authentication")
	}
}

func checkVolume(t *testing.T, pod, c map[string]any, manifests []object, api map[string]any) {
	t.Helper()
	apiPath := str(get(api, "custom_middleware", "auth_check", "path"))
	m, v := mountFor(pod, c, apiPath)
	if m == nil || v == nil {
		t.Fatalf("no volume is mounted where the API looks for the plugin (%s)", apiPath)
	}
	if mp := str(m["mountPath"]); mp == "/mnt/tyk-gateway" || strings.HasPrefix(mp, "/mnt/tyk-gateway/") {
		t.Errorf("the plugin volume is mounted at %s, inside the chart's emptyDir", mp)
	}
	if m["readOnly"] != true {
		t.Errorf("the plugin volume is mounted writable")
	}
	claim := str(get(v, "persistentVolumeClaim", "claimName"))
	var claimed, copied bool
	for _, o := range manifests {
		if o["kind"] == "PersistentVolumeClaim" && str(get(o, "metadata", "name")) == claim {
			claimed = true
		}
		if o["kind"] == "Job" {
			for _, ct := range list(get(o, "spec", "template", "spec", "containers")) {
				args := list(get(ct, "command"))
				for _, a := range args {
					base := path.Base(str(a))
					want := strings.TrimSuffix(path.Base(apiPath), ".so") + "_"
					if strings.HasPrefix(base, want) && strings.HasSuffix(base, "_linux_amd64.so") {
						copied = true
					}
				}
			}
		}
	}
	if !claimed {
		t.Errorf("plugin-volume.yaml has no claim %q", claim)
	}
	if !copied {
		t.Errorf("the Job in plugin-volume.yaml does not copy the file the API names (%s + _<version>_linux_amd64.so)", apiPath)
	}
	checkAuthAPI(t, api)
}

func checkAuthAPI(t *testing.T, api map[string]any) {
	t.Helper()
	if get(api, "use_go_plugin_auth") != true || get(api, "use_keyless") != false {
		t.Errorf("the API does not make the plugin its authentication (use_go_plugin_auth true, use_keyless false)")
	}
	if get(api, "custom_middleware", "driver") != "goplugin" || get(api, "custom_middleware", "auth_check", "name") != "LDAPAuth" {
		t.Errorf("custom_middleware is %v", api["custom_middleware"])
	}
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestApiDefinitionsMatchTheCRD checks every field the ApiDefinitions use
// against the Tyk Operator CRD shipped with the charts, so a misspelt or
// unsupported field (custom_plugin_auth_enabled) cannot pass.
func TestApiDefinitionsMatchTheCRD(t *testing.T) {
	dir := charts(t)
	matches, err := filepath.Glob(filepath.Join(dir, "tyk-operator-crds", "crd-v*.yaml"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no CRDs in the charts snapshot: %v", err)
	}
	slices.Sort(matches)
	data, err := os.ReadFile(matches[len(matches)-1])
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	for _, o := range toJSON(t, data) {
		if get(o, "spec", "names", "kind") == "ApiDefinition" {
			for _, v := range list(get(o, "spec", "versions")) {
				if get(v, "name") == "v1alpha1" {
					schema, _ = get(v, "schema", "openAPIV3Schema", "properties", "spec").(map[string]any)
				}
			}
		}
	}
	if schema == nil {
		t.Fatalf("no ApiDefinition v1alpha1 schema in %s", matches[len(matches)-1])
	}
	for name, spec := range apiDefinitions(t) {
		checkSchema(t, name+".spec", spec, schema)
	}
	if _, ok := get(schema, "properties", "custom_plugin_auth_enabled").(map[string]any); ok {
		t.Log("note: the CRD now also has custom_plugin_auth_enabled")
	}
}

func checkSchema(t *testing.T, where string, v any, schema map[string]any) {
	t.Helper()
	if schema["x-kubernetes-preserve-unknown-fields"] == true {
		return
	}
	switch val := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for k, sub := range val {
			s, ok := props[k].(map[string]any)
			if !ok {
				t.Errorf("%s.%s: not a field of the Tyk Operator's ApiDefinition", where, k)
				continue
			}
			checkSchema(t, where+"."+k, sub, s)
		}
	case []any:
		items, _ := schema["items"].(map[string]any)
		for _, it := range val {
			checkSchema(t, where+"[]", it, items)
		}
	}
}
