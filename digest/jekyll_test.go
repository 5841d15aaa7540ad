package digest_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/testutil"
)

// pwn is what every hostile script below would do if it ran: add a <pwned>
// element, which Chromium's DOM dump would then show.
const pwn = `document.body.appendChild(document.createElement('pwned'))`

// hostileText is what sources tried on the Jekyll site built from the
// digest: kramdown's raw HTML, extensions, attribute lists, header ids,
// math, footnotes and abbreviations, and Liquid tags and output that break
// the build or publish the site's data. Each is an item's title and, in
// turn, another item's 要点; the plain text of the feed's HTML is the
// payload itself (the feed escaped it once).
var hostileText = []string{
	`{::nomarkdown}<script>` + pwn + `</script>{:/}`,
	`{::nomarkdown type="html"}<img src="x" onerror="` + pwn + `">{:/nomarkdown}`,
	`<script>` + pwn + `</script><img src=x onerror="` + pwn + `">`,
	`标题带一个注入的编号 {#injected-id}`,
	`段落属性 {: #ial-id .evil onclick="` + pwn + `"}`,
	`{:.evil} 属性定义 {:evil: #ald-id} {::options parse_block_html="true" /}`,
	`{::comment}被吞掉的文字{:/comment}`,
	`数学 $$ x^2 \frac{1}{2} $$ 和 \$$ 以及 $$`,
	`脚注[^1] 缩写 *[HTML]: 超文本 [链接](javascript:alert(1)) ![图](x.png) <https://example.com/auto>`,
	`{% nosuchtag %} 未知标签`,
	`{% raw %} 未闭合的 raw`,
	`未闭合的输出 {{ site.title`,
	`{% include x %} 引入文件`,
	`站点数据 {{ site.data }} 邮箱 {{ site.email }} {{ site.data.secret.value }}`,
	`{% for p in site.posts %}{{ p.title }}{% endfor %} 文章列表`,
	`{%- comment -%}藏起来{%- endcomment -%} {{- 'x' | append: site.email -}}`,
	"中文标点：“引号”、（括号）——破折号……《书名》 ASCII \"quotes\" 'single' -- dash ... dots C# ~~del~~ a & b &amp; 5 * 3 _x_ `code` | pipe \\ back #",
}

// TestDigestInJekyll writes a digest whose titles and summaries are
// hostileText and builds it with a real `jekyll build --safe`, twice: as
// written, and without the front matter's render_with_liquid (which Jekyll
// before 4.0 ignores), so that the escaping alone is shown to suffice.
// Each build must succeed without Liquid errors, and its page must show
// every title and 要点 as the digest's text, character for character, with
// no script, no injected id or attribute, no site data. The page is then
// opened in headless Chromium, which must run no script.
func TestDigestInJekyll(t *testing.T) {
	jekyll := testutil.RequireTool(t, "jekyll")

	sh := mustLoc(t, "Asia/Shanghai")
	var items []feeds.Item
	for i, text := range hostileText {
		at := time.Date(2016, 6, 20, 10, i, 0, 0, sh).UTC()
		next := hostileText[(i+1)%len(hostileText)]
		items = append(items, feeds.Item{
			ID:        int64(i + 1),
			Published: at,
			Title:     html.EscapeString(text), Summary: html.EscapeString(next),
			Link: fmt.Sprintf("https://example.com/post/%d?q={{site.email}}&x=\"'<>", i), Stored: feeds.Stored{Section: sections[i%len(sections)].ID, Score: float64(100 - i),
				SortTime: at, FetchedAt: at,

				SourceName: "来源"},
		})
	}
	o := seedOptions(t)
	o.SummaryMax = 1000
	b := newBuilder(t, &memStore{items: items}, o)
	is := mustBuild(t, b, feeds.Week{Year: 2016, Week: 25})
	if is.Len() != len(hostileText) {
		t.Fatalf("the issue holds %d items, want %d", is.Len(), len(hostileText))
	}
	md := b.Markdown(is)

	for _, liquid := range []bool{false, true} {
		name := "as written"
		if liquid {
			name = "without render_with_liquid"
		}
		t.Run(name, func(t *testing.T) {
			post := md
			if liquid {
				post = bytes.Replace(md, []byte("render_with_liquid: false\n"), nil, 1)
				if bytes.Equal(post, md) {
					t.Fatal("no render_with_liquid in the front matter")
				}
			}
			page := buildJekyll(t, jekyll, b, is, post)
			checkJekyllPage(t, page, is)
			openInChromium(t, filepath.Dir(page), filepath.Base(page))
		})
	}
}

