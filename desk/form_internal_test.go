package desk

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/feedcurator/feedcurator/feeds"
)

// FuzzParseRelated: a 推荐阅读 link the editor typed is either refused or
// exactly one of a positive item number and an absolute http(s) URL.
func FuzzParseRelated(f *testing.F) {
	for _, s := range []string{"12", " 7 ", "0", "-1", "https://example.com/a?b=c#d", "http://例子.测试/路径", "javascript:alert(1)",
		"JaVaScRiPt:alert(1)", " https://x", "https://", "//example.com/x", "/relative", "99999999999999999999", "data:text/html,x",
		"https://user:pass@example.com/", "http://[::1]:80/", "https://example.com/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseRelated(s)
		if err != nil {
			if l != (feeds.RelatedLink{}) {
				t.Errorf("parseRelated(%q) = %+v with error %v", s, l, err)
			}
			return
		}
		if (l.ItemID > 0) == (l.URL != "") {
			t.Fatalf("parseRelated(%q) = %+v: want an item or a URL", s, l)
		}
		if l.URL != "" {
			u, err := url.Parse(l.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Errorf("parseRelated(%q) gave URL %q", s, l.URL)
			}
		}
	})
}

// FuzzCleanText: the editor's text as kept is valid UTF-8 without control
// characters but newlines and tabs, trimmed, and cleaning it again
// changes nothing.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "要点。\r\n第二行", "  x  ", "\x00\x1b[31mred", "a\rb", "\xff\xfe中", "\u2028line"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := cleanText(s)
		if !utf8.ValidString(c) {
			t.Fatalf("cleanText(%q) = %q: not UTF-8", s, c)
		}
		for _, r := range c {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
				t.Fatalf("cleanText(%q) = %q keeps %U", s, c, r)
			}
		}
		if c != strings.TrimSpace(c) {
			t.Errorf("cleanText(%q) = %q: not trimmed", s, c)
		}
		if again := cleanText(c); again != c {
			t.Errorf("cleanText is not idempotent: %q then %q", c, again)
		}
	})
}
