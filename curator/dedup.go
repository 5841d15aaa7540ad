package curator

import (
	"unicode"
	"unicode/utf8"

	"github.com/feedcurator/feedcurator/feeds"
)

// minTitleKeyRunes is the shortest title key that identifies a story: below
// it, titles such as "Weekly notes" or "周报" would match unrelated items.
const minTitleKeyRunes = 8

// TitleKey returns the form of a title under which near-identical titles of
// one story, from different sources, compare equal: folded as keywords are
// (case, full-width, traditional Chinese), with everything but letters,
// digits and CJK characters dropped. A site name appended after " - ",
// " | " or " _ " is ignored. Titles too short to identify a story give "".
func TitleKey(title string) string {
	for _, sep := range []string{" - ", " | ", " _ ", " – ", " — "} {
		if i := lastIndex(title, sep); i > 0 && utf8.RuneCountInString(title[:i]) >= 2*minTitleKeyRunes {
			title = title[:i]
			break
		}
	}
	folded := fold(nil, title)
	out := folded[:0]
	n := 0
	for i := 0; i < len(folded); {
		r, size := utf8.DecodeRune(folded[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, folded[i:i+size]...)
			n++
		}
		i += size
	}
	if n < minTitleKeyRunes {
		return ""
	}
	return string(out)
}

func lastIndex(s, sep string) int {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return i
		}
	}
	return -1
}

// Fingerprint returns the keys under which an item is a near-duplicate of
// another source's item: its canonical URL and its title key.
func Fingerprint(it *feeds.Item) (canonicalURL, titleKey string) {
	return feeds.CanonicalURL(it.Link), TitleKey(it.Title)
}
