package aggregator

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/maphash"
	"slices"

	"github.com/feedcurator/feedcurator/feeds"
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

// digest describes the document last saved for a source. Each element in
// raw parsed into an item of its own, with a key of its own, which the store
// has; keys holds those keys' hashes and perhaps older ones.
type digest struct {
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
	prev    *digest      // nil: parse everything
	next    *digest      // this document's digest, once parsed; nil if it has none
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
					d.next = &digest{frame: prev.frame, raw: raw, keys: keys}
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
		d.next = &digest{frame: frameOf(l.frame, url, contentType, f), raw: raw, keys: keyHashes(f.Items, nil)}
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

var utf8BOM = []byte("\xef\xbb\xbf")

// splitItems finds the item elements of an RSS or Atom document without
// parsing it: it follows the markup (comments, CDATA sections, processing
// instructions, quoted attribute values) only as far as needed to find
// where each <item> or <entry> element starts and ends. It reports false
// for anything it cannot split safely: a DOCTYPE (whose entities could
// change any text), an encoding that is not ASCII-compatible, markup it does
// not follow, items at more than one place in the tree, prefixed item
// names, or no items at all.
func splitItems(doc []byte) (itemLayout, bool) {
	var l itemLayout
	// UTF-16 and UTF-32 put NUL bytes beside every ASCII character; XML in
	// other encodings never contains NUL.
	if bytes.IndexByte(doc, 0) >= 0 {
		return l, false
	}
	i := 0
	if bytes.HasPrefix(doc, utf8BOM) {
		i = len(utf8BOM)
	}
	var h maphash.Hash
	h.SetSeed(digestSeed)

	type open struct {
		name       []byte
		start, end int // the start tag
	}
	var stack []open
	itemDepth, itemParent := -1, -1
	inItem := -1 // start of the item being read, -1 outside items
	for {
		j := bytes.IndexByte(doc[i:], '<')
		if j < 0 {
			break
		}
		i += j
		rest := doc[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			k := bytes.Index(rest[4:], []byte("-->"))
			if k < 0 {
				return l, false
			}
			i += 4 + k + 3
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			k := bytes.Index(rest[9:], []byte("]]>"))
			if k < 0 || len(stack) == 0 {
				return l, false
			}
			i += 9 + k + 3
		case bytes.HasPrefix(rest, []byte("<?")):
			k := bytes.Index(rest[2:], []byte("?>"))
			if k < 0 {
				return l, false
			}
			pi := rest[:2+k+2]
			if len(stack) == 0 && bytes.HasPrefix(pi, []byte("<?xml")) && len(pi) > 5 && isSpace(pi[5]) {
				h.Write(pi) // the XML declaration names the encoding
			}
			i += len(pi)
		case bytes.HasPrefix(rest, []byte("<!")):
			return l, false // DOCTYPE and the like
		case bytes.HasPrefix(rest, []byte("</")):
			k := bytes.IndexByte(rest, '>')
			if k < 0 || len(stack) == 0 {
				return l, false
			}
			if name := bytes.TrimRight(rest[2:k], " \t\r\n"); !bytes.Equal(name, stack[len(stack)-1].name) {
				return l, false
			}
			stack = stack[:len(stack)-1]
			i += k + 1
			if inItem >= 0 && len(stack) == itemDepth {
				l.items = append(l.items, span{inItem, i})
				inItem = -1
			}
		default:
			k := tagEnd(rest)
			if k < 0 {
				return l, false
			}
			n := 1
			for n < k && !isSpace(rest[n]) && rest[n] != '/' && rest[n] != '>' {
				n++
			}
			name := rest[1:n]
			if len(name) == 0 {
				return l, false
			}
			selfClosing := rest[k-1] == '/'
			if inItem < 0 {
				switch local := localName(name); {
				case len(local) != len(name) && isItemName(local):
					return l, false // atom:entry and the like: leave them to the parser
				case isItemName(name):
					if len(stack) == 0 {
						return l, false
					}
					top := stack[len(stack)-1]
					if itemDepth < 0 {
						itemDepth, itemParent = len(stack), top.start
						for _, o := range stack {
							h.Write(doc[o.start:o.end])
						}
					} else if len(stack) != itemDepth || top.start != itemParent {
						return l, false
					}
					inItem = i
				}
			}
			if selfClosing {
				if inItem == i {
					l.items = append(l.items, span{i, i + k + 1})
					inItem = -1
				}
			} else {
				stack = append(stack, open{name: name, start: i, end: i + k + 1})
			}
			i += k + 1
		}
	}
	if len(stack) != 0 || inItem >= 0 || len(l.items) == 0 {
		return l, false
	}
	l.frame = h.Sum64()
	return l, true
}

// tagEnd returns the index of the '>' closing the tag that tag starts
// with, skipping quoted attribute values; -1 if there is none.
func tagEnd(tag []byte) int {
	var quote byte
	for i := 1; i < len(tag); i++ {
		c := tag[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		case c == '<':
			return -1
		}
	}
	return -1
}

func localName(name []byte) []byte {
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

func isItemName(name []byte) bool {
	return string(name) == "item" || string(name) == "entry"
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
