package aggregator

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/maphash"
	"slices"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/xmlscan"
)

// Most fetches that return a new document return one new item and a dozen
// or more that were saved before, byte for byte. Parsing is the largest cost
// of a poll, so the poller remembers a digest of the items of the document
// it last saved for each source, and parses only the items that changed:
// it cuts the unchanged item elements out of the raw document and parses
// what remains, which is still a valid feed with the same head. Items are
// parsed alone, apart from the context the head gives them (encoding,
// namespaces, xml:base and xml:lang, the feed's title, link and language, the
// URL and the content type); when any of that changes, or the document does
// not split cleanly, or a changed item carries the key of an item saved
// before (an edit, or a duplicate the full parse would have dropped), the
// whole document is parsed as usual.
//
// What the store gets is then what a full parse would have given it, less
// the items it would have counted as unchanged, with one difference: an
// item the store has pruned is not stored again while the feed keeps
// listing it unchanged.

// digestSeed keys the digests' hashes, which never leave the process.
var digestSeed = maphash.MakeSeed()

// docDigest describes the document last saved for a source. Each element in
// raw parsed into an item of its own, with a key of its own, which the store
// has; keys holds those keys' hashes and perhaps older ones.
type docDigest struct {
	frame uint64   // the context items are parsed in: see frameOf
	raw   []uint64 // hashes of the raw item elements, sorted
	keys  []uint32 // hashes of the Keys of the items saved, sorted
}

// maxDigestKeys bounds a digest's keys, which grow by the new items' keys
// while parses skip the unchanged ones; past it the next fetch parses the
// whole document and starts a fresh digest.
func maxDigestKeys(items int) int { return 2*items + 32 }

// deltaParser parses one fetched document against the digest of the one
// last saved.
type deltaParser struct {
	prev    *docDigest   // nil: parse everything
	next    *docDigest   // this document's digest, once parsed; nil if it has none
	skipped int          // unchanged items left out of the parse
	parser  feeds.Parser // the limits of each parse
	ctx     context.Context
}

// parseContext is the Fetcher's parse step: parse, within ctx.
func (d *deltaParser) parseContext(ctx context.Context, body []byte, url, contentType string) (*feeds.Feed, error) {
	d.ctx = ctx
	defer func() { d.ctx = nil }()
	return d.parse(body, url, contentType)
}

// maxItems is the most items a parse takes from one document.
func (d *deltaParser) maxItems() int {
	if d.parser.MaxItems > 0 {
		return d.parser.MaxItems
	}
	return feeds.DefaultMaxItems
}

// parseDoc parses one document within d's limits and context.
func (d *deltaParser) parseDoc(body []byte, url, contentType string) (*feeds.Feed, error) {
	ctx := d.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	return d.parser.ParseBytes(ctx, body, url, contentType)
}

// parse parses body, leaving out the items of the previous digest.
func (d *deltaParser) parse(body []byte, url, contentType string) (*feeds.Feed, error) {
	d.next, d.skipped = nil, 0
	l, ok := splitItems(body)
	if !ok || len(l.items) > d.maxItems() {
		// Past the item cap the parse takes the first items of the whole
		// document, which skipping some would change.
		return d.parseDoc(body, url, contentType)
	}
	raw := make([]uint64, len(l.items))
	for i, s := range l.items {
		raw[i] = maphash.Bytes(digestSeed, body[s.start:s.end])
	}
	if prev := d.prev; prev != nil {
		skip := make([]bool, len(raw))
		n := 0
		for i, h := range raw {
			if _, found := slices.BinarySearch(prev.raw, h); found {
				skip[i] = true
				n++
			}
		}
		if n > 0 {
			f, err := d.parseDoc(cutItems(body, l.items, skip), url, contentType)
			if err == nil && frameOf(l.frame, url, contentType, f) == prev.frame && !anyKnown(f.Items, prev.keys) {
				d.skipped = n
				keys := keyHashes(f.Items, prev.keys)
				if len(f.Items) == len(raw)-n && len(keys) <= maxDigestKeys(len(raw)) {
					slices.Sort(raw)
					d.next = &docDigest{frame: prev.frame, raw: raw, keys: keys}
				}
				return f, nil
			}
		}
	}
	f, err := d.parseDoc(body, url, contentType)
	if err != nil {
		return nil, err
	}
	// Parse returns one item per element, less the empty ones and repeated
	// keys. Only when it dropped none is every element known to stand for
	// one stored item, which skipping it next time takes for granted.
	if len(f.Items) == len(raw) {
		slices.Sort(raw)
		d.next = &docDigest{frame: frameOf(l.frame, url, contentType, f), raw: raw, keys: keyHashes(f.Items, nil)}
	}
	return f, nil
}

