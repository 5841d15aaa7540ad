package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/feedcurator/feedcurator/internal/xmlscan"
)

// Limits on the work one document may cost. A feed is read from a server
// nobody vouches for, and the XML parser's cost is not linear in the size of
// the document: every element copies the namespace bindings in scope, so a
// few megabytes of elements under thousands of namespace declarations would
// take minutes and gigabytes. Parse checks a document against these limits
// before parsing it, in one pass over the bytes.
const (
	// DefaultMaxItems is how many items Parse takes from one document when
	// Parser.MaxItems is 0: the first ones in document order (feeds list
	// the newest first). The rest are cut before parsing, so they cost
	// nothing.
	DefaultMaxItems = 1000

	// MaxDepth is the deepest element nesting a document may have.
	MaxDepth = 256

	// MaxNamespaceWork bounds the sum, over the elements parsed, of the
	// namespace declarations in scope at each: the parser's cost. Real
	// feeds use a few thousand; ten thousand declarations on the root of a
	// small feed are still accepted.
	MaxNamespaceWork = 10_000_000
)

// ErrTooComplex is returned by Parse for a document past MaxDepth or
// MaxNamespaceWork: parsing it would cost far more than its size suggests.
var ErrTooComplex = errors.New("document too complex")

// layout is what scanDocument learned about a document.
type layout struct {
	root  []byte // the root element's local name
	items int    // item (RSS) or entry (Atom) elements found
	cut   []span // the items past the limit, to leave out of the parse
}

// span is the byte range [start, end) of an element in a document.
type span struct{ start, end int }

// errUnscannable means scanDocument met markup it does not follow; the
// document goes to the XML parser as it is, bounded only by the deadline.
var errUnscannable = errors.New("unscannable")

// scanDocument follows the markup of doc (comments, CDATA sections,
// processing instructions, a DOCTYPE, quoted attribute values) without
// parsing it, to find the root element and the items past maxItems, and to
// check MaxDepth and MaxNamespaceWork. Items are the elements named item or
// entry (any prefix) that are children of the root or of one of its
// children, not inside another item. It returns errUnscannable for
// markup it does not follow (UTF-16 and UTF-32 among it) or a document
// that does not start with markup (JSON), and an error
// wrapping ErrTooComplex for a document past a limit.
func scanDocument(doc []byte, maxItems int) (layout, error) {
	if bytes.IndexByte(doc, 0) >= 0 {
		return layout{}, errUnscannable // not an ASCII-compatible encoding
	}
	if start := bytes.TrimLeft(bytes.TrimPrefix(doc, UTF8BOM), " \t\r\n"); len(start) == 0 || start[0] != '<' {
		return layout{}, errUnscannable // not XML: a JSON feed, or no feed at all
	}
	s := docScan{doc: doc, maxItems: maxItems}
	for i := 0; ; {
		j := bytes.IndexByte(doc[i:], '<')
		if j < 0 {
			break
		}
		next, err := s.markup(i + j)
		if err != nil {
			return s.l, err
		}
		i = next
	}
	if len(s.stack) != 0 || s.l.root == nil {
		return s.l, errUnscannable
	}
	return s.l, nil
}

// docScan is the state of scanDocument's pass over doc.
type docScan struct {
	doc      []byte
	maxItems int
	l        layout
	stack    []scanOpen // the elements open at the current position
	inItem   bool       // inside an item
	cutting  bool       // inside an item past maxItems
	work     int        // namespace declarations in scope, summed over the elements so far
}

// scanOpen is an open element.
type scanOpen struct {
	name    []byte
	ns      int // namespace declarations in scope
	item    bool
	cutFrom int // start of this element if it is a cut item, else -1
}

// delimited is markup that runs from open to the first close after it.
type delimited struct{ open, close []byte }

// skippedMarkup is the markup the scans step over whole: comments, CDATA
// sections and processing instructions.
var skippedMarkup = [...]delimited{
	{[]byte("<!--"), []byte("-->")},
	{[]byte("<![CDATA["), []byte("]]>")},
	{[]byte("<?"), []byte("?>")},
}

// skipDelimited returns the length of the skipped markup that rest starts
// with, 0 if it starts with none, and -1 if that markup never ends.
func skipDelimited(rest []byte) int {
	for _, d := range &skippedMarkup {
		if bytes.HasPrefix(rest, d.open) {
			k := bytes.Index(rest[len(d.open):], d.close)
			if k < 0 {
				return -1
			}
			return len(d.open) + k + len(d.close)
		}
	}
	return 0
}

// markup reads the markup at doc[i], a '<', and returns where it ends. The
// character after the '<' tells start tags, the most common markup, from
// the rest.
func (s *docScan) markup(i int) (int, error) {
	rest := s.doc[i:]
	if len(rest) < 2 || (rest[1] != '!' && rest[1] != '?' && rest[1] != '/') {
		return s.startTag(i)
	}
	if rest[1] == '/' {
		return s.endTag(i)
	}
	if n := skipDelimited(rest); n != 0 {
		if n < 0 {
			return 0, errUnscannable
		}
		return i + n, nil
	}
	// A DOCTYPE or another declaration, before the root.
	if len(s.stack) > 0 || s.l.root != nil {
		return 0, errUnscannable
	}
	k := doctypeEnd(rest)
	if k < 0 {
		return 0, errUnscannable
	}
	return i + k + 1, nil
}

// endTag reads the end tag at doc[i], which must close the innermost open
// element.
func (s *docScan) endTag(i int) (int, error) {
	rest := s.doc[i:]
	k := bytes.IndexByte(rest, '>')
	if k < 0 || len(s.stack) == 0 {
		return 0, errUnscannable
	}
	top := s.stack[len(s.stack)-1]
	if name := bytes.TrimRight(rest[2:k], " \t\r\n"); !bytes.Equal(name, top.name) {
		return 0, errUnscannable
	}
	s.stack = s.stack[:len(s.stack)-1]
	s.leave(top, i+k+1)
	return i + k + 1, nil
}

