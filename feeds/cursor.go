package feeds

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ErrBadCursor is returned by ParseCursor for a malformed cursor.
var ErrBadCursor = errors.New("malformed cursor")

// Cursor is a position in the newest-first order of published items, which
// sorts by sort time and then by ID, both descending. A page "before" a
// cursor holds the items strictly older than it. The zero Cursor stands
// before the newest item: its page is the head of the feed.
//
// Keyset cursors stay valid as new items arrive, unlike offsets, so an
// archive page keeps its items while the head of the feed moves on.
type Cursor struct {
	Time time.Time // an item's SortTime, kept to the millisecond
	ID   int64     // the item's store ID
}

// CursorOf returns the cursor just before it: the next page starts with the
// item after it.
func CursorOf(it *Item) Cursor {
	return Cursor{Time: it.SortTime, ID: it.ID}
}

// IsZero reports whether c is the head of the feed.
func (c Cursor) IsZero() bool { return c.Time.IsZero() && c.ID == 0 }

// String encodes c for a URL query: unix milliseconds, a dash, the ID. The
// zero Cursor encodes as "". Times before 1970 have negative milliseconds,
// written with a leading minus: "-2208988800000-7" is 1900-01-01, item 7.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.Time.UnixMilli(), 10) + "-" + strconv.FormatInt(c.ID, 10)
}

// ParseCursor decodes Cursor.String; "" is the zero Cursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	// The ID follows the last dash; a dash before the milliseconds is
	// their sign.
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return Cursor{}, ErrBadCursor
	}
	ms, id := s[:i], s[i+1:]
	t, err1 := strconv.ParseInt(ms, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	// Digits only, but for the minus String writes before 1970: ParseInt
	// would also take a plus, and "-0" is not what String writes for 1970.
	neg := strings.HasPrefix(ms, "-")
	if err1 != nil || err2 != nil || n <= 0 || !digits(strings.TrimPrefix(ms, "-")) || !digits(id) || (neg && t == 0) {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{Time: time.UnixMilli(t).UTC(), ID: n}, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
