package tykhost

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"plugin"
	"runtime"
	"strings"
	"sync"
)

// Errors with Tyk's texts (goplugin/goplugin.go, goplugin/plugin_name_builder.go).
var (
	errPluginNotFound = errors.New("plugin file not found")
	errCastHandler    = errors.New("could not cast function symbol to http.HandlerFunc")
)

// pluginCandidates lists the files Tyk tries for a configured plugin path, in
// order: name_vX.Y.Z_GOOS_GOARCH.so, name_X.Y.Z_GOOS_GOARCH.so, then the path
// as written. An "-rc…" style suffix is cut from the version first.
func pluginCandidates(version, path string) []string {
	if version, _, _ = strings.Cut(version, "-"); version == "" {
		return []string{path}
	}
	withV := "v" + strings.TrimPrefix(version, "v")
	withoutV := strings.TrimPrefix(version, "v")
	dir := filepath.Dir(path)
	name := strings.TrimSuffix(filepath.Base(path), ".so")
	build := func(v string) string {
		return filepath.Join(dir, strings.Join([]string{name, v, runtime.GOOS, runtime.GOARCH}, "_")+".so")
	}
	return []string{build(withV), build(withoutV), path}
}

// resolvePluginPath returns the first candidate that exists.
func resolvePluginPath(exists func(string) bool, version, path string) (string, error) {
	for _, c := range pluginCandidates(version, path) {
		if exists(c) {
			return c, nil
		}
	}
	return "", errPluginNotFound
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// openResult is the outcome of opening one plugin file.
type openResult struct {
	p   *plugin.Plugin
	err error
}

// pluginLoader opens each plugin file once per real path, as Go's plugin
// package itself does (it keys loaded plugins by realpath), and keeps the
// handle for every API that uses it; reloads reuse it.
type pluginLoader struct {
	version string
	exists  func(string) bool
	open    func(string) (*plugin.Plugin, error)

	mu     sync.Mutex
	byReal map[string]openResult
	opens  int // plugin.Open calls made, for tests
}

func newPluginLoader(version string) *pluginLoader {
	return &pluginLoader{
		version: version,
		exists:  fileExists,
		open:    plugin.Open,
		byReal:  make(map[string]openResult),
	}
}

// handler resolves path, opens the file (once per real path) and looks up
// symbol, which must be exactly func(http.ResponseWriter, *http.Request).
func (l *pluginLoader) handler(path, symbol string) (http.HandlerFunc, error) {
	resolved, err := resolvePluginPath(l.exists, l.version, path)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(resolved)
	if err != nil {
		return nil, err
	}
	if real, err = filepath.Abs(real); err != nil {
		return nil, err
	}
	p, err := l.openOnce(resolved, real)
	if err != nil {
		return nil, err
	}
	sym, err := p.Lookup(symbol)
	if err != nil {
		return nil, err
	}
	fn, ok := sym.(func(http.ResponseWriter, *http.Request))
	if !ok {
		return nil, errCastHandler
	}
	return fn, nil
}

func (l *pluginLoader) openOnce(path, real string) (*plugin.Plugin, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.byReal[real]; ok {
		return r.p, r.err
	}
	p, err := l.safeOpen(path)
	// A failure is kept too: Go would answer a second open of a file whose
	// init panicked by blocking forever, so the host must not retry it.
	l.byReal[real] = openResult{p: p, err: err}
	return p, err
}

// safeOpen turns a panic in the plugin's init into an error, as Tyk's
// loadPlugin does ("Recovered from panic while loading Go-plugin").
func (l *pluginLoader) safeOpen(path string) (p *plugin.Plugin, err error) {
	defer func() {
		if e := recover(); e != nil {
			p, err = nil, fmt.Errorf("recovered from panic while loading Go-plugin: %v", e)
		}
	}()
	l.opens++
	return l.open(path)
}

// openCount reports how many times plugin.Open was called.
func (l *pluginLoader) openCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.opens
}
