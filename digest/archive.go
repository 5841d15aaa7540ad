package digest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/feedcurator/feedcurator/feeds"
)

// ArchivedIssue is a past issue read back from its Markdown (ParseArchive).
type ArchivedIssue struct {
	Path  string     `json:"path"`
	Title string     `json:"title,omitempty"` // the front matter's
	Date  time.Time  `json:"date"`            // the publication date, in the digest's time zone
	Week  feeds.Week `json:"-"`               // the week the issue is of, by the configured schedule
	// WeekText is Week written out, for JSON.
	WeekText string          `json:"week"`
	Items    []ArchivedItem  `json:"items"`
	Problems []*ArchiveError `json:"problems,omitempty"`
}

// ArchivedItem is one numbered item of a past issue.
type ArchivedItem struct {
	Section string        `json:"section"` // the configured section's ID
	Title   string        `json:"title"`
	Summary string        `json:"summary,omitempty"` // the 要点, as plain text
	Link    string        `json:"link,omitempty"`    // 原文链接, resolved
	Related []RelatedLink `json:"related,omitempty"` // 推荐阅读
	Line    int           `json:"line"`              // of its heading
}

// RelatedLink is a 推荐阅读 link of an item.
type RelatedLink struct {
	Title string `json:"title"`
	Link  string `json:"link"`
}

// ArchiveError is a line of a past issue that could not be read.
type ArchiveError struct {
	Path   string `json:"path"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
	Text   string `json:"text,omitempty"` // the line, cut to 80 characters
}

func (e *ArchiveError) Error() string {
	s := fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Reason)
	if e.Text != "" {
		s += ": " + strconv.Quote(e.Text)
	}
	return s
}

// ErrNoDate is returned by ParseArchive for a post whose date it cannot
// find, in its front matter, its file name, its title or its heading.
var ErrNoDate = errors.New("no date: want a front matter date, a file name such as 2016-07-01-x.md, or 20160701 in the title")

// ErrBadDate is returned by ParseArchive for a date outside the years
// an issue can have (its week would be none of the ISO calendar's).
var ErrBadDate = errors.New("date out of range")

// maxArchiveLine bounds a line of a past issue (the seeds' reference
// definitions run to 600 bytes).
const maxArchiveLine = 1 << 20

// Patterns of the lines of an issue, as Markdown writes them and as the
// seeds have them.
var (
	itemNumber = regexp.MustCompile(`^([0-9０-９]+)\s*[、.．)）:：]\s*`)
	refDef     = regexp.MustCompile(`^ {0,3}\[([^\]]+)\]:\s*<?(\S*?)>?(?:\s+["'(].*["')])?\s*$`)
	// A link: [text][ref], [text] [ref], [text](url) or <url>.
	linkRef    = regexp.MustCompile(`\[((?:[^\]\\]|\\.)*)\]\s?\[([^\]]*)\]|\[((?:[^\]\\]|\\.)*)\]\(([^)\s]*)\)|<(https?://[^>\s]+)>`)
	bareURL    = regexp.MustCompile(`https?://\S+`)
	dateInText = regexp.MustCompile(`(?:^|[^0-9])((?:19|20)[0-9]{2})-?([01][0-9])-?([0-3][0-9])(?:[^0-9]|$)`)
)

// ParseArchive reads a past issue in the shape Markdown writes (and the
// seeds have): Jekyll front matter with its date, "### " section headings
// titled as o.Sections are, "#### 1、" numbered items, each with a
// "> 要点:" summary (or "> 要点："), a "原文链接：" link and "推荐阅读："
// links, given inline or as reference definitions. Headings, summaries and
// titles are read back to plain text (Markdown's escapes undone).
//
// The date is the front matter's (read in o.Location when it has no
// offset), else the one in the file name, the title or the heading; the
// issue's week is the newest one whose issue was due by the end of that
// day by o's schedule, the week Markdown would have written the issue for.
// A post without a date is ErrNoDate. Every other line it cannot read (a
// heading of no configured section, whose items are then skipped, an
// undefined reference, text outside the known kinds of line) is a problem
// naming path and line, and reading goes on.
func ParseArchive(r io.Reader, path string, o Options) (*ArchivedIssue, error) {
	b := &Builder{}
	b.SetOptions(o)
	p := &archiveParser{o: b.o(), is: &ArchivedIssue{Path: path}, refs: map[string]string{}, cur: -1}
	if err := p.parse(r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	is := p.is
	if is.Date.IsZero() {
		for _, s := range []string{filepath.Base(path), is.Title, p.heading} {
			if m := dateInText.FindStringSubmatch(s); m != nil {
				if d, err := time.ParseInLocation("20060102", m[1]+m[2]+m[3], p.o.Location); err == nil {
					is.Date = d
					break
				}
			}
		}
	}
	if is.Date.IsZero() {
		return nil, fmt.Errorf("%s: %w", path, ErrNoDate)
	}
	d := is.Date.In(p.o.Location)
	endOfDay := time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, p.o.Location)
	is.Week = b.Latest(endOfDay)
	if !is.Week.Valid() {
		return nil, fmt.Errorf("%s: date %s: %w", path, is.Date.Format("2006-01-02"), ErrBadDate)
	}
	is.WeekText = is.Week.String()
	p.resolve()
	sort.SliceStable(is.Problems, func(i, j int) bool { return is.Problems[i].Line < is.Problems[j].Line })
	return is, nil
}

type archiveParser struct {
	o       *Options
	is      *ArchivedIssue
	heading string
	refs    map[string]string // reference name (lower case) -> URL
	cur     int               // index in o.Sections of the section being read; -1 none, -2 an unknown one
	item    *ArchivedItem
	quote   bool // in the item's 要点 block quote
	// Pending reference uses: items[i] link (related -1) or related[j].
	uses []refUse
	sum  strings.Builder // the summary of the item being read
}

// flushSummary stores the summary read so far in the item being read.
func (p *archiveParser) flushSummary() {
	if p.item != nil && p.sum.Len() > 0 {
		p.item.Summary = p.sum.String()
	}
	p.sum.Reset()
}

type refUse struct {
	item, related int
	ref           string
	line          int
}

func (p *archiveParser) bad(line int, reason, text string) {
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) > 80 {
		text = string([]rune(text)[:80]) + "…"
	}
	p.is.Problems = append(p.is.Problems, &ArchiveError{Path: p.is.Path, Line: line, Reason: reason, Text: text})
}

