package cdp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testproc"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/testutil"
)

// testPage has a form whose submit handler writes what was typed and
// clicked into the page, and enough colour to count as rendered.
const testPage = `<!DOCTYPE html><html><head><title>cdp test</title>
<style>body{font:16px sans-serif;background:linear-gradient(90deg,#fdf6e3,#268bd2)} h1{color:#b58900}</style></head>
<body><h1>cdp test page</h1>
<form id="f"><input id="name" name="name" value="old">
<select id="colour"><option value="red">Red</option><option value="green">Green</option><option value="b">Blue</option></select>
<button id="go" type="button">Go</button></form>
<p id="out"></p>
<script>
document.getElementById("colour").addEventListener("change", e => document.body.dataset.colour = e.target.value);
document.getElementById("go").addEventListener("click", e => {
  document.getElementById("out").textContent = "clicked " + document.getElementById("name").value +
    " " + (document.body.dataset.colour || "none") + " trusted=" + e.isTrusted;
});
</script></body></html>`

func serveTestPage(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(testPage))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestLaunchMissingBrowser(t *testing.T) {
	_, err := Launch(Options{ExecPath: filepath.Join(t.TempDir(), "chromium")})
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install -y --no-install-recommends chromium") {
		t.Fatalf("Launch = %v, want ErrNotInstalled with the apt-get line", err)
	}
}

// TestPageActions drives a page like a user: type, select, click with real
// input events, wait for the result, take a screenshot.
func TestPageActions(t *testing.T) {
	b := LaunchT(t, Options{})
	ctx := timeout(t, 60*time.Second)
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(ctx, serveTestPage(t)); err != nil {
		t.Fatal(err)
	}
	text, err := p.Text(ctx)
	if err != nil || !strings.Contains(text, "cdp test page") {
		t.Fatalf("Text = %q, %v", text, err)
	}
	if err := p.Type(ctx, "#name", "o'brien \"x\""); err != nil {
		t.Fatal(err)
	}
	if err := p.Select(ctx, "#colour", "green"); err != nil {
		t.Fatal(err)
	}
	if err := p.Click(ctx, "#go"); err != nil {
		t.Fatal(err)
	}
	want := `clicked o'brien "x" green trusted=true`
	if err := p.WaitFor(ctx, `document.getElementById("out").textContent === `+jsString(want)); err != nil {
		var got string
		_ = p.Eval(ctx, `document.getElementById("out").textContent`, &got)
		t.Fatalf("%v; the page shows %q", err, got)
	}
	if err := p.SelectText(ctx, "#colour", "Blue"); err != nil {
		t.Fatal(err)
	}
	if err := p.ClickText(ctx, "button", "Go"); err != nil {
		t.Fatal(err)
	}
	want = `clicked o'brien "x" b trusted=true`
	if err := p.WaitFor(ctx, `document.getElementById("out").textContent === `+jsString(want)); err != nil {
		var got string
		_ = p.Eval(ctx, `document.getElementById("out").textContent`, &got)
		t.Fatalf("%v; the page shows %q", err, got)
	}
	shot, err := p.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := CheckRendered(shot, 16)
	if err != nil {
		t.Fatal(err)
	}
	if s.Width != 1280 || s.Height != 900 {
		t.Fatalf("screenshot is %dx%d, want the 1280x900 viewport", s.Width, s.Height)
	}
}

func TestPageErrors(t *testing.T) {
	b := LaunchT(t, Options{})
	ctx := timeout(t, 60*time.Second)
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// about:blank renders as one colour: the screenshot check must refuse it.
	shot, err := p.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckRendered(shot, 8); err == nil {
		t.Fatal("CheckRendered accepted a screenshot of about:blank")
	}

	closed := "http://" + testutil.ClosedAddr(t) + "/"
	tests := []struct {
		name    string
		run     func() error
		wantErr string
	}{
		{"navigate to a closed port", func() error { return p.Navigate(ctx, closed) }, "ERR_CONNECTION_REFUSED"},
		{"JavaScript exception", func() error { return p.Eval(ctx, `(() => { throw new Error("boom") })()`, nil) }, "boom"},
		{"unknown protocol method", func() error { return p.call(ctx, "Nope.nothing", nil, nil) }, "Nope.nothing"},
		{"an option that is not there", func() error { return p.SelectText(ctx, "select", "Purple") }, "no option"},
		{"click on nothing", func() error {
			// Long enough for a loaded machine's browser to answer a look.
			short, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			return p.Click(short, "#missing")
		}, "no element matches #missing"},
		{"wait that never comes true", func() error {
			short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer cancel()
			return p.WaitFor(short, "false")
		}, "deadline exceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestCloseCleansUp: the browser's processes end, its profile is removed,
// and later commands fail with ErrClosed instead of hanging.
func TestCloseCleansUp(t *testing.T) {
	b, err := Launch(Options{})
	if err != nil {
		t.Fatalf("cdp: cannot launch Chromium: %v", err)
	}
	dir, proc := b.dir, b.proc
	if _, err := os.Stat(filepath.Join(dir, "profile")); err != nil {
		t.Fatalf("no profile directory while running: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if !proc.Exited() {
		t.Fatal("the browser still runs after Close")
	}
	// Its helpers (renderers, zygotes) are gone too, once reaped.
	if err := testproc.Poll(5*time.Second, 10*time.Millisecond, nil, func() error {
		if !testproc.GroupGone(proc.PID()) {
			return errors.New("the browser's process group still has members")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s still exists after Close (%v)", dir, err)
	}
	ctx := timeout(t, 10*time.Second)
	if _, err := b.NewPage(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewPage after Close = %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}
