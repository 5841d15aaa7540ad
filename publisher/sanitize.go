package publisher

import (
	"html"
	"net/url"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	xhtml "golang.org/x/net/html"

	"github.com/feedcurator/feedcurator/feeds"
)

// newPolicy is the sanitiser of the sources' HTML: bluemonday's policy for
// user-generated content, which keeps text formatting, links, images and
// tables and drops scripts, styles, frames, forms, event handlers and every
// URL whose scheme is not http, https or mailto (javascript:, data:,
// vbscript:, however encoded). Relative URLs are resolved against the
// article first (see sanitize); any left are dropped, since a reader would
// resolve them against the feed.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireNoFollowOnLinks(false)
	return p
}

// sanitize makes a source's HTML safe to hand to feed readers: relative
// URLs resolved against base (the article's link), then the policy.
func (p *Publisher) sanitize(fragment, base string) string {
	if strings.TrimSpace(fragment) == "" {
		return ""
	}
	return strings.TrimSpace(p.policy.Sanitize(resolveURLs(fragment, base)))
}

// urlAttrs are the attributes holding a URL that the policy may keep.
var urlAttrs = map[string]bool{"href": true, "src": true, "cite": true}

// resolveURLs rewrites relative href, src and cite attributes of fragment
// against base. Without an absolute base, or a relative URL in the
// fragment, it returns fragment as it is.
func resolveURLs(fragment, base string) string {
	b, err := url.Parse(base)
	if err != nil || !b.IsAbs() || !strings.Contains(fragment, "=") {
		return fragment
	}
	z := xhtml.NewTokenizer(strings.NewReader(fragment))
	var out strings.Builder
	changed := false
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			out.Write(z.Raw())
			continue
		}
		tok := z.Token()
		for i, a := range tok.Attr {
			if a.Namespace != "" || !urlAttrs[strings.ToLower(a.Key)] {
				continue
			}
			u, err := url.Parse(strings.TrimSpace(a.Val))
			if err != nil || u.IsAbs() || strings.HasPrefix(a.Val, "#") {
				continue
			}
			tok.Attr[i].Val = b.ResolveReference(u).String()
			changed = true
		}
		out.WriteString(tok.String())
	}
	if !changed {
		return fragment
	}
	return out.String()
}

// safeURL returns u if it is an absolute http(s) URL, else "".
func safeURL(u string) string {
	pu, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return ""
	}
	return pu.String()
}

// plainTitle makes a title plain text. Titles are text already, but some
// sources put markup in them, and some readers render RSS titles as HTML:
// what looks like a tag is stripped.
func plainTitle(s string) string {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '<' {
			c := s[i+1]
			if c == '/' || c == '!' || c == '?' || (c|0x20 >= 'a' && c|0x20 <= 'z') {
				return feeds.PlainText(s)
			}
		}
	}
	if strings.Contains(s, "&") {
		// An entity is markup too: "AT&amp;T" from a source that escaped
		// its title twice is "AT&T".
		return strings.TrimSpace(html.UnescapeString(s))
	}
	return strings.TrimSpace(s)
}

// printable returns s without control characters: C0 but tab and line
// breaks, DEL, and C1 (U+0080 to U+009F), which no page shows as
// anything but garbage.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f) {
			return -1
		}
		return r
	}, s)
}

func htmlEscape(s string) string { return html.EscapeString(s) }
