package testutil

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// browserSite is a page with a script, a form that posts and redirects,
// and a page after it.
func browserSite(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><meta charset="utf-8"><title>start</title>
<meta name="viewport" content="width=device-width"></head>
<body><p id="hello">你好，浏览器</p>
<form method="post" action="/posted"><input name="q"><button id="go">go</button></form>
<div style="height:3000px">tall</div><p id="hidden" hidden>hidden</p><p id="invisible" style="visibility:hidden">invisible</p>
<script src="/app.js"></script></body></html>`)
	})
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `console.log("app ready");
setTimeout(function () { document.body.dataset.late = "1"; throw new Error("boom from the page"); }, 50);`)
	})
	mux.HandleFunc("POST /posted", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/done?q="+r.FormValue("q"), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /done", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><p id="done">q=%s</p>`, r.FormValue("q"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestBrowser drives a page through the helper: its viewport, a load, a
// wait for a script's change, the console, a dialog, a form posted and
// redirected, a full-page screenshot and the report.
func TestBrowser(t *testing.T) {
	site := browserSite(t)
	b := NewBrowser(t, 390, 844)
	if status := b.Load("open the start page", chromedp.Navigate(site.URL+"/")); status != http.StatusOK {
		t.Errorf("start page status %d", status)
	}
	if w, h := Eval[int](b, "window.innerWidth"), Eval[int](b, "window.innerHeight"); w != 390 || h != 844 {
		t.Errorf("viewport %dx%d, want 390x844", w, h)
	}
	if !b.Visible("#hello") || b.Visible("#nothing") || b.Visible("#hidden") || b.Visible("#invisible") {
		t.Errorf("visible: #hello %v, #nothing %v", b.Visible("#hello"), b.Visible("#nothing"))
	}
	if got := b.Text("#hello"); got != "你好，浏览器" {
		t.Errorf("#hello reads %q", got)
	}
	b.Wait("the script's late change", `document.body.dataset.late === "1"`)
	b.WaitConsole("the script's log", "app ready")
	if m := b.WaitConsole("the uncaught exception", "boom from the page"); !strings.HasPrefix(m, "exception:") {
		t.Errorf("the exception is logged as %q", m)
	}

	// A dialog would stop the page: it is accepted, and noted.
	if !Eval[bool](b, `confirm("sure?")`) {
		t.Error("the dialog was not accepted")
	}
	b.WaitConsole("the dialog", "dialog: confirm: sure?")

	b.Do("type into the form", chromedp.SendKeys(chromedp.CSS("input[name=q]"), "云"))
	if status := b.Load("submit the form", chromedp.Click(chromedp.CSS("#go"))); status != http.StatusOK {
		t.Errorf("page after the post: status %d", status)
	}
	if got := b.Text("#done"); got != "q=云" {
		t.Errorf("page after the post reads %q", got)
	}

	b.Load("back to the start page", chromedp.Navigate(site.URL+"/"))
	path := b.Screenshot("start")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if cfg.Width != 390 || cfg.Height < 3000 {
		t.Errorf("full-page screenshot is %dx%d, want 390 wide and the page's height (over 3000)", cfg.Width, cfg.Height)
	}

	report := b.Report()
	for _, want := range []string{site.URL + "/", `<p id="hello">你好，浏览器</p>`, "app ready", "boom from the page"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

// fatalRecorder is a testing.TB whose Fatalf notes the message and ends
// the goroutine, as Fatalf does, without failing the test.
type fatalRecorder struct {
	testing.TB
	fatal string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestBrowserFailureReports: a failing step fails the test with what the
// page showed and what it wrote to the console.
func TestBrowserFailureReports(t *testing.T) {
	site := browserSite(t)
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := NewBrowser(r, 800, 600)
		b.Load("open the start page", chromedp.Navigate(site.URL+"/"))
		b.WaitConsole("the script's log", "app ready")
		Eval[int](b, "no_such_name.length")
		t.Error("a failed evaluation went on")
	}()
	<-done
	for _, want := range []string{"evaluate no_such_name.length", "no_such_name is not defined", `<p id="hello">你好，浏览器</p>`, "app ready"} {
		if !strings.Contains(r.fatal, want) {
			t.Errorf("failure message lacks %q:\n%s", want, r.fatal)
		}
	}
}

// TestBrowserWithoutChromium: without chromium a browser test is skipped,
// or fails when FEEDCURATOR_REQUIRE_TOOLS says the tools are there.
func TestBrowserWithoutChromium(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("FEEDCURATOR_REQUIRE_TOOLS", "")
	skipped := false
	t.Run("missing", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		NewBrowser(t, 800, 600)
		t.Error("NewBrowser went on without chromium")
	})
	if !skipped {
		t.Error("a test without chromium was not skipped")
	}

	t.Setenv("FEEDCURATOR_REQUIRE_TOOLS", "1")
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		NewBrowser(r, 800, 600)
	}()
	<-done
	if !strings.Contains(r.fatal, "chromium is required") {
		t.Errorf("without chromium and with FEEDCURATOR_REQUIRE_TOOLS: %q", r.fatal)
	}
}