func (p *archiveParser) parse(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxArchiveLine)
	n := 0
	front := false
	for sc.Scan() {
		n++
		raw := sc.Text()
		if n == 1 {
			raw = strings.TrimPrefix(raw, "\uFEFF")
		}
		line := strings.TrimRight(raw, " \t\r")
		if !utf8.ValidString(line) {
			p.bad(n, "not UTF-8", strings.ToValidUTF8(line, "?"))
			continue
		}
		if n == 1 && line == "---" {
			front = true
			continue
		}
		if front {
			if line == "---" {
				front = false
				continue
			}
			p.frontMatter(n, line)
			continue
		}
		p.line(n, line)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("line %d: longer than %d bytes", n+1, maxArchiveLine)
		}
		return err
	}
	if front {
		p.bad(n, "front matter never ends (no closing ---)", "")
	}
	p.flushSummary()
	return nil
}

// frontMatter reads one line of the Jekyll front matter: title and date
// matter, other keys are the post's own business.
func (p *archiveParser) frontMatter(n int, line string) {
	if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") ||
		strings.HasPrefix(line, " ") || strings.HasPrefix(line, "-") {
		return // blank, comment, or part of a list or map
	}
	key, val, ok := strings.Cut(line, ":")
	if !ok {
		p.bad(n, "front matter line is not key: value", line)
		return
	}
	val = yamlUnquote(strings.TrimSpace(val))
	switch strings.TrimSpace(key) {
	case "title":
		p.is.Title = val
	case "date":
		for _, layout := range []string{"2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05 -07:00", "2006-01-02 15:04:05",
			"2006-01-02 15:04 -0700", "2006-01-02 15:04", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
			if d, err := time.ParseInLocation(layout, val, p.o.Location); err == nil {
				p.is.Date = d.In(p.o.Location)
				return
			}
		}
		p.bad(n, "front matter date is not a date (want 2016-07-01 16:38:20 +0800)", line)
	}
}

