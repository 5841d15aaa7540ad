package publisher_test

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/internal/testutil"
	"golang.org/x/net/html"
)

// chromium runs Debian's headless Chromium: testutil.Chromium.
func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	return testutil.Chromium(t, args...)
}

// TestPageInChromium renders the page in headless Chromium at a phone's
// width: the DOM it builds shows every section with its items and the
// subscription links, and a screenshot is taken.
func TestPageInChromium(t *testing.T) {
	store := newStore()
	_, srv := newServer(t, store, nil)

	dom := chromium(t, "--dump-dom", srv.URL+"/")
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatal(err)
	}
	// Gather what a reader sees: section headings and item links.
	sections := map[string][]string{}
	var current string
	var texts func(n *html.Node) string
	texts = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(texts(c))
		}
		return b.String()
	}
	var alternates int
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "h2":
				current = strings.TrimSpace(texts(n))
				sections[current] = nil
			case "h3":
				sections[current] = append(sections[current], strings.TrimSpace(texts(n)))
			case "link":
				for _, a := range n.Attr {
					if a.Key == "rel" && a.Val == "alternate" {
						alternates++
					}
				}
			case "script":
				t.Error("the page has a script")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, s := range testSections {
		var want []string
		for _, it := range store.published() {
			if it.Section == s.ID {
				want = append(want, it.Title)
			}
		}
		got := sections[s.Title]
		if len(got) != len(want) {
			t.Errorf("section %s shows %d items, want %d: %q", s.Title, len(got), len(want), got)
			continue
		}
		for i := range want {
			if !strings.HasPrefix(got[i], strings.SplitN(want[i], "<", 2)[0]) {
				t.Errorf("section %s item %d: %q, want %q", s.Title, i, got[i], want[i])
			}
		}
	}
	if _, ok := sections["订阅"]; !ok {
		t.Error("no subscription section")
	}
	if alternates != 18 {
		t.Errorf("%d feeds to discover, want 18", alternates)
	}

	// A screenshot at a phone's size.
	shot := filepath.Join(t.TempDir(), "page.png")
	chromium(t, "--hide-scrollbars", "--window-size=412,1600", "--screenshot="+shot, srv.URL+"/")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 412 || b.Dy() != 1600 {
		t.Errorf("screenshot is %v", b)
	}
	// Not a blank page: some pixels differ from the first.
	first := img.At(0, 0)
	varied := false
	for y := 0; y < img.Bounds().Dy() && !varied; y += 7 {
		for x := 0; x < img.Bounds().Dx(); x += 7 {
			if img.At(x, y) != first {
				varied = true
				break
			}
		}
	}
	if !varied {
		t.Error("the screenshot is blank")
	}
	t.Logf("screenshot: %s", shot)
	if dir := os.Getenv("FEEDCURATOR_SCREENSHOT_DIR"); dir != "" {
		b, _ := os.ReadFile(shot)
		_ = os.WriteFile(filepath.Join(dir, "page.png"), b, 0o644)
	}
}
