package publisher_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/feedcurator/feedcurator/publisher"
)

// probeScript reports, for every element with text of its own, its text
// colour, the background it is drawn on (the nearest ancestor's that is
// not transparent), whether it is a link and whether it is underlined,
// into <pre id="probe-out">, one JSON object a line.
const probeScript = `<script>
(function () {
  function bg(el) {
    for (; el; el = el.parentElement) {
      var c = getComputedStyle(el).backgroundColor;
      if (c && c !== "transparent" && !/rgba\(.*, 0\)$/.test(c)) return c;
    }
    return matchMedia("(prefers-color-scheme: dark)").matches ? "rgb(18, 18, 18)" : "rgb(255, 255, 255)";
  }
  var out = [];
  document.querySelectorAll("body *").forEach(function (el) {
    if (el.id === "probe-out" || el.tagName === "SCRIPT") return;
    var own = "";
    el.childNodes.forEach(function (n) { if (n.nodeType === 3) own += n.data; });
    if (!own.trim()) return;
    var s = getComputedStyle(el);
    var heading = !!el.closest("h1,h2,h3");
    out.push(JSON.stringify({tag: el.tagName.toLowerCase(), text: own.trim().slice(0, 30), color: s.color, bg: bg(el),
      link: el.tagName === "A", heading: heading, underline: s.textDecorationLine.indexOf("underline") >= 0,
      dark: matchMedia("(prefers-color-scheme: dark)").matches}));
  });
  var pre = document.createElement("pre");
  pre.id = "probe-out";
  pre.textContent = out.join("\n");
  document.body.appendChild(pre);
})();
</script>`

type probed struct {
	Tag, Text, Color, Bg     string
	Link, Heading, Underline bool
	Dark                     bool
}

// probeServer serves the publisher's pages from origin with probeScript
// added: the page's own markup and style, measured in the browser. (The
// pages' Content-Security-Policy allows no script, rightly; the probe
// serves a copy without it.)
func probeServer(t *testing.T, origin string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(origin + r.URL.RequestURI())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(bytes.Replace(body, []byte("</body>"), []byte(probeScript+"</body>"), 1))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// luminance is the relative luminance (WCAG 2) of a CSS rgb()/rgba() colour.
func luminance(t *testing.T, css string) float64 {
	t.Helper()
	var r, g, b float64
	inner := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(css, "rgba("), "rgb("), ")")
	if _, err := fmt.Sscanf(strings.ReplaceAll(inner, ",", " "), "%f %f %f", &r, &g, &b); err != nil {
		t.Fatalf("colour %q: %v", css, err)
	}
	lin := func(c float64) float64 {
		c /= 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// TestContrastInChromium measures the pages in Chromium, in light and in
// dark mode: all text has a contrast of at least 4.5:1 with what it is
// drawn on (WCAG AA), and every link outside a heading is underlined, so
// that links are told from text without colour (WCAG 1.4.1). In dark mode
// the accent and the text colour are only 2.6:1 apart, too close to tell a
// link by colour alone (axe's link-in-text-block): the underline does.
func TestContrastInChromium(t *testing.T) {
	store := newStore()
	_, srv := newServer(t, store, func(o *publisher.Options) { o.PageItems = 2 })
	probe := probeServer(t, srv.URL)
	for _, path := range []string{"/", "/digest/2016-W26.html", "/sections/paas.html"} {
		for _, mode := range []string{"light", "dark"} {
			args := []string{"--dump-dom"}
			if mode == "dark" {
				args = append(args, "--force-dark-mode")
			}
			dom := chromium(t, append(args, probe.URL+path)...)
			doc, err := html.Parse(bytes.NewReader(dom))
			if err != nil {
				t.Fatal(err)
			}
			report := textOf(findID(doc, "probe-out"))
			if report == "" {
				t.Fatalf("%s (%s): the probe reported nothing:\n%s", path, mode, dom)
			}
			n := 0
			for _, line := range strings.Split(report, "\n") {
				var p probed
				if err := json.Unmarshal([]byte(line), &p); err != nil {
					t.Fatalf("%s: %q: %v", path, line, err)
				}
				n++
				if p.Dark != (mode == "dark") {
					t.Fatalf("%s: asked for %s mode, the page is in the other", path, mode)
				}
				if c := contrast(t, p.Color, p.Bg); c < 4.5 {
					t.Errorf("%s (%s): <%s> %q: contrast %.2f:1 (%s on %s), want ≥ 4.5:1", path, mode, p.Tag, p.Text, c, p.Color, p.Bg)
				}
				if p.Link && !p.Heading && !p.Underline {
					t.Errorf("%s (%s): link %q is not underlined", path, mode, p.Text)
				}
			}
			t.Logf("%s (%s): %d elements measured", path, mode, n)
		}
	}
}

func findID(n *html.Node, id string) *html.Node {
	if n.Type == html.ElementNode {
		for _, a := range n.Attr {
			if a.Key == "id" && a.Val == id {
				return n
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findID(c, id); f != nil {
			return f
		}
	}
	return nil
}

func textOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}