// buildJekyll builds a minimal site holding the digest post, another post
// and data that must not leak, and returns the path of the digest's page.
func buildJekyll(t *testing.T, jekyll string, b interface {
	FileName(*feeds.Issue) (string, error)
}, is *feeds.Issue, post []byte) string {
	t.Helper()
	site := t.TempDir()
	files := map[string]string{
		"_config.yml":      "title: 测试站点\nemail: secret-email@example.com\nmarkdown: kramdown\ntimezone: Asia/Shanghai\n",
		"_data/secret.yml": "value: secret-datum\n",
		"_includes/x":      "SECRET-INCLUDE\n",
		"_layouts/post.html": "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{{ page.title | escape }}</title></head>\n" +
			"<body><article>\n{{ content }}\n</article></body></html>\n",
		"_posts/2016-06-01-other.md": "---\nlayout: post\ntitle: SECRET-OTHER-POST\n---\nother\n",
	}
	name, err := b.FileName(is)
	if err != nil {
		t.Fatal(err)
	}
	files["_posts/"+name] = string(post)
	for p, body := range files {
		p = filepath.Join(site, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dest := filepath.Join(site, "_site")
	cmd := exec.CommandContext(ctx, jekyll, "build", "--safe", "--source", site, "--destination", dest)
	cmd.Env = append(os.Environ(), "HOME="+site, "JEKYLL_ENV=production", "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("jekyll build: %v\n%s\npost:\n%s", err, out, post)
	}
	for _, bad := range []string{"Liquid Exception", "Liquid syntax error", "Liquid Warning", "Error"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("jekyll build says %q:\n%s", bad, out)
		}
	}
	var page string
	filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".html") {
			if body, _ := os.ReadFile(p); bytes.Contains(body, []byte(is.Heading)) {
				page = p
			}
		}
		return nil
	})
	if page == "" {
		t.Fatalf("no page of the digest in the built site:\n%s", out)
	}
	// Jekyll files the issue under its own day in its own time zone.
	if want := "/2016/07/01/"; !strings.Contains(filepath.ToSlash(page), want) {
		t.Errorf("the digest's page is %s, want it under %s", page, want)
	}
	return page
}

// checkJekyllPage checks the built page of is: each item's heading reads
// "N、" and its title, each 要点 its summary, as the digest has them, and
// nothing a source wrote became markup.
func checkJekyllPage(t *testing.T, page string, is *feeds.Issue) {
	t.Helper()
	body, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"secret-email", "secret-datum", "SECRET-INCLUDE", "SECRET-OTHER-POST"} {
		if bytes.Contains(body, []byte(leak)) {
			t.Errorf("the page publishes %q:\n%s", leak, body)
		}
	}
	doc, err := xhtml.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var headings, quotes []string
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode {
			switch n.Data {
			case "h4":
				headings = append(headings, textOf(n))
			case "blockquote":
				quotes = append(quotes, strings.TrimSpace(textOf(n)))
			case "script", "img", "iframe", "math", "sup", "abbr", "del", "s", "code", "em", "strong", "pwned":
				t.Errorf("the page has a <%s> element: %s", n.Data, render(n))
			}
			for _, a := range n.Attr {
				switch {
				case a.Key == "id" && n.Data == "h4":
					// kramdown's automatic header ids (made of the heading's
					// text) are fine; one a title set is not.
					if a.Val == "injected-id" || a.Val == "ial-id" || a.Val == "ald-id" {
						t.Errorf("injected id %q on %s", a.Val, render(n))
					}
				case a.Key == "id" && strings.Contains(a.Val, "id"), strings.HasPrefix(a.Key, "on"), a.Key == "class" && a.Val == "evil", a.Key == "evil":
					t.Errorf("injected attribute %s=%q on <%s>", a.Key, a.Val, n.Data)
				case a.Key == "href" && strings.Contains(strings.ToLower(a.Val), "javascript:"):
					t.Errorf("a javascript: link: %s", render(n))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)

	var wantHeadings, wantQuotes []string
	for _, s := range is.Sections {
		for i, e := range s.Items {
			wantHeadings = append(wantHeadings, fmt.Sprintf("%d、%s", i+1, e.Title))
			wantQuotes = append(wantQuotes, "要点: "+e.Summary)
		}
	}
	compare(t, "heading", headings, wantHeadings)
	compare(t, "要点", quotes, wantQuotes)
	// Every link is the item's own, whole.
	if n := bytes.Count(body, []byte(`>点击进入</a>`)); n != is.Len() {
		t.Errorf("%d 点击进入 links, want %d", n, is.Len())
	}
}

func compare(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d %ss, want %d:\n%q", len(got), what, len(want), got)
		return
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s %d reads\n%q\nwant\n%q", what, i+1, got[i], want[i])
		}
	}
}

func textOf(n *xhtml.Node) string {
	if n.Type == xhtml.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

func render(n *xhtml.Node) string {
	var b bytes.Buffer
	xhtml.Render(&b, n)
	return b.String()
}

// openInChromium serves dir over loopback and loads page in Debian's
// headless Chromium, as publisher's tests do: the DOM it dumps after the
// page loaded must have no element a script added.
func openInChromium(t *testing.T, dir, page string) {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	dom := testutil.Chromium(t, "--dump-dom", srv.URL+"/"+page)
	doc, err := xhtml.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode {
			switch n.Data {
			case "pwned":
				t.Errorf("a script ran in Chromium: %s", render(n))
			case "h4":
				found++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if found != len(hostileText) {
		t.Errorf("Chromium shows %d item headings, want %d:\n%s", found, len(hostileText), dom)
	}
}
