package curator

import (
	"unicode"
	"unicode/utf8"
)

//go:generate go run gen_t2s.go

// fold appends the normalised form of s to dst: lower case; full-width ASCII
// variants (U+FF01–U+FF5E) and the ideographic space folded to ASCII;
// traditional Chinese characters folded to simplified ones. It is the one
// normalisation applied to both keywords and text, so that they meet.
//
// Chinese is folded character by character (OpenCC's character table, not
// its phrase tables): exact enough for matching, since a keyword and the text
// go through the same mapping, and cheap enough to run on every item.
func fold(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r >= 0x2E80 && r != 0x3000 && (r < 0xFF01 || r > 0xFF5E) && r != utf8.RuneError {
			// CJK and everything above it has no case, but may have a
			// simplified form.
			if x := uint32(r) - t2sLow; x < uint32(len(t2sBMP)) {
				if t := t2sBMP[x]; t != 0 {
					dst = utf8.AppendRune(dst, t)
					i += n
					continue
				}
			} else if r >= 0x20000 {
				if t, ok := t2sAstral[r]; ok {
					dst = utf8.AppendRune(dst, t)
					i += n
					continue
				}
			}
			dst = append(dst, s[i:i+n]...)
			i += n
			continue
		}
		i += n
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFF01 - 0x21
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
		case r == 0x3000:
			r = ' '
		default:
			r = unicode.ToLower(r)
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// The traditional→simplified table, built from t2sPairs (t2s_table.go): a
// dense array over the basic multilingual plane's CJK blocks, where almost
// all of the traditional characters are, and a map for the supplementary
// planes.
const (
	t2sLow  = 0x3400 // CJK Unified Ideographs Extension A
	t2sHigh = 0x9FFF // end of CJK Unified Ideographs
)

var (
	t2sBMP    [t2sHigh - t2sLow + 1]rune
	t2sAstral = map[rune]rune{}
)

func init() {
	s := t2sPairs
	for len(s) > 0 {
		k, n := utf8.DecodeRuneInString(s)
		v, m := utf8.DecodeRuneInString(s[n:])
		s = s[n+m:]
		if k >= t2sLow && k <= t2sHigh {
			t2sBMP[k-t2sLow] = v
		} else {
			t2sAstral[k] = v
		}
	}
}

// isWordByte reports whether b belongs to a Latin word for boundary checks.
// Bytes of multi-byte UTF-8 sequences count as non-word, so "docker容器"
// still has a boundary after "docker".
func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b >= 'A' && b <= 'Z'
}

// latinEdges reports whether a folded keyword needs boundary checks at its
// start and end.
func latinEdges(k string) (start, end bool) {
	if k == "" {
		return false, false
	}
	return isWordByte(k[0]), isWordByte(k[len(k)-1])
}
