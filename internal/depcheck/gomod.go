package depcheck

import (
	"fmt"
	"os"
	"slices"

	"golang.org/x/mod/modfile"
)

// parsedDirectives are the go.mod statements read through the modfile
// parser linked here (golang.org/x/mod v0.17.0, the version this module's
// graph already has).
var parsedDirectives = []string{"module", "go", "toolchain", "require", "exclude", "replace", "retract"}

// selectionNeutral are directives that parser does not know, which change
// nothing about the module versions a build selects: godebug sets the main
// program's default GODEBUG, tool names packages of modules that must be
// required anyway, ignore hides directories from package patterns. They are
// dropped before the strict parse. Any other unknown directive is dropped
// too, and named in Info.Skipped.
var selectionNeutral = []string{"godebug", "tool", "ignore"}

// ReadGoMod reads a go.mod file; see ParseGoMod.
func ReadGoMod(path string) (*Info, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseGoMod(path, data)
}

// ParseGoMod reads a go.mod file: its module path, its go line and every
// module it requires, each with the replacement that applies to it. For a
// gateway this is the list of modules its binary can link: since Go 1.17 a
// tidy go.mod lists every module that provides a package to the build, at
// the version the build selects, so nothing has to be downloaded to know
// them. GoVersion and Settings stay empty: a go.mod does not say which Go
// release or which flags built the binary.
func ParseGoMod(source string, data []byte) (*Info, error) {
	lax, err := modfile.ParseLax(source, data, nil)
	if err != nil {
		return nil, err
	}
	var skipped []string
	var kept []modfile.Expr
	for _, stmt := range lax.Syntax.Stmt {
		verb := statementVerb(stmt)
		if verb != "" && !slices.Contains(parsedDirectives, verb) {
			if !slices.Contains(selectionNeutral, verb) && !slices.Contains(skipped, verb) {
				skipped = append(skipped, verb)
			}
			continue
		}
		kept = append(kept, stmt)
	}
	lax.Syntax.Stmt = kept
	f, err := modfile.Parse(source, modfile.Format(lax.Syntax), nil)
	if err != nil {
		return nil, err
	}
	if f.Module == nil {
		return nil, fmt.Errorf("%s: no module directive", source)
	}
	if f.Go == nil {
		return nil, fmt.Errorf("%s: no go directive", source)
	}
	if len(f.Require) == 0 {
		return nil, fmt.Errorf("%s: requires no modules", source)
	}

	info := &Info{
		Source:     source,
		MainModule: f.Module.Mod.Path,
		GoLine:     f.Go.Version,
		Modules:    make(map[string]Module, len(f.Require)),
		Skipped:    skipped,
	}
	for _, r := range f.Require {
		m := Module{Path: r.Mod.Path, Version: r.Mod.Version}
		m.Replace = replacementFor(f.Replace, r.Mod.Path, r.Mod.Version)
		info.Modules[m.Path] = m
	}
	return info, nil
}

// statementVerb is the directive a go.mod statement starts with ("" for a
// comment block).
func statementVerb(stmt modfile.Expr) string {
	switch x := stmt.(type) {
	case *modfile.Line:
		if len(x.Token) > 0 {
			return x.Token[0]
		}
	case *modfile.LineBlock:
		if len(x.Token) > 0 {
			return x.Token[0]
		}
	}
	return ""
}

// replacementFor applies Go's rule: a replacement of this exact version
// wins over one of every version of the module.
func replacementFor(replaces []*modfile.Replace, path, version string) *Module {
	var wildcard *modfile.Replace
	for _, r := range replaces {
		if r.Old.Path != path {
			continue
		}
		if r.Old.Version == version {
			return &Module{Path: r.New.Path, Version: r.New.Version}
		}
		if r.Old.Version == "" {
			wildcard = r
		}
	}
	if wildcard == nil {
		return nil
	}
	return &Module{Path: wildcard.New.Path, Version: wildcard.New.Version}
}