// yamlUnquote reads a YAML scalar written plain, in double quotes (with
// Go-compatible escapes, as Markdown writes titles) or in single quotes.
func yamlUnquote(s string) string {
	switch {
	case len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"':
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s[1 : len(s)-1]
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// line reads one line of the body.
func (p *archiveParser) line(n int, line string) {
	trimmed := strings.TrimSpace(line)
	if trimmed == "" {
		p.quote = false
		return
	}
	if m := refDef.FindStringSubmatch(line); m != nil {
		p.refs[strings.ToLower(strings.TrimSpace(m[1]))] = m[2]
		return
	}
	switch level, text := headingOf(trimmed); {
	case level == 1:
		p.heading = plainText(text)
		return
	case level == 2 || level == 3:
		p.section(n, plainText(text), trimmed)
		return
	case level >= 4:
		p.newItem(n, text)
		return
	}
	if strings.HasPrefix(trimmed, ">") {
		p.quoteLine(n, strings.TrimSpace(strings.TrimPrefix(trimmed, ">")), trimmed)
		return
	}
	p.quote = false
	for _, label := range []string{"原文链接", "原文地址", "原文"} {
		if rest, ok := cutLabel(trimmed, label); ok {
			p.link(n, rest, trimmed)
			return
		}
	}
	if rest, ok := cutLabel(trimmed, "推荐阅读"); ok {
		p.related(n, rest, trimmed)
		return
	}
	p.bad(n, "line of no known kind (section heading, numbered item, 要点, 原文链接, 推荐阅读, reference)", trimmed)
}

// headingOf returns the level of an ATX heading and its text, or 0.
func headingOf(s string) (int, string) {
	level := 0
	for level < len(s) && s[level] == '#' {
		level++
	}
	if level == 0 || level > 6 || (level < len(s) && s[level] != ' ' && s[level] != '\t') {
		return 0, ""
	}
	text := strings.TrimSpace(s[level:])
	// A closing sequence of #s (not one Markdown escaped) goes.
	if t := strings.TrimRight(text, "#"); t != text && (t == "" || strings.HasSuffix(t, " ")) && !strings.HasSuffix(t, `\`) {
		text = strings.TrimSpace(t)
	}
	return level, text
}

// cutLabel cuts "label:" or "label：" (with any spaces) from the start of s.
func cutLabel(s, label string) (string, bool) {
	rest, ok := strings.CutPrefix(s, label)
	if !ok {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	for _, colon := range []string{":", "："} {
		if r, ok := strings.CutPrefix(rest, colon); ok {
			return strings.TrimSpace(r), true
		}
	}
	return "", false
}

func (p *archiveParser) section(n int, title, raw string) {
	p.flushSummary()
	p.item, p.quote = nil, false
	for i, s := range p.o.Sections {
		if sameTitle(s.Title, title) || sameTitle(s.ID, title) {
			p.cur = i
			return
		}
	}
	p.cur = -2
	var known []string
	for _, s := range p.o.Sections {
		known = append(known, s.Title)
	}
	p.bad(n, fmt.Sprintf("heading of no configured section (sections: %s); its items are skipped", strings.Join(known, ", ")), raw)
}

// sameTitle compares section titles ignoring case, white space and
// full-width forms.
func sameTitle(a, b string) bool {
	norm := func(s string) string {
		var out strings.Builder
		for _, r := range s {
			switch {
			case r == ' ' || r == '\t' || r == '\u3000':
				continue
			case r >= 0xFF01 && r <= 0xFF5E:
				r -= 0xFF01 - 0x21
			}
			out.WriteRune(r)
		}
		return strings.ToLower(out.String())
	}
	return a != "" && norm(a) == norm(b)
}

func (p *archiveParser) newItem(n int, text string) {
	p.flushSummary()
	p.quote = false
	if p.cur == -2 {
		p.item = nil
		return // under an unknown heading: reported there
	}
	if p.cur < 0 {
		p.item = nil
		p.bad(n, "item before any section heading", text)
		return
	}
	title := plainText(itemNumber.ReplaceAllString(text, ""))
	if title == "" {
		p.item = nil
		p.bad(n, "item without a title", text)
		return
	}
	p.is.Items = append(p.is.Items, ArchivedItem{Section: p.o.Sections[p.cur].ID, Title: title, Line: n})
	p.item = &p.is.Items[len(p.is.Items)-1]
}

// quoteLine reads a block quote line: an item's 要点, or its continuation.
func (p *archiveParser) quoteLine(n int, text, raw string) {
	if p.item == nil {
		if p.cur != -2 {
			p.bad(n, "要点 outside an item", raw)
		}
		return
	}
	if rest, ok := cutLabel(text, "要点"); ok {
		text = rest
	} else if !p.quote && p.item.Summary != "" {
		p.bad(n, "second 要点 of an item", raw)
		return
	}
	if t := plainText(text); t != "" {
		// Appended in place: an item may have many quote lines, and
		// concatenating strings would copy the summary for each.
		if p.sum.Len() > 0 {
			p.sum.WriteByte(' ')
		}
		p.sum.WriteString(t)
		p.item.Summary = "\x00" // has a summary; filled by flushSummary
	}
	p.quote = true
}

func (p *archiveParser) link(n int, rest, raw string) {
	if p.item == nil {
		if p.cur != -2 {
			p.bad(n, "原文链接 outside an item", raw)
		}
		return
	}
	links := p.links(n, rest, len(p.is.Items)-1, -1)
	if len(links) == 0 {
		p.bad(n, "原文链接 without a link", raw)
	}
}

func (p *archiveParser) related(n int, rest, raw string) {
	if p.item == nil {
		if p.cur != -2 {
			p.bad(n, "推荐阅读 outside an item", raw)
		}
		return
	}
	if len(p.links(n, rest, len(p.is.Items)-1, 0)) == 0 {
		p.bad(n, "推荐阅读 without a link", raw)
	}
}

// links reads the links of a 原文链接 (related < 0: the first is the item's
// link) or 推荐阅读 line, noting references to resolve at the end.
func (p *archiveParser) links(n int, s string, item, related int) []string {
	it := &p.is.Items[item]
	var found []string
	add := func(title, url, ref string) {
		if related < 0 {
			if len(found) == 0 {
				it.Link = url
				if ref != "" {
					p.uses = append(p.uses, refUse{item: item, related: -1, ref: ref, line: n})
				}
			}
		} else {
			it.Related = append(it.Related, RelatedLink{Title: plainText(title), Link: url})
			if ref != "" {
				p.uses = append(p.uses, refUse{item: item, related: len(it.Related) - 1, ref: ref, line: n})
			}
		}
		found = append(found, url+ref)
	}
	for _, m := range linkRef.FindAllStringSubmatch(s, -1) {
		switch {
		case m[2] != "" || strings.HasPrefix(m[0], "[") && strings.Contains(m[0], "]["):
			ref := m[2]
			if ref == "" { // [text][]: the text is the reference
				ref = m[1]
			}
			add(m[1], "", ref)
		case m[5] != "":
			add("", m[5], "")
		default:
			add(m[3], m[4], "")
		}
	}
	if len(found) == 0 {
		if u := bareURL.FindString(s); u != "" {
			add("", u, "")
		}
	}
	return found
}

// resolve fills the links given by reference.
func (p *archiveParser) resolve() {
	for _, u := range p.uses {
		url, ok := p.refs[strings.ToLower(strings.TrimSpace(u.ref))]
		if !ok {
			p.bad(u.line, "reference ["+u.ref+"] is not defined", "")
			continue
		}
		it := &p.is.Items[u.item]
		if u.related < 0 {
			it.Link = url
		} else {
			it.Related[u.related].Link = url
		}
	}
}

// plainText reads Markdown running text back to the text it shows: links
// keep their text, Markdown's backslash escapes and character references
// are undone (the inverse of escapeMarkdown), white space collapses.
func plainText(s string) string {
	var kept strings.Builder
	last := 0
	for _, m := range linkRef.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > 0 && s[m[0]-1] == '\\' {
			continue // an escaped bracket: text, not a link
		}
		kept.WriteString(s[last:m[0]])
		switch {
		case m[10] >= 0:
			kept.WriteString(s[m[10]:m[11]])
		case m[6] >= 0:
			kept.WriteString(s[m[6]:m[7]])
		default:
			kept.WriteString(s[m[2]:m[3]])
		}
		last = m[1]
	}
	kept.WriteString(s[last:])
	s = kept.String()
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]) {
			i++
		}
		b.WriteByte(s[i])
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}

func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}
