package daemon_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/internal/testutil"
)

// TestCrossSiteReloadInChromium: a page of another site that posts a form
// to the daemon's /admin/reload from a real browser on the same machine
// reloads nothing, though the request comes from loopback.
func TestCrossSiteReloadInChromium(t *testing.T) {
	m := openDaemon(t, testConfig(t, t.TempDir(), sampleFeeds(t), ""))
	if err := m.Listen(); err != nil {
		t.Fatal(err)
	}
	m.Serve(context.Background())
	for _, target := range []string{"127.0.0.1", "localhost"} {
		u := strings.Replace("http://"+m.Addr, "127.0.0.1", target, 1)
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><title>cats</title><form method="post" action="%s/admin/reload"></form>
<script>document.forms[0].submit()</script>`, u)
		}))
		dom := testutil.Chromium(t, "--virtual-time-budget=10000", "--dump-dom", evil.URL+"/")
		evil.Close()
		if strings.Contains(string(dom), "reloaded") || !strings.Contains(string(dom), "cross-site requests are refused") {
			t.Errorf("the form of %s posted to %s: the browser shows\n%s", evil.URL, u, dom)
		}
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if strings.Contains(rec.Body.String(), `feedcurator_config_reloads_total{result="ok"}`) {
		t.Errorf("a reload happened:\n%s", grep(rec.Body.String(), "reloads_total"))
	}
}
