package digest

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/atomicfile"
)

// Markdown renders is as a Jekyll post in the shape of the seed digests:
//
//	---
//	layout: post
//	title:  "【20160701】一周业内技术动态"
//	date:   2016-07-01 16:38:20 +0800
//	categories: 周刊
//	tags: 周刊
//	render_with_liquid: false
//	---
//	# 20160701期
//
//	### 云计算及容器技术
//
//	#### 1、浅谈Docker安全：技术、生态和最新的安全特性
//
//	> 要点: 本文从容器安全、镜像安全、安全生态等方面介绍当前docker安全相关话题。
//
//	原文链接：[点击进入][post-link-1.1]
//
//	[post-link-1.1]: https://mp.weixin.qq.com/s?__biz=...
//
// Sections are numbered from 1 in the order shown and items from 1 within
// their section; the reference link of item i of section s is
// post-link-s.i. An item without a summary has no 要点 line, one without an
// http(s) link no 原文链接. The editor's note on the issue (编者按) follows
// the heading, an item's follows its 要点; an item with 推荐阅读 links is
// written as the seeds write one, its own link post-link-s.i.1 and the
// related ones post-link-s.i.2 and on:
//
//	原文链接：[点击进入][post-link-1.1.1]
//
//	推荐阅读：[这些关于Docker的安全性信息 你确定都了解吗？][post-link-1.1.2]
//
// An issue frozen when it was published is written as it was then.
//
// The date carries the offset of Options.Location, so that Jekyll files
// the issue under its own day. Nothing a source wrote is read as markup
// by Jekyll: titles and summaries are escaped for both Liquid, which Jekyll
// runs first, and kramdown (see escapeMarkdown), and the front matter
// turns Liquid off for the post (render_with_liquid, Jekyll 4.0 and later)
// as a second wall.
func (b *Builder) Markdown(is *feeds.Issue) []byte {
	if is.Markdown != nil {
		return is.Markdown
	}
	o := b.o()
	var m bytes.Buffer
	m.WriteString("---\n")
	m.WriteString("layout: " + yamlScalar(o.Layout) + "\n")
	m.WriteString("title:  " + strconv.Quote(is.Title) + "\n")
	m.WriteString("date:   " + is.Date.Format("2006-01-02 15:04:05 -0700") + "\n")
	m.WriteString("categories: " + yamlList(o.Categories) + "\n")
	m.WriteString("tags: " + yamlList(o.Tags) + "\n")
	m.WriteString("render_with_liquid: false\n")
	m.WriteString("---\n")
	m.WriteString("# " + escapeMarkdown(is.Heading) + "\n")
	if is.Note != "" {
		m.WriteString("\n> 编者按: " + escapeMarkdown(oneLine(is.Note)) + "\n")
	}
	for s, sec := range is.Sections {
		m.WriteString("\n### " + escapeMarkdown(oneLine(sec.Title)) + "\n")
		for i, e := range sec.Items {
			fmt.Fprintf(&m, "\n#### %d、%s\n", i+1, escapeMarkdown(oneLine(e.Title)))
			if e.Summary != "" {
				m.WriteString("\n> 要点: " + escapeMarkdown(oneLine(e.Summary)) + "\n")
			}
			if e.Note != "" {
				m.WriteString("\n编者按：" + escapeMarkdown(oneLine(e.Note)) + "\n")
			}
			ref := fmt.Sprintf("post-link-%d.%d", s+1, i+1)
			if len(e.Related) == 0 {
				if e.Link != "" {
					m.WriteString("\n原文链接：[点击进入][" + ref + "]\n")
					m.WriteString("\n[" + ref + "]: " + referenceURL(e.Link) + "\n")
				}
				continue
			}
			var defs []string
			if e.Link != "" {
				m.WriteString("\n原文链接：[点击进入][" + ref + ".1]\n")
				defs = append(defs, "["+ref+".1]: "+referenceURL(e.Link))
			}
			for j, r := range e.Related {
				rref := fmt.Sprintf("%s.%d", ref, j+2)
				m.WriteString("\n推荐阅读：[" + escapeMarkdown(oneLine(r.Title)) + "][" + rref + "]\n")
				defs = append(defs, "["+rref+"]: "+referenceURL(r.Link))
			}
			for _, d := range defs {
				m.WriteString("\n" + d + "\n")
			}
		}
	}
	return m.Bytes()
}

