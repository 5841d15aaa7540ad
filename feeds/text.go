package feeds

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// PlainText returns the text of an HTML fragment on one line: tags dropped,
// entities decoded, the contents of script, style and similar elements
// skipped, and runs of white space (including the breaks between block
// elements) collapsed to one space. A space between two CJK characters, or
// after CJK punctuation, is dropped, since Chinese and Japanese text does
// not put one there.
func PlainText(fragment string) string {
	if !strings.ContainsAny(fragment, "<&") {
		return collapseSpace(fragment)
	}
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(fragment))
	skip := 0 // depth inside elements whose text is not prose
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return collapseSpace(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if hiddenText[a] {
				if tt == html.StartTagToken {
					skip++
				}
				continue
			}
			if a == atom.Img {
				// The alt text stands for the picture.
				for {
					k, v, more := z.TagAttr()
					if string(k) == "alt" && len(v) > 0 {
						b.WriteString(" " + string(v) + " ")
					}
					if !more {
						break
					}
				}
			}
			if breaks[a] {
				b.WriteByte(' ')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if hiddenText[a] {
				if skip > 0 {
					skip--
				}
				continue
			}
			if breaks[a] {
				b.WriteByte(' ')
			}
		}
	}
}

// hiddenText are the elements whose text a reader never sees as prose.
var hiddenText = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Iframe: true, atom.Object: true, atom.Svg: true, atom.Math: true, atom.Head: true,
	atom.Title: true, atom.Select: true, atom.Textarea: true,
}

// breaks are the elements that separate words: block elements and line
// breaks.
var breaks = map[atom.Atom]bool{
	atom.P: true, atom.Br: true, atom.Div: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Pre: true, atom.Tr: true, atom.Td: true, atom.Th: true,
	atom.Table: true, atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true,
	atom.Figure: true, atom.Figcaption: true, atom.Hr: true, atom.Dd: true, atom.Dt: true, atom.Dl: true,
	atom.Img: true,
}

// collapseSpace trims s and turns each run of white space into one space,
// or into nothing between CJK text.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	var prev rune
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00a0' || r == '\u200b' || r == '\ufeff' {
			pendingSpace = b.Len() > 0
			continue
		}
		if unicode.IsControl(r) {
			continue
		}
		if pendingSpace && !(IsWide(r) && IsWide(prev)) && !isCJKPunct(prev) {
			b.WriteByte(' ')
		}
		pendingSpace = false
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// IsWide reports whether r is a Chinese or Japanese character or CJK
// punctuation: the scripts written without spaces between words (Korean
// puts spaces between words, so Hangul is not one of them).
func IsWide(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) || isCJKPunct(r)
}

func isCJKPunct(r rune) bool {
	return (r >= 0x3000 && r <= 0x303f) || // CJK symbols and punctuation
		(r >= 0xff00 && r <= 0xffef) // full-width forms
}

// Ellipsis ends a summary that had to be cut inside a sentence.
const Ellipsis = "…"

// Summarize shortens plain text to at most max runes (no limit when max is
// 0 or less), preferring to end at a sentence boundary: a CJK full stop,
// exclamation or question mark or semicolon (。！？；), or one of .!? followed
// by a space or the end of the text, each with any closing quotes or
// brackets after it. When no sentence ends within max runes, it cuts at the
// last clause break or space in the second half of the limit, else at the
// limit, and ends with an ellipsis (counted in max). It works on runes and
// never separates a character from the combining marks that follow it.
func Summarize(text string, max int) string {
	text = strings.TrimSpace(text)
	r := []rune(text)
	if max <= 0 || len(r) <= max {
		return text
	}
	if end := lastSentenceEnd(r, max); end > 0 {
		return strings.TrimSpace(string(r[:end]))
	}
	if max <= len([]rune(Ellipsis)) {
		return string(r[:graphemeCut(r, max)])
	}
	limit := max - len([]rune(Ellipsis))
	cut := 0
	for k := limit; k > limit/2; k-- {
		// Cut before a space, or after a clause mark.
		if unicode.IsSpace(r[k]) || isClauseBreak(r[k-1]) {
			cut = k
			break
		}
	}
	if cut == 0 {
		cut = graphemeCut(r, limit)
	}
	head := strings.TrimRightFunc(string(r[:cut]), func(c rune) bool {
		return unicode.IsSpace(c) || isClauseBreak(c)
	})
	return head + Ellipsis
}

// lastSentenceEnd returns the end (exclusive) of the last sentence that
// finishes within the first max runes of r, or 0.
func lastSentenceEnd(r []rune, max int) int {
	best := 0
	for i := 0; i < max && i < len(r); i++ {
		c := r[i]
		cjk := isCJKStop(c)
		if !cjk && c != '.' && c != '!' && c != '?' {
			continue
		}
		j := i + 1
		for j < len(r) && (isCloser(r[j]) || (!cjk && (r[j] == '.' || r[j] == '!' || r[j] == '?'))) {
			j++
		}
		if !cjk && j < len(r) && !unicode.IsSpace(r[j]) {
			continue // 1.5, example.com, "e.g.x"
		}
		if j <= max {
			best = j
		}
		i = j - 1
	}
	return best
}

func isCJKStop(c rune) bool {
	switch c {
	case '。', '！', '？', '；', '｡':
		return true
	}
	return false
}

// isCloser reports whether c closes a quotation or bracket, and so belongs
// to the sentence it follows.
func isCloser(c rune) bool {
	switch c {
	case '"', '\'', ')', ']', '”', '’', '」', '』', '）', '】', '》', '〉', '］', '〕':
		return true
	}
	return false
}

func isClauseBreak(c rune) bool {
	switch c {
	case '，', '、', '：', ',', ';', ':', '—':
		return true
	}
	return false
}

// graphemeCut moves a cut at n back until it does not split a character
// from the marks and joiners that extend it.
func graphemeCut(r []rune, n int) int {
	for n > 0 && n < len(r) && (isExtend(r[n]) || r[n-1] == '\u200d') {
		n--
	}
	return n
}

func isExtend(c rune) bool {
	return unicode.In(c, unicode.Mn, unicode.Me, unicode.Mc) ||
		c == '\u200d' || c == '\u200c' ||
		(c >= '\ufe00' && c <= '\ufe0f') || // variation selectors
		(c >= 0x1f3fb && c <= 0x1f3ff) // skin tones
}
