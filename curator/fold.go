package curator

import (
	"unicode"
	"unicode/utf8"
)

// fold appends the normalised form of s to dst: lower case, full-width ASCII
// variants (U+FF01–U+FF5E) and the ideographic space folded to ASCII. It is
// the one normalisation applied to both keywords and text, so that they meet.
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
			// CJK and everything above it has no case: copy as is.
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

// isWordByte reports whether b belongs to a Latin word for boundary checks.
// Bytes of multi-byte UTF-8 sequences count as non-word, so "docker容器"
// still has a boundary after "docker".
func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b >= 'A' && b <= 'Z'
}

// latinWord reports whether a folded keyword needs boundary checks at its
// start and end.
func latinEdges(k string) (start, end bool) {
	if k == "" {
		return false, false
	}
	return isWordByte(k[0]), isWordByte(k[len(k)-1])
}