// WriteFile writes the Markdown of is into dir atomically (a temporary file
// renamed over the old one, so a reader or Jekyll never sees half a post),
// creating dir if needed, and returns the file's path. A file that already
// holds the same bytes is left alone. An issue with no items is ErrEmpty.
func (b *Builder) WriteFile(dir string, is *feeds.Issue) (string, error) {
	if is.Len() == 0 {
		return "", fmt.Errorf("write digest %s: %w", is.Week, ErrEmpty)
	}
	return b.writeMarkdown(dir, is)
}

// writeMarkdown writes the Markdown of is into dir as WriteFile does, an
// issue with no items included (a frozen issue is written as published).
func (b *Builder) writeMarkdown(dir string, is *feeds.Issue) (string, error) {
	name, err := b.FileName(is)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("write digest %s: %w", is.Week, err)
	}
	if _, err := atomicfile.Write(path, b.Markdown(is), 0o644); err != nil {
		return "", fmt.Errorf("write digest %s: %w", is.Week, err)
	}
	return path, nil
}

// oneLine collapses white space, line breaks included, to single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// markdownEscaper escapes what Jekyll would read as markup in running
// text (a heading's or a 要点's, never the start of a line), so that it
// shows as the text it is:
//
//   - Liquid, which Jekyll runs before Markdown, starts at "{{" and "{%":
//     braces are written as character references, which neither Liquid nor
//     kramdown reads, and which show as the braces;
//   - that also stops kramdown's extensions ("{::nomarkdown}"), attribute
//     lists ("{: …}", "{:.class}") and header ids ("{#id}");
//   - kramdown's inline markup is backslash-escaped: emphasis, code, links,
//     images, footnotes ("[^x]") and abbreviations ("*[x]"), raw HTML and
//     autolinks, math ("$$"), a header's closing "#"s, table cells; and
//     "&", so that an entity in the text shows as written;
//   - its typography too, so the text's punctuation is not changed:
//     straight quotes, "--" and "...";
//   - "~" (GFM strikethrough, which kramdown does not escape) as a
//     character reference.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `\<`, `>`, `\>`, `|`, `\|`,
	`{`, `&#123;`, `}`, `&#125;`, `~`, `&#126;`, `&`, `&amp;`,
	`$`, `\$`, `#`, `\#`, `!`, `\!`, `"`, `\"`, `'`, `\'`,
	`--`, `-\-`, `...`, `..\.`,
)

func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

// referenceURL writes a link for a reference definition: percent-encoded
// where a space or an angle bracket would end it early, a quote start a
// title, or a brace start Liquid.
func referenceURL(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	return urlEscaper.Replace(u.String())
}

var urlEscaper = strings.NewReplacer(" ", "%20", "<", "%3C", ">", "%3E", `"`, "%22", "'", "%27",
	"{", "%7B", "}", "%7D", `\`, "%5C", "`", "%60", "|", "%7C")

// yamlScalar writes s as a YAML scalar, plain when that reads back the same.
func yamlScalar(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`\n\t") || strings.TrimSpace(s) != s ||
		strings.HasPrefix(s, "-") || strings.HasPrefix(s, "?") {
		return strconv.Quote(s)
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "~":
		return strconv.Quote(s)
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.Quote(s)
	}
	return s
}

// yamlList writes one value plainly (the seeds' "categories: 周刊") and
// several, or none, as a flow sequence.
func yamlList(ss []string) string {
	if len(ss) == 1 {
		return yamlScalar(ss[0])
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = yamlScalar(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
