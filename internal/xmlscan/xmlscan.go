// Package xmlscan holds the byte-level helpers of the quick scans of feed
// documents that run before (or instead of) a full XML parse: the feeds
// package's check of a document's items and cost, and the aggregator's
// split of a document into items for a delta parse. It is a leaf: it
// imports nothing of the module.
package xmlscan

import "bytes"

// TagNameEnd returns the end of the name of the tag that tag starts with
// ("<name ..."), whose '>' is at k.
func TagNameEnd(tag []byte, k int) int {
	n := 1
	for n < k && !IsSpace(tag[n]) && tag[n] != '/' && tag[n] != '>' {
		n++
	}
	return n
}

// TagEnd returns the index of the '>' closing the tag that tag starts
// with, skipping quoted attribute values; -1 if there is none.
func TagEnd(tag []byte) int {
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

// LocalName returns name without its namespace prefix.
func LocalName(name []byte) []byte {
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// IsItemName reports whether a local name is that of an RSS or Atom item.
func IsItemName(name []byte) bool {
	return string(name) == "item" || string(name) == "entry"
}

// IsSpace reports whether c is XML white space.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