// startTag reads the start tag at doc[i], counting its item and its
// namespace work against the limits.
func (s *docScan) startTag(i int) (int, error) {
	rest := s.doc[i:]
	k := xmlscan.TagEnd(rest)
	if k < 0 {
		return 0, errUnscannable
	}
	n := xmlscan.TagNameEnd(rest, k)
	name := rest[1:n]
	if len(name) == 0 {
		return 0, errUnscannable
	}
	if len(s.stack) == 0 {
		if s.l.root != nil {
			return 0, errUnscannable // a second root
		}
		s.l.root = xmlscan.LocalName(name)
	}
	o := s.enter(name, i)
	if len(s.stack) >= MaxDepth {
		return 0, fmt.Errorf("%w: elements nested deeper than %d", ErrTooComplex, MaxDepth)
	}
	if !s.cutting { // cut elements cost the parser nothing
		o.ns += namespaceDecls(rest[n:k])
		s.work += o.ns
		if s.work > MaxNamespaceWork {
			return 0, fmt.Errorf("%w: namespace declarations in scope, summed over the elements, exceed %d", ErrTooComplex, MaxNamespaceWork)
		}
	}
	end := i + k + 1
	if rest[k-1] == '/' { // self-closing
		s.leave(o, end)
	} else {
		s.stack = append(s.stack, o)
	}
	return end, nil
}

// enter returns the element named name that starts at doc[start], with the
// namespaces in scope of its parent, counting it if it is an item.
func (s *docScan) enter(name []byte, start int) scanOpen {
	o := scanOpen{name: name, cutFrom: -1}
	if len(s.stack) > 0 {
		o.ns = s.stack[len(s.stack)-1].ns
	}
	if !s.inItem && len(s.stack) >= 1 && len(s.stack) <= 2 && xmlscan.IsItemName(xmlscan.LocalName(name)) {
		o.item, s.inItem = true, true
		s.l.items++
		if s.l.items > s.maxItems {
			o.cutFrom, s.cutting = start, true
		}
	}
	return o
}

// leave closes o, which ends at doc[end].
func (s *docScan) leave(o scanOpen, end int) {
	if o.item {
		s.inItem = false
	}
	if o.cutFrom >= 0 {
		s.l.cut = append(s.l.cut, span{o.cutFrom, end})
		s.cutting = false
	}
}

// doctypeEnd returns the index of the '>' ending the declaration that d
// starts with, skipping an internal subset in brackets and quoted strings;
// -1 if there is none.
func doctypeEnd(d []byte) int {
	var quote byte
	brackets := 0
	for i := 2; i < len(d); i++ {
		c := d[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[':
			brackets++
		case c == ']':
			brackets--
		case c == '>' && brackets <= 0:
			return i
		}
	}
	return -1
}

// namespaceDecls counts the xmlns and xmlns:prefix attributes in attrs, the
// inside of a start tag after its name.
func namespaceDecls(attrs []byte) int {
	n := 0
	for i := 0; i < len(attrs); {
		for i < len(attrs) && (xmlscan.IsSpace(attrs[i]) || attrs[i] == '/') {
			i++
		}
		start := i
		for i < len(attrs) && !xmlscan.IsSpace(attrs[i]) && attrs[i] != '=' && attrs[i] != '/' {
			i++
		}
		if name := attrs[start:i]; bytes.Equal(name, []byte("xmlns")) || bytes.HasPrefix(name, []byte("xmlns:")) {
			n++
		}
		if i = skipSpaces(attrs, i); i < len(attrs) && attrs[i] == '=' {
			if i = attrValueEnd(attrs, skipSpaces(attrs, i+1)); i < 0 {
				return n
			}
		}
		if i == start {
			i++ // a stray character: step over it
		}
	}
	return n
}

// attrValueEnd returns the end of the attribute value, quoted or not, at
// attrs[i]; -1 for a quote that is never closed.
func attrValueEnd(attrs []byte, i int) int {
	if i < len(attrs) && (attrs[i] == '"' || attrs[i] == '\'') {
		k := bytes.IndexByte(attrs[i+1:], attrs[i])
		if k < 0 {
			return -1
		}
		return i + 1 + k + 1
	}
	for i < len(attrs) && !xmlscan.IsSpace(attrs[i]) {
		i++
	}
	return i
}

// skipSpaces returns the index of the first byte of b at or after i that
// is not a space.
func skipSpaces(b []byte, i int) int {
	for i < len(b) && xmlscan.IsSpace(b[i]) {
		i++
	}
	return i
}

// cutSpans returns doc without the spans, which are in order and disjoint.
func cutSpans(doc []byte, spans []span) []byte {
	out := make([]byte, 0, len(doc))
	last := 0
	for _, s := range spans {
		out = append(out, doc[last:s.start]...)
		last = s.end
	}
	return append(out, doc[last:]...)
}

// deadlineReader reads from r until ctx is done, then fails with ctx's
// error: the XML parser takes no context, but it reads its input a few
// kilobytes at a time, so a parse stops soon after its deadline passes.
type deadlineReader struct {
	ctx context.Context
	r   io.Reader
}

// deadlineChunk is the most read between two looks at the context.
const deadlineChunk = 4 << 10

func (d *deadlineReader) Read(p []byte) (int, error) {
	if err := d.ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) > deadlineChunk {
		p = p[:deadlineChunk]
	}
	return d.r.Read(p)
}
