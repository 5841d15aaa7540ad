package main

import (
	"bytes"
	"io"
	"strings"

	"github.com/rivo/uniseg"
)

// table aligns tab-separated cells into columns by their display width on a
// terminal, so that Chinese names (two columns a character) line up: it is
// text/tabwriter, which counts every rune as one column, made right for
// wide characters. Write lines with cells ending in '\t'; Flush writes them.
type table struct {
	w   io.Writer
	buf bytes.Buffer
}

func newTable(w io.Writer) *table { return &table{w: w} }

func (t *table) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes the buffered lines, each cell but the last padded to the
// widest of its column, two spaces apart.
func (t *table) Flush() error {
	text := strings.TrimSuffix(t.buf.String(), "\n")
	t.buf.Reset()
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	rows := make([][]string, len(lines))
	var widths []int
	for i, l := range lines {
		rows[i] = strings.Split(l, "\t")
		for j, c := range rows[i][:len(rows[i])-1] {
			if j >= len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], uniseg.StringWidth(c))
		}
	}
	var out bytes.Buffer
	for _, cells := range rows {
		for j, c := range cells {
			out.WriteString(c)
			if j < len(cells)-1 {
				out.WriteString(strings.Repeat(" ", widths[j]-uniseg.StringWidth(c)+2))
			}
		}
		out.WriteByte('\n')
	}
	_, err := t.w.Write(out.Bytes())
	return err
}

// clip makes s fit for one table cell of at most n columns: control
// characters (C0 and C1, which a terminal would act on) and line breaks
// become spaces, and a longer text is cut at a character boundary, marked
// with "…".
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	if uniseg.StringWidth(s) <= n {
		return s
	}
	var b strings.Builder
	width := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		w := g.Width()
		if width+w > n-1 {
			break
		}
		b.WriteString(g.Str())
		width += w
	}
	return b.String() + "…"
}
