// Package depcheck compares what a Go plugin was built with against the Tyk
// gateway that is meant to load it.
//
// A Go plugin only loads when it shares, with the host process, the exact Go
// release, the build settings that change compiled code (-trimpath, -tags,
// CGO_ENABLED, -race, GOAMD64, ...) and the exact version of every module the
// two have in common. A mismatch anywhere, even in a module two steps away
// from anything the plugin imports, ends in "plugin was built with a
// different version of package ..." only when the gateway loads it. This
// package finds that mismatch at build time, from the build information that
// `go version -m` prints, compared with the gateway binary's, or with the
// modules its source's go.mod selects.
//
// Before anything is built, CheckRequirements holds the plugin module's go
// line and requirement graph against a gateway's go.mod: the plugin compiler
// builds in a Go workspace with the gateway source, where a newer version
// asked for by the plugin module wins over the gateway's.
package depcheck

import (
	"bytes"
	"debug/buildinfo"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"strings"
)

// Module is one module linked into a binary, with its replacement, if any.
type Module struct {
	Path    string
	Version string
	Sum     string
	Replace *Module
}

// Effective is what decides the code that was compiled: the version, or the
// replacement when there is one. Two binaries share a module's code only when
// their Effective strings are equal.
func (m Module) Effective() string {
	if m.Replace == nil {
		return m.Version
	}
	r := m.Replace.Path
	if m.Replace.Version != "" {
		r += " " + m.Replace.Version
	}
	return m.Version + " => " + r
}

// Info is the build information of one binary (or, for a gateway known only
// from its source tree, the module list of that tree).
type Info struct {
	// Source names where the information came from, for messages.
	Source string
	// GoVersion is the Go release, e.g. "go1.24.3"; empty when unknown.
	GoVersion string
	// MainModule is the module path of the main module ("mod" line).
	MainModule string
	// MainPackage is the import path of the main package ("path" line).
	MainPackage string
	// Modules holds every dependency module, by module path.
	Modules map[string]Module
	// Settings holds the build settings ("build" lines); nil when unknown.
	Settings map[string]string
	// GoLine is the go directive of the module's go.mod ("1.23.4"): the
	// oldest Go release that may build it. Empty when not known, as for a
	// binary.
	GoLine string
	// Skipped names go.mod directives that were read past without being
	// understood (newer than this parser), so a report can say so.
	Skipped []string
}

// ModulePaths returns the dependency module paths in sorted order.
func (i *Info) ModulePaths() []string {
	paths := make([]string, 0, len(i.Modules))
	for p := range i.Modules {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// elfMagic starts every ELF file: a binary or a .so, as opposed to a text
// file holding `go version -m` output.
var elfMagic = []byte{0x7f, 'E', 'L', 'F'}

// ReadFile reads the build information of a Go binary or plugin. A text file
// holding the output of `go version -m FILE` is accepted too, so that saved
// output can be checked later.
func ReadFile(path string) (*Info, error) {
	head := make([]byte, len(elfMagic))
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	n, _ := f.Read(head)
	_ = f.Close()
	if n == len(elfMagic) && bytes.Equal(head, elfMagic) {
		bi, err := buildinfo.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return fromBuildInfo(path, bi), nil
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	info, err := ParseVersionM(string(text))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return info, nil
}

// ParseVersionM parses the output of `go version -m FILE` for one file:
//
//	FILE: go1.24.3
//		path	github.com/x/y/plugin
//		mod	github.com/x/y	(devel)
//		dep	golang.org/x/net	v0.47.0	h1:...
//		build	-trimpath=true
func ParseVersionM(text string) (*Info, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) == "" {
		return nil, errors.New("empty `go version -m` output")
	}
	first := lines[0]
	colon := strings.LastIndex(first, ": ")
	if colon < 0 || strings.HasPrefix(first, "\t") {
		return nil, fmt.Errorf("first line %q is not \"FILE: goVERSION\"", first)
	}
	source, goVersion := first[:colon], strings.TrimSpace(first[colon+2:])
	if !strings.HasPrefix(goVersion, "go") {
		return nil, fmt.Errorf("first line %q does not name a Go version", first)
	}
	// The remaining lines are BuildInfo.String() output, each indented by one
	// tab; the standard library parses that format, quoting included.
	var body strings.Builder
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, "\t") {
			return nil, fmt.Errorf("output holds more than one file (line %q); run `go version -m` on one file", l)
		}
		body.WriteString(l[1:])
		body.WriteByte('\n')
	}
	bi, err := debug.ParseBuildInfo(body.String())
	if err != nil {
		return nil, fmt.Errorf("parse build info: %w", err)
	}
	bi.GoVersion = goVersion
	return fromBuildInfo(source, bi), nil
}

func fromBuildInfo(source string, bi *debug.BuildInfo) *Info {
	info := &Info{
		Source:      source,
		GoVersion:   bi.GoVersion,
		MainModule:  bi.Main.Path,
		MainPackage: bi.Path,
		Modules:     make(map[string]Module, len(bi.Deps)),
		Settings:    make(map[string]string, len(bi.Settings)),
	}
	for _, d := range bi.Deps {
		if d == nil {
			continue
		}
		info.Modules[d.Path] = convert(d)
	}
	for _, s := range bi.Settings {
		info.Settings[s.Key] = s.Value
	}
	return info
}

func convert(m *debug.Module) Module {
	out := Module{Path: m.Path, Version: m.Version, Sum: m.Sum}
	if m.Replace != nil {
		r := convert(m.Replace)
		out.Replace = &r
	}
	return out
}

// ParseModList parses the output of `go list -m all` run in a module's
// source tree (the gateway's, or this module's own). It knows module
// versions only: GoVersion and Settings stay empty, so Compare can check
// modules but not the toolchain or flags.
//
//	github.com/TykTechnologies/tyk
//	golang.org/x/net v0.47.0
//	github.com/getkin/kin-openapi v0.132.0 => github.com/TykTechnologies/kin-openapi v0.90.1
//	example.com/local v1.0.0 => ../local
func ParseModList(source, text string) (*Info, error) {
	info := &Info{Source: source, Modules: map[string]Module{}}
	for n, raw := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		if f := strings.Fields(line); len(f) == 1 && n == 0 {
			info.MainModule = f[0]
			continue
		}
		m, err := parseModuleLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		info.Modules[m.Path] = m
	}
	if len(info.Modules) == 0 {
		return nil, errors.New("no modules in `go list -m all` output")
	}
	return info, nil
}

// parseModuleLine reads one "MODULE VERSION [=> REPLACEMENT [VERSION]]"
// line, the form `go list -m all` prints. A replacement of every version
// of a module has no version on the left: "MODULE => REPLACEMENT VERSION".
func parseModuleLine(line string) (Module, error) {
	left, right, replaced := strings.Cut(line, " => ")
	f := strings.Fields(left)
	if len(f) != 2 && !(len(f) == 1 && replaced) {
		return Module{}, fmt.Errorf("%q is not \"MODULE VERSION [=> REPLACEMENT]\"", line)
	}
	m := Module{Path: f[0]}
	if len(f) == 2 {
		m.Version = f[1]
	}
	if replaced {
		rf := strings.Fields(right)
		if len(rf) < 1 || len(rf) > 2 {
			return Module{}, fmt.Errorf("bad replacement %q", right)
		}
		r := Module{Path: rf[0]}
		if len(rf) == 2 {
			r.Version = rf[1]
		}
		m.Replace = &r
	}
	return m, nil
}
