package feeds

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/json"
	"github.com/mmcdole/gofeed/rss"
	"golang.org/x/net/html/charset"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// ErrNotAFeed is returned by Parse when the document is neither RSS nor Atom
// (typically an HTML page served where a feed used to be).
var ErrNotAFeed = errors.New("document is not an RSS or Atom feed")

// Feed is a parsed feed document.
type Feed struct {
	Title    string
	Link     string // the website
	Language string
	TTL      time.Duration // RSS <ttl>, 0 if absent
	Items    []Item
}

// prologPeek is how much of the document is inspected for an XML declaration.
const prologPeek = 1024

// UTF8BOM is the byte order mark a UTF-8 document may start with.
var UTF8BOM = []byte("\xef\xbb\xbf")

var encodingDecl = regexp.MustCompile(`^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// Parse reads an RSS or Atom document. baseURL (the URL it was fetched from)
// resolves relative links; contentType is the HTTP Content-Type header, whose
// charset is used when the document's XML declaration names none.
//
// Items come back normalised: trimmed text without control characters,
// titles, authors and categories capped (see MaxTitleRunes), absolute
// links, a Key (see ItemKey), a content Hash, and duplicates of one Key
// dropped (first wins). At most DefaultMaxItems items are taken from one
// document, and a document past the limits of Parser is refused with
// ErrTooComplex.
func Parse(r io.Reader, baseURL, contentType string) (*Feed, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read feed: %w", err)
	}
	return ParseBytes(body, baseURL, contentType)
}

// ParseBytes is Parse for a document already in memory, as the fetcher
// holds it. A document that is valid UTF-8 with no control characters, the
// common case, goes to the XML parser as it is, with no filtering copy.
func ParseBytes(doc []byte, baseURL, contentType string) (*Feed, error) {
	return Parser{}.ParseBytes(context.Background(), doc, baseURL, contentType)
}

// Parser parses feed documents within limits. The zero Parser takes the
// defaults; Parse and ParseBytes use it.
//
// Whatever the limits, a parse costs time and memory in proportion to the
// document: it takes the first MaxItems items and cuts the rest before
// parsing, refuses a document past MaxDepth or MaxNamespaceWork with
// ErrTooComplex, and stops with ctx's error once ctx is done (the fetcher
// passes the fetch's deadline). Text fields are capped too: see
// MaxTitleRunes.
type Parser struct {
	MaxItems int // items taken from one document; 0 means DefaultMaxItems
}

// ParseBytes parses doc as the package's ParseBytes does, within p's limits
// and until ctx is done.
func (p Parser) ParseBytes(ctx context.Context, doc []byte, baseURL, contentType string) (*Feed, error) {
	maxItems := p.MaxItems
	if maxItems <= 0 {
		maxItems = DefaultMaxItems
	}
	head := doc[:min(len(doc), prologPeek)]
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, fmt.Errorf("empty document: %w", ErrNotAFeed)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("parse feed: %w", err)
	}
	lay, scanErr := scanDocument(doc, maxItems)
	switch {
	case errors.Is(scanErr, ErrTooComplex):
		return nil, scanErr
	case scanErr == nil && len(lay.cut) > 0:
		doc = cutSpans(doc, lay.cut)
	}
	label, fromHeader := documentCharset(head, contentType)
	body, err := decodedBody(ctx, doc, label, fromHeader)
	if err != nil {
		return nil, err
	}
	gf, ttl, err := parseDocument(ctx, body, lay, scanErr, contentType)
	if err != nil {
		return nil, err
	}
	f, itemBase := newFeed(gf, ttl, baseURL)
	chinese := isChineseCharset(label) || strings.HasPrefix(strings.ToLower(f.Language), "zh") || containsHan(f.Title)
	if f.Items, err = normalizeItems(ctx, gf.Items, itemBase, f.Language, chinese, maxItems); err != nil {
		return nil, err
	}
	return f, nil
}

// documentCharset returns the label of the document's encoding: UTF-8 for
// a byte order mark, else the XML declaration's, else the Content-Type
// header's (fromHeader), else "".
func documentCharset(head []byte, contentType string) (label string, fromHeader bool) {
	if bytes.HasPrefix(head, UTF8BOM) {
		// A byte order mark outranks both the declaration and the header.
		return "utf-8", false
	}
	if m := encodingDecl.FindSubmatch(head); m != nil {
		return string(m[1]), false
	}
	label = contentTypeCharset(contentType)
	return label, label != ""
}

// decodedBody returns a reader of doc for the XML parser, stopping once ctx
// is done: control characters filtered out, and a document in a charset
// only the header names converted to UTF-8; a UTF-8 document has its
// non-characters dropped and invalid bytes replaced.
func decodedBody(ctx context.Context, doc []byte, label string, fromHeader bool) (io.Reader, error) {
	utf8Doc := label == "" || isUTF8Label(label)
	if utf8Doc && hasNonCharacters(doc) {
		// U+FFFE and U+FFFF are valid UTF-8 but not XML: the decoder would
		// reject the whole document for one of them.
		doc = dropNonCharacters(doc)
	}
	clean := !hasControlBytes(doc)
	var body io.Reader = &deadlineReader{ctx: ctx, r: bytes.NewReader(doc)}
	if !clean {
		body = &controlFilter{r: body}
	}
	if fromHeader && !utf8Doc {
		conv, err := charset.NewReaderLabel(label, body)
		if err != nil {
			return nil, fmt.Errorf("charset %q from content-type: %w", label, err)
		}
		body = conv
	}
	if utf8Doc && !(clean && utf8.Valid(doc)) {
		// Replace invalid UTF-8 (stray Latin-1 bytes and the like) with
		// U+FFFD: the XML decoder would otherwise reject the whole document.
		body = transform.NewReader(body, xunicode.UTF8.NewDecoder())
	}
	return body, nil
}

// parseDocument detects the type of the document and parses it with
// gofeed, mapping an undetected type to ErrNotAFeed.
func parseDocument(ctx context.Context, body io.Reader, lay layout, scanErr error, contentType string) (*gofeed.Feed, time.Duration, error) {
	// The type is the root element's name, which the scan found however
	// long the root's start tag (ten thousand namespace declarations make
	// it longer than the few kilobytes gofeed's own detection looks at).
	// Documents the scan does not follow get gofeed's detection.
	kind := gofeed.FeedTypeUnknown
	if scanErr == nil {
		switch strings.ToLower(string(lay.root)) {
		case "rss", "rdf":
			kind = gofeed.FeedTypeRSS
		case "feed":
			kind = gofeed.FeedTypeAtom
		}
	} else {
		br := bufio.NewReaderSize(body, detectPeek)
		prefix, err := br.Peek(detectPeek)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, parseError(ctx, err)
		}
		kind = gofeed.DetectFeedType(bytes.NewReader(prefix))
		body = br
	}
	gf, ttl, err := parseKind(kind, body)
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			if mt, _, _ := mime.ParseMediaType(contentType); mt != "" {
				return nil, 0, fmt.Errorf("content-type %s: %w", mt, ErrNotAFeed)
			}
			return nil, 0, ErrNotAFeed
		}
		return nil, 0, parseError(ctx, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, parseError(ctx, err)
	}
	return gf, ttl, nil
}

// newFeed returns the Feed of gf's head, without items, and the base its
// items' links resolve against: the feed's link if absolute, else baseURL.
func newFeed(gf *gofeed.Feed, ttl time.Duration, baseURL string) (*Feed, *url.URL) {
	f := &Feed{
		Title:    capRunes(cleanText(html.UnescapeString(gf.Title)), MaxTitleRunes),
		Language: capRunes(cleanText(gf.Language), maxLanguageRunes),
		TTL:      ttl,
	}
	base, _ := url.Parse(baseURL)
	f.Link = resolve(base, gf.Link)
	itemBase := base
	if fl, err := url.Parse(f.Link); err == nil && fl.IsAbs() {
		itemBase = fl
	}
	return f, itemBase
}

// normalizeItems returns the first maxItems of gis normalised, leaving out
// the empty ones and those whose Key an earlier one has; it stops with
// ctx's error once ctx is done.
func normalizeItems(ctx context.Context, gis []*gofeed.Item, base *url.URL, lang string, chinese bool, maxItems int) ([]Item, error) {
	seen := make(map[string]struct{}, len(gis))
	items := make([]Item, 0, min(len(gis), maxItems))
	for n, gi := range gis {
		if len(items) == maxItems {
			break // a document the scan did not follow can hold more
		}
		if n%256 == 255 {
			if err := ctx.Err(); err != nil {
				return nil, parseError(ctx, err)
			}
		}
		if gi == nil {
			continue
		}
		it := Item{
			GUID:       strings.TrimSpace(gi.GUID),
			Link:       resolve(base, firstNonEmpty(gi.Link, firstOf(gi.Links))),
			Title:      capRunes(cleanText(html.UnescapeString(gi.Title)), MaxTitleRunes),
			Summary:    cleanHTML(gi.Description),
			Content:    cleanHTML(gi.Content),
			Author:     capRunes(authorOf(gi), MaxAuthorRunes),
			Categories: cleanList(gi.Categories),
			Lang:       lang,
			Published:  itemTime(gi.Published, gi.PublishedParsed, chinese),
			Updated:    itemTime(gi.Updated, gi.UpdatedParsed, chinese),
		}
		if it.Published.IsZero() {
			it.Published = it.Updated
		}
		if it.Title == "" && it.Summary == "" && it.Content == "" && it.Link == "" {
			continue
		}
		it.Key = ItemKey(it.GUID, it.Link, it.Title, it.Summary, it.Content)
		if _, dup := seen[it.Key]; dup {
			continue
		}
		seen[it.Key] = struct{}{}
		it.Hash = ContentHash(&it)
		items = append(items, it)
	}
	return items, nil
}

func contentTypeCharset(ct string) string {
	if ct == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(params["charset"])
}

func isUTF8Label(label string) bool {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

func isChineseCharset(label string) bool {
	switch strings.ToLower(label) {
	case "gbk", "gb2312", "gb18030", "big5", "x-gbk", "cp936", "euc-cn", "hz-gb-2312":
		return true
	}
	return false
}

// chinaStandardTime is UTC+8, what "CST" means in a Chinese feed.
var chinaStandardTime = time.FixedZone("CST", 8*3600)

// usCentralTime is what gofeed takes "CST" to mean.
var usCentralTime = time.FixedZone("CST", -6*3600)

// cstSuffix matches a date written with the CST abbreviation.
var cstSuffix = regexp.MustCompile(`(?i)\bCST\s*$`)

// itemTime returns the parsed time in UTC. In a Chinese feed "CST" is China
// Standard Time (UTC+8), not US Central (UTC-6) as generic parsers assume.
func itemTime(raw string, parsed *time.Time, chinese bool) time.Time {
	if parsed == nil || parsed.IsZero() {
		return time.Time{}
	}
	t := *parsed
	if chinese && cstSuffix.MatchString(raw) {
		// gofeed reads CST as US Central (UTC-6) and its RSS parser returns
		// the instant in UTC: recover the wall clock as written, then read
		// it in UTC+8.
		t = t.In(usCentralTime)
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), chinaStandardTime)
	}
	return t.UTC()
}

func authorOf(gi *gofeed.Item) string {
	for _, p := range gi.Authors {
		if p == nil {
			continue
		}
		if n := cleanText(p.Name); n != "" {
			return n
		}
		if e := cleanText(p.Email); e != "" {
			return e
		}
	}
	if gi.DublinCoreExt != nil {
		for _, c := range gi.DublinCoreExt.Creator {
			if n := cleanText(c); n != "" {
				return n
			}
		}
	}
	return ""
}

func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if !u.IsAbs() && base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func firstOf(s []string) string {
	if len(s) > 0 {
		return s[0]
	}
	return ""
}

// cleanList cleans categories: at most MaxCategories of them, each of at
// most MaxCategoryRunes, without repeats.
func cleanList(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if len(out) == MaxCategories {
			break
		}
		s = capRunes(cleanText(s), MaxCategoryRunes)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// cleanText makes a one-line plain string: valid UTF-8, no control
// characters (C0, DEL and C1: a C1 control is usually a Windows-1252
// character decoded as Latin-1, and shows as nothing or as a box), runs of
// white space collapsed.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if !xmlChar(r) || unicode.IsControl(r) {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cleanHTML keeps markup but drops what XML cannot carry, and the control
// characters (DEL, C1) that it can but no text means.
func cleanHTML(s string) string {
	if utf8.ValidString(s) && !hasNonXML(s) && !hasC1(s) {
		return strings.TrimSpace(s)
	}
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	return strings.Map(func(r rune) rune {
		if xmlChar(r) && (!unicode.IsControl(r) || r == '\t' || r == '\n' || r == '\r') {
			return r
		}
		return -1
	}, s)
}

// hasC1 reports whether s holds DEL or a C1 control (U+0080 to U+009F,
// written C2 80 to C2 9F in UTF-8).
func hasC1(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0x7F:
			return true
		case c == 0xC2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9F:
			return true
		}
	}
	return false
}

// Caps on the text fields of a feed and its items, in runes. A title past
// its cap is cut on a character boundary and ends with Ellipsis (counted
// in the cap).
const (
	MaxTitleRunes    = 1000 // feed and item titles
	MaxAuthorRunes   = 200
	MaxCategoryRunes = 100
	MaxCategories    = 50 // categories kept per item, the first ones
	maxLanguageRunes = 64
)

// capRunes cuts s to at most n runes, the last of them Ellipsis, without
// separating a character from the marks that extend it.
func capRunes(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	cut := graphemeCut(r, n-1)
	return strings.TrimRightFunc(string(r[:cut]), unicode.IsSpace) + Ellipsis
}

// detectPeek is how much of a document gofeed's type detection reads.
const detectPeek = 4096

// parseKind parses body as a document of the given type and translates
// it; the TTL is RSS's, 0 for the others.
func parseKind(kind gofeed.FeedType, body io.Reader) (*gofeed.Feed, time.Duration, error) {
	switch kind {
	case gofeed.FeedTypeRSS:
		rf, err := (&rss.Parser{}).Parse(body)
		if err != nil {
			return nil, 0, err
		}
		// Items carry no image, so gofeed need not parse each item's HTML
		// looking for one (a quarter of the RSS parsing time).
		gf, err := (&gofeed.DefaultRSSTranslator{DisableContentImageScan: true}).Translate(rf)
		var ttl time.Duration
		if n, err := strconv.Atoi(strings.TrimSpace(rf.TTL)); err == nil && n > 0 {
			ttl = time.Duration(n) * time.Minute
		}
		return gf, ttl, err
	case gofeed.FeedTypeAtom:
		af, err := (&atom.Parser{}).Parse(body)
		if err != nil {
			return nil, 0, err
		}
		gf, err := (&gofeed.DefaultAtomTranslator{}).Translate(af)
		return gf, 0, err
	case gofeed.FeedTypeJSON:
		jf, err := (&json.Parser{}).Parse(body)
		if err != nil {
			return nil, 0, err
		}
		gf, err := (&gofeed.DefaultJSONTranslator{}).Translate(jf)
		return gf, 0, err
	}
	return nil, 0, gofeed.ErrFeedTypeNotDetected
}

// parseError wraps a failed parse: ctx's error once ctx is done (the
// parser's own error is then only the symptom), else err.
func parseError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("parse feed: %w", cerr)
	}
	return fmt.Errorf("parse feed: %w", err)
}

// xmlChar reports whether r may appear in an XML 1.0 document.
func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		(r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) ||
		(r >= 0x10000 && r <= 0x10FFFF)
}

func containsHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// hasNonXML reports whether valid UTF-8 text holds a character XML 1.0
// forbids: a C0 control other than tab, newline and carriage return, or
// U+FFFE or U+FFFF (surrogates cannot occur in valid UTF-8). It looks at
// bytes, not runes, as almost every string has none.
func hasNonXML(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case forbiddenControl(c):
			return true
		case c == 0xEF:
			if i+2 < len(s) && s[i+1] == 0xBF && (s[i+2] == 0xBE || s[i+2] == 0xBF) {
				return true
			}
		}
	}
	return false
}

// hasControlBytes reports whether a document holds an ASCII control byte
// that XML 1.0 forbids, which controlFilter would drop.
func hasControlBytes(doc []byte) bool {
	for _, c := range doc {
		if forbiddenControl(c) {
			return true
		}
	}
	return false
}

// nonCharacters are the UTF-8 forms of U+FFFE and U+FFFF.
var nonCharacters = [][]byte{[]byte("\uFFFE"), []byte("\uFFFF")}

// hasNonCharacters reports whether a UTF-8 document holds U+FFFE or U+FFFF.
func hasNonCharacters(doc []byte) bool {
	return bytes.Contains(doc, nonCharacters[0]) || bytes.Contains(doc, nonCharacters[1])
}

// dropNonCharacters returns doc without U+FFFE and U+FFFF.
func dropNonCharacters(doc []byte) []byte {
	for _, nc := range nonCharacters {
		doc = bytes.ReplaceAll(doc, nc, nil)
	}
	return doc
}

// forbiddenControl reports whether c is an ASCII control character XML 1.0
// forbids: any below space but tab, newline and carriage return.
func forbiddenControl(c byte) bool { return c < 0x20 && c != '\t' && c != '\n' && c != '\r' }

// controlFilter drops the ASCII control bytes that XML 1.0 forbids (other than
// tab, newline and carriage return). Feeds in the wild contain them and the
// XML parser would otherwise reject the whole document. Such bytes never occur
// inside multi-byte UTF-8, GBK or Big5 sequences, so dropping them is safe
// before charset conversion.
type controlFilter struct{ r io.Reader }

func (c *controlFilter) Read(p []byte) (int, error) {
	for {
		n, err := c.r.Read(p)
		j := 0
		for i := 0; i < n; i++ {
			b := p[i]
			if forbiddenControl(b) {
				continue
			}
			p[j] = b
			j++
		}
		if j > 0 || err != nil || n == 0 {
			return j, err
		}
	}
}
