package testutil

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Browser is a tab of Debian's headless Chromium driven through the
// DevTools protocol, for the tests of pages people use. Every call is
// bounded by the browser's deadline, and every failure reports what the
// page showed and what it wrote to the console.
type Browser struct {
	t        testing.TB
	ctx      context.Context // the tab's: it ends a grace after deadline, for the reports
	deadline time.Time       // no action runs past it

	mu       sync.Mutex
	console  []string
	changed  chan struct{} // closed, and replaced, at each console message
	reported bool          // a failure's message holds the report already
	done     bool          // the test is ending: log no more
}

const (
	// browserTimeout bounds all a Browser does: generous, since CI is a
	// busy machine of two cores and the browser competes with the race
	// detector for them.
	browserTimeout = 5 * time.Minute
	// stepTimeout bounds one call (a page load, a wait), so that a page
	// that never shows what a test waits for fails that step with a
	// report, not the whole test run.
	stepTimeout = 2 * time.Minute
	// reportGrace is how long past the deadline the tab stays up to say
	// what it showed.
	reportGrace = 30 * time.Second
	// reportMax caps the page's HTML in a report; the whole of it goes to
	// a file in the test's artifact folder.
	reportMax = 32 << 10
)

// chromiumFlags keep Chromium off the network and out of the user's
// profile; they are Chromium's (chromium.go), as chromedp options.
func chromiumFlags(profile string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.UserDataDir(profile),
		chromedp.Env("HOME=" + profile),
	}
}

// NewBrowser starts Chromium with a viewport of width×height CSS pixels
// and returns its one tab; the browser is stopped when the test ends. It
// skips the test without chromium (RequireTool). When the test fails, the
// last page's body and console are in its log.
func NewBrowser(t testing.TB, width, height int) *Browser {
	t.Helper()
	bin := RequireTool(t, "chromium")
	profile := t.TempDir()
	deadline := time.Now().Add(browserTimeout)
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		// Fail with a report before go test's own timeout panics.
		if td, ok := d.Deadline(); ok && td.Add(-reportGrace*2).Before(deadline) {
			deadline = td.Add(-reportGrace * 2)
		}
	}
	opts := append(chromiumFlags(profile), chromedp.ExecPath(bin), chromedp.WindowSize(width, height))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	var b *Browser
	logf := func(format string, args ...any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		if !b.done {
			t.Logf("chromedp: "+format, args...)
		}
	}
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(logf), chromedp.WithErrorf(logf))
	// The tab ends a grace after the deadline, so that a report can still
	// be read from it when a call ran out of time.
	ctx, cancelDeadline := context.WithDeadline(ctx, deadline.Add(reportGrace))
	b = &Browser{t: t, ctx: ctx, deadline: deadline, changed: make(chan struct{})}
	t.Cleanup(func() {
		b.mu.Lock()
		b.done = true
		b.mu.Unlock()
		cancelDeadline()
		cancelTab()
		cancelAlloc() // waits for the browser process to end
	})

	// The first call starts the browser and binds its life to the
	// context it gets: the tab's own, never a step's.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start chromium: %v", err)
		}
	case <-time.After(stepTimeout):
		t.Fatalf("chromium did not start within %s", stepTimeout)
	}
	go b.record(chromedp.Console(ctx))
	go b.answerDialogs(chromedp.Events(ctx, page.JavascriptDialogOpening))
	// The window's size is what the page lays out in; set it exactly
	// (a window may not shrink to a phone's width).
	b.Do(fmt.Sprintf("set the viewport to %dx%d", width, height), chromedp.EmulateViewport(int64(width), int64(height)))
	t.Cleanup(func() {
		b.mu.Lock()
		reported := b.reported
		b.mu.Unlock()
		if t.Failed() && !reported {
			t.Logf("the browser showed:\n%s", b.Report())
		}
	})
	return b
}

// record keeps the console's messages until the tab ends.
func (b *Browser) record(messages iter.Seq2[chromedp.ConsoleMessage, error]) {
	for m, err := range messages {
		if err != nil {
			return
		}
		line := m.String()
		if m.URL != "" {
			line += fmt.Sprintf(" (%s:%d)", m.URL, m.Line+1)
		}
		b.note(line)
	}
}

// note adds a line to the console's messages.
func (b *Browser) note(line string) {
	b.mu.Lock()
	b.console = append(b.console, line)
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// answerDialogs accepts every dialog (alert, confirm, prompt), which
// would otherwise stop the page, noting it among the console's messages
// as "dialog: type: message".
func (b *Browser) answerDialogs(dialogs iter.Seq2[page.EventJavascriptDialogOpening, error]) {
	for d, err := range dialogs {
		if err != nil {
			return
		}
		b.note(fmt.Sprintf("dialog: %s: %s (%s)", d.Type, d.Message, d.URL))
		_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
	}
}

// WaitConsole waits until a console message holds text, and returns it.
func (b *Browser) WaitConsole(what, text string) string {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	for {
		b.mu.Lock()
		for _, m := range b.console {
			if strings.Contains(m, text) {
				b.mu.Unlock()
				return m
			}
		}
		changed := b.changed
		b.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			b.Fatalf("%s: no console message holds %q: %v", what, text, ctx.Err())
			return ""
		}
	}
}

