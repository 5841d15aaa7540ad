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
// zero Cursor encodes as "".
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
	ms, id, ok := strings.Cut(s, "-")
	t, err1 := strconv.ParseInt(ms, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	// Digits only: ParseInt would accept a sign, which String never writes.
	if !ok || err1 != nil || err2 != nil || t < 0 || n <= 0 || !digits(ms) || !digits(id) {
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