// parseAll parses a whole document with the default limits.
func parseAll(body []byte, url, contentType string) (*feeds.Feed, error) {
	return feeds.ParseBytes(body, url, contentType)
}

// frameOf hashes what, besides its own bytes, decides how an item parses.
func frameOf(layout uint64, url, contentType string, f *feeds.Feed) uint64 {
	var h maphash.Hash
	h.SetSeed(digestSeed)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], layout)
	h.Write(b[:])
	for _, s := range []string{url, contentType, f.Title, f.Link, f.Language} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	return h.Sum64()
}

func keyHash(key string) uint32 { return uint32(maphash.String(digestSeed, key)) }

// anyKnown reports whether an item's key hash is among keys.
func anyKnown(items []feeds.Item, keys []uint32) bool {
	for i := range items {
		if _, found := slices.BinarySearch(keys, keyHash(items[i].Key)); found {
			return true
		}
	}
	return false
}

// keyHashes returns the sorted union of base and the items' key hashes.
func keyHashes(items []feeds.Item, base []uint32) []uint32 {
	keys := make([]uint32, 0, len(base)+len(items))
	keys = append(keys, base...)
	for i := range items {
		keys = append(keys, keyHash(items[i].Key))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// cutItems returns doc without the items marked in skip.
func cutItems(doc []byte, items []span, skip []bool) []byte {
	out := make([]byte, 0, len(doc))
	last := 0
	for i, s := range items {
		if !skip[i] {
			continue
		}
		out = append(out, doc[last:s.start]...)
		last = s.end
	}
	return append(out, doc[last:]...)
}

// span is the byte range [start, end) of an element in a document.
type span struct{ start, end int }

// itemLayout is where a feed document keeps its items.
type itemLayout struct {
	frame uint64 // hash of the XML declaration and of the start tags enclosing the items
	items []span // the item (RSS) or entry (Atom) elements, in order
}

// splitItems finds the item elements of an RSS or Atom document without
// parsing it: it follows the markup (comments, CDATA sections, processing
// instructions, quoted attribute values) only as far as needed to find
// where each <item> or <entry> element starts and ends. It reports false
// for anything it cannot split safely: a DOCTYPE (whose entities could
// change any text), an encoding that is not ASCII-compatible, markup it does
// not follow, items at more than one place in the tree, prefixed item
// names, or no items at all.
func splitItems(doc []byte) (itemLayout, bool) {
	// UTF-16 and UTF-32 put NUL bytes beside every ASCII character; XML in
	// other encodings never contains NUL.
	if bytes.IndexByte(doc, 0) >= 0 {
		return itemLayout{}, false
	}
	i := 0
	if bytes.HasPrefix(doc, feeds.UTF8BOM) {
		i = len(feeds.UTF8BOM)
	}
	s := itemSplit{doc: doc, itemDepth: -1, itemParent: -1, inItem: -1}
	s.h.SetSeed(digestSeed)
	for {
		j := bytes.IndexByte(doc[i:], '<')
		if j < 0 {
			break
		}
		next, ok := s.markup(i + j)
		if !ok {
			return s.l, false
		}
		i = next
	}
	if len(s.stack) != 0 || s.inItem >= 0 || len(s.l.items) == 0 {
		return s.l, false
	}
	s.l.frame = s.h.Sum64()
	return s.l, true
}

// itemSplit is the state of splitItems' pass over doc.
type itemSplit struct {
	doc        []byte
	l          itemLayout
	h          maphash.Hash // of the XML declaration and the start tags enclosing the items
	stack      []splitOpen  // the elements open at the current position
	itemDepth  int          // len(stack) at the items' start tags; -1 before the first
	itemParent int          // start of the items' parent element; -1 before the first item
	inItem     int          // start of the item being read, -1 outside items
}

// splitOpen is an open element.
type splitOpen struct {
	name       []byte
	start, end int // the start tag
}

// markup reads the markup at doc[i], a '<', and returns where it ends;
// false for markup that splitItems refuses. The character after the '<'
// tells start tags, the most common markup, from the rest.
func (s *itemSplit) markup(i int) (int, bool) {
	rest := s.doc[i:]
	if len(rest) < 2 || (rest[1] != '!' && rest[1] != '?' && rest[1] != '/') {
		return s.startTag(i)
	}
	switch {
	case rest[1] == '/':
		return s.endTag(i)
	case bytes.HasPrefix(rest, []byte("<!--")):
		n := delimitedLen(rest, len("<!--"), []byte("-->"))
		return i + n, n > 0
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		n := delimitedLen(rest, len("<![CDATA["), []byte("]]>"))
		return i + n, n > 0 && len(s.stack) > 0
	case rest[1] == '?':
		n := delimitedLen(rest, len("<?"), []byte("?>"))
		if n < 0 {
			return 0, false
		}
		if pi := rest[:n]; len(s.stack) == 0 && bytes.HasPrefix(pi, []byte("<?xml")) && len(pi) > 5 && xmlscan.IsSpace(pi[5]) {
			s.h.Write(pi) // the XML declaration names the encoding
		}
		return i + n, true
	default:
		return 0, false // DOCTYPE and the like
	}
}

// delimitedLen returns the length of the markup that rest starts with, an
// opening of length open and everything up to and including the first
// close after it; -1 if there is no close.
func delimitedLen(rest []byte, open int, close []byte) int {
	k := bytes.Index(rest[open:], close)
	if k < 0 {
		return -1
	}
	return open + k + len(close)
}

// endTag reads the end tag at doc[i], which must close the innermost open
// element, and ends the item it closes.
func (s *itemSplit) endTag(i int) (int, bool) {
	rest := s.doc[i:]
	k := bytes.IndexByte(rest, '>')
	if k < 0 || len(s.stack) == 0 {
		return 0, false
	}
	if name := bytes.TrimRight(rest[2:k], " \t\r\n"); !bytes.Equal(name, s.stack[len(s.stack)-1].name) {
		return 0, false
	}
	s.stack = s.stack[:len(s.stack)-1]
	end := i + k + 1
	if s.inItem >= 0 && len(s.stack) == s.itemDepth {
		s.l.items = append(s.l.items, span{s.inItem, end})
		s.inItem = -1
	}
	return end, true
}

// startTag reads the start tag at doc[i]; a self-closing item is a whole
// item.
func (s *itemSplit) startTag(i int) (int, bool) {
	rest := s.doc[i:]
	k := xmlscan.TagEnd(rest)
	if k < 0 {
		return 0, false
	}
	name := rest[1:xmlscan.TagNameEnd(rest, k)]
	if len(name) == 0 {
		return 0, false
	}
	if s.inItem < 0 && !s.enterItem(name, i) {
		return 0, false
	}
	end := i + k + 1
	switch {
	case rest[k-1] != '/':
		s.stack = append(s.stack, splitOpen{name: name, start: i, end: end})
	case s.inItem == i: // a self-closing item
		s.l.items = append(s.l.items, span{i, end})
		s.inItem = -1
	}
	return end, true
}

// enterItem starts an item if the element named name at doc[start],
// outside any item, is one; it reports false for an item splitItems
// refuses: a prefixed one, the root, or one at another place in the tree
// than the first.
func (s *itemSplit) enterItem(name []byte, start int) bool {
	local := xmlscan.LocalName(name)
	switch {
	case len(local) != len(name) && xmlscan.IsItemName(local):
		return false // atom:entry and the like: leave them to the parser
	case !xmlscan.IsItemName(name):
		return true
	case len(s.stack) == 0:
		return false
	}
	top := s.stack[len(s.stack)-1]
	if s.itemDepth < 0 {
		s.itemDepth, s.itemParent = len(s.stack), top.start
		for _, o := range s.stack {
			s.h.Write(s.doc[o.start:o.end])
		}
	} else if len(s.stack) != s.itemDepth || top.start != s.itemParent {
		return false
	}
	s.inItem = start
	return true
}