// Fatalf fails the test and stops it, as testing's Fatalf does, with
// the message and what the page shows (Report).
func (b *Browser) Fatalf(format string, args ...any) {
	b.t.Helper()
	b.t.Fatalf(format+"\n%s", append(args, b.report())...)
}

// Errorf fails the test, as testing's Errorf does, with the message and
// what the page shows (Report).
func (b *Browser) Errorf(format string, args ...any) {
	b.t.Helper()
	b.t.Errorf(format+"\n%s", append(args, b.report())...)
}

// report is Report, noted as given: the test's end need not repeat it.
func (b *Browser) report() string {
	r := b.Report()
	b.mu.Lock()
	b.reported = true
	b.mu.Unlock()
	return r
}

// Context returns a context for chromedp's calls in the tab, bounded by
// the browser's deadline, and its cancel func.
func (b *Browser) Context() (context.Context, context.CancelFunc) {
	return context.WithDeadline(b.ctx, b.deadline)
}

// step returns a context for one call: stepTimeout, within the deadline.
func (b *Browser) step() (context.Context, context.CancelFunc) {
	d := time.Now().Add(stepTimeout)
	if b.deadline.Before(d) {
		d = b.deadline
	}
	return context.WithDeadline(b.ctx, d)
}

// Do runs actions in the tab, in order; what names the step in the
// failure, which reports what the page showed.
func (b *Browser) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.Fatalf("%s: %v", what, err)
	}
}

// Load runs actions that load a page (a navigation, a click on a submit
// button, a key that submits a form) and waits until the new page has
// loaded; it returns the document's HTTP status.
func (b *Browser) Load(what string, actions ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		b.Fatalf("%s: %v", what, err)
	}
	if resp == nil {
		return 0
	}
	return resp.Status
}

// Wait waits until the JavaScript expression is truthy in the page (it
// is asked again at every DOM change and every 100 ms).
func (b *Browser) Wait(what, expression string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	// No timeout of the poll's own: the step's context bounds it.
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expression,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(0))); err != nil {
		b.Fatalf("%s: waiting for %s: %v", what, expression, err)
	}
}

// Eval returns what the JavaScript expression evaluates to in b's page,
// decoded into T.
func Eval[T any](b *Browser, expression string) T {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression))
	if err != nil {
		b.Fatalf("evaluate %s: %v", expression, err)
	}
	return v
}

// Text returns the text of the first element that the CSS selector
// matches, waiting for it to be there.
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(selector)))
	if err != nil {
		b.Fatalf("text of %s: %v", selector, err)
	}
	return s
}

// Visible reports whether an element the CSS selector matches is shown
// now: it does not wait (a page loaded by Load is all there).
func (b *Browser) Visible(selector string) bool {
	b.t.Helper()
	return Eval[bool](b, fmt.Sprintf(`[...document.querySelectorAll(%s)].some(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden")`, jsString(selector)))
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// Screenshot writes a screenshot of the whole page (beyond the viewport)
// as name.png in the test's artifact folder (kept with go test
// -artifacts) and returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s: %d bytes", path, len(png))
	return path
}

// Console returns the messages the tab's pages wrote to the console so
// far (console calls, uncaught exceptions, the browser's own entries such
// as a refused script) and the dialogs they opened, oldest first.
func (b *Browser) Console() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// Report says what the tab shows: its address, the outer HTML of its
// <body> (cut at reportMax, the whole in the artifact folder) and the
// console's messages.
func (b *Browser) Report() string {
	ctx, cancel := context.WithTimeout(b.ctx, reportGrace)
	defer cancel()
	var r strings.Builder
	where, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		where = fmt.Sprintf("(no address: %v)", err)
	}
	fmt.Fprintf(&r, "--- page %s\n", where)
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`document.body ? document.body.outerHTML : document.documentElement ? document.documentElement.outerHTML : ""`))
	switch {
	case err != nil:
		fmt.Fprintf(&r, "(no body: %v)\n", err)
	case len(html) > reportMax:
		path := filepath.Join(b.t.ArtifactDir(), fmt.Sprintf("page-%d.html", time.Now().UnixNano()))
		if werr := os.WriteFile(path, []byte(html), 0o644); werr != nil {
			path = werr.Error()
		}
		cut := reportMax
		for cut > 0 && !utf8.RuneStart(html[cut]) {
			cut--
		}
		fmt.Fprintf(&r, "%s\n… (%d bytes more; the whole page: %s)\n", html[:cut], len(html)-cut, path)
	default:
		r.WriteString(html + "\n")
	}
	console := b.Console()
	fmt.Fprintf(&r, "--- console (%d messages)\n", len(console))
	for _, m := range console {
		r.WriteString(m + "\n")
	}
	return r.String()
}
