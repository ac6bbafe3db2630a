package depcheck

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// Gateway facts are what a dependency check needs to know about one gateway
// release, derived from its go.mod, so that the check can run where the
// gateway's source is not at hand:
//
//	# Tyk gateway v5.8.0: its go line, then every module and version its go.mod selects (module path, version)
//	# (how the file was made)
//	go 1.23.4
//	github.com/google/uuid v1.6.0
//	go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp v0.54.0 => go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp v0.49.0
//
// Lines starting with # are comments. The first other line is the go line;
// every line after it is a module, in the form `go list -m all` prints,
// with the replacement that applies to it.

// ReadGatewayFile reads a gateway's go.mod, or a facts file derived from
// one. A go.mod always has a module directive; a facts file never does.
func ReadGatewayFile(path string) (*Info, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if hasModuleDirective(string(data)) {
		return ParseGoMod(path, data)
	}
	return ParseFacts(path, string(data))
}

func hasModuleDirective(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "module" {
			return true
		}
	}
	return false
}

// ParseFacts parses a facts file (see above). MainModule stays empty: the
// file lists the gateway's dependencies, not its own path.
func ParseFacts(source, text string) (*Info, error) {
	info := &Info{Source: source, Modules: map[string]Module{}}
	for n, raw := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if info.GoLine == "" {
			f := strings.Fields(line)
			if len(f) != 2 || f[0] != "go" {
				return nil, fmt.Errorf("%s: line %d: %q: the first line that is not a comment must be the go line, \"go VERSION\"", source, n+1, line)
			}
			info.GoLine = f[1]
			continue
		}
		m, err := parseModuleLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", source, n+1, err)
		}
		if _, dup := info.Modules[m.Path]; dup {
			return nil, fmt.Errorf("%s: line %d: module %s listed twice", source, n+1, m.Path)
		}
		info.Modules[m.Path] = m
	}
	if info.GoLine == "" || len(info.Modules) == 0 {
		return nil, fmt.Errorf("%s: no go line and modules: not a gateway facts file", source)
	}
	return info, nil
}

// WriteFacts writes the facts of a gateway read from its go.mod: title names
// the release ("Tyk gateway v5.8.0"), and each line of origin becomes a
// comment saying how the file was made.
func WriteFacts(w io.Writer, info *Info, title string, origin []string) error {
	if info.GoLine == "" {
		return fmt.Errorf("%s: no go line", info.Source)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %s: its go line, then every module and version its go.mod selects (module path, version)\n", title)
	for _, o := range origin {
		fmt.Fprintf(bw, "# %s\n", o)
	}
	fmt.Fprintf(bw, "go %s\n", info.GoLine)
	for _, p := range info.ModulePaths() {
		fmt.Fprintf(bw, "%s %s\n", p, info.Modules[p].Effective())
	}
	return bw.Flush()
}
