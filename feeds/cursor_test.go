package feeds_test

import (
	"errors"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// TestCursorBefore1970: items dated before the Unix epoch page like any
// other: their cursors encode and decode.
func TestCursorBefore1970(t *testing.T) {
	for _, c := range []feeds.Cursor{
		{Time: time.Date(1969, 12, 31, 23, 59, 59, 999e6, time.UTC), ID: 3},
		{Time: time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), ID: 12},
		{Time: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), ID: 7},
		{Time: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), ID: 1},
	} {
		s := c.String()
		back, err := feeds.ParseCursor(s)
		if err != nil || !back.Time.Equal(c.Time) || back.ID != c.ID {
			t.Errorf("ParseCursor(%q) = %+v, %v; want %+v", s, back, err, c)
		}
	}
	for _, bad := range []string{"-0-2", "--1-2", "-", "-x-1", "-1-", "-1--2"} {
		if _, err := feeds.ParseCursor(bad); !errors.Is(err, feeds.ErrBadCursor) {
			t.Errorf("ParseCursor(%q) = %v, want ErrBadCursor", bad, err)
		}
	}
}

// FuzzCursor: whatever ParseCursor accepts, String writes back as a cursor
// that decodes to the same position.
func FuzzCursor(f *testing.F) {
	for _, s := range []string{"", "1467361100123-42", "-2208988800000-7", "-1-1", "0-1", "1-0", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := feeds.ParseCursor(s)
		if err != nil {
			return
		}
		back, err := feeds.ParseCursor(c.String())
		if err != nil || !back.Time.Equal(c.Time) || back.ID != c.ID {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, c, c.String(), back, err)
		}
	})
}
