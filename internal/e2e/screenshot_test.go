//go:build screenshot

package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/cdp"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/jaegertest"
	"github.com/tyk-ldap-auth/tyk-ldap-auth/internal/slapdtest"
)

// TestJaegerScreenshot renders one cold authentication through the loaded
// plugin in Jaeger's web UI with headless Chromium and writes the picture
// of docs/observability.md. It needs a built Jaeger UI (see
// docs/development.md), so it is behind the screenshot build tag:
//
//	JAEGER_UI_ASSETS=/path/to/jaeger-ui/packages/jaeger-ui/build \
//	GOWORK=$PWD/testdata/tykstandin/go.work go test -trimpath \
//	  -tags 'goplugin screenshot' -run TestJaegerScreenshot ./internal/e2e
func TestJaegerScreenshot(t *testing.T) {
	if os.Getenv(jaegertest.UIAssetsEnv) == "" {
		t.Fatalf("%s must name a built Jaeger UI", jaegertest.UIAssetsEnv)
	}
	tr := newTraced(t)
	cfg := tr.search("group_source", "search", "group_base_dn", slapdtest.GroupsDN, "required_groups", []string{"developers"})
	tr.load(tr.api(classic, "ldap-api", cfg, detailedTracing))
	r, id := tr.send("ldap-api", "alice", "alice-pass-1")
	if r.status != http.StatusOK {
		t.Fatalf("alice got %d", r.status)
	}
	tr.jaeger.WaitTrace(t, id, 7, 10*time.Second)

	b := cdp.LaunchT(t, cdp.Options{Width: 1500, Height: 560})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	page, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := page.Navigate(ctx, tr.jaeger.UIURL()+"/trace/"+id); err != nil {
		t.Fatal(err)
	}
	if err := page.WaitFor(ctx, `document.body.innerText.includes("ldap.user_bind") && document.body.innerText.includes("ldapauth.authenticate")`); err != nil {
		text, _ := page.Text(ctx)
		t.Fatalf("the trace did not render: %v\n%s", err, text)
	}
	png, err := page.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cdp.CheckRendered(png, 32); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join("..", "..", "docs", "img", "jaeger-cold-authentication.png")
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}
