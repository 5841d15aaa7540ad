package feeds

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrBadWeek is returned by ParseWeek for anything but an ISO week.
var ErrBadWeek = errors.New("not an ISO week (write e.g. 2016-W26)")

// Week is an ISO 8601 week: weeks start on Monday, and week 1 of a year is
// the one holding its first Thursday. The weekly digest has one issue per
// week.
type Week struct {
	Year int
	Week int // 1 to 52 or 53
}

// WeekOf returns the ISO week t falls in, in t's location.
func WeekOf(t time.Time) Week {
	y, w := t.ISOWeek()
	return Week{Year: y, Week: w}
}

// ParseWeek reads a week written as 2016-W26 (or 2016W26, any case).
func ParseWeek(s string) (Week, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	y, n, ok := strings.Cut(s, "W")
	y = strings.TrimSuffix(y, "-")
	if !ok || len(y) != 4 || len(n) != 2 || !allDigits(y) || !allDigits(n) {
		return Week{}, fmt.Errorf("%q: %w", s, ErrBadWeek)
	}
	year, _ := strconv.Atoi(y)
	week, _ := strconv.Atoi(n)
	w := Week{Year: year, Week: week}
	if !w.Valid() {
		return Week{}, fmt.Errorf("%q: %d has no week %d: %w", s, year, week, ErrBadWeek)
	}
	return w, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Valid reports whether w names a week that exists.
func (w Week) Valid() bool {
	if w.Year < 1 || w.Year > 9999 || w.Week < 1 {
		return false
	}
	// December 28th is always in the last week of its ISO year.
	_, last := time.Date(w.Year, 12, 28, 0, 0, 0, 0, time.UTC).ISOWeek()
	return w.Week <= last
}

// String writes w as 2016-W26.
func (w Week) String() string {
	return fmt.Sprintf("%04d-W%02d", w.Year, w.Week)
}

// Start returns the first moment of w in loc: its Monday at midnight.
func (w Week) Start(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	// January 4th is always in week 1.
	jan4 := time.Date(w.Year, 1, 4, 0, 0, 0, 0, loc)
	sinceMonday := (int(jan4.Weekday()) + 6) % 7
	return time.Date(w.Year, 1, 4-sinceMonday+(w.Week-1)*7, 0, 0, 0, 0, loc)
}

// Next returns the week after w.
func (w Week) Next() Week {
	s := w.Start(time.UTC)
	return WeekOf(time.Date(s.Year(), s.Month(), s.Day()+7, 0, 0, 0, 0, time.UTC))
}

// Prev returns the week before w.
func (w Week) Prev() Week {
	s := w.Start(time.UTC)
	return WeekOf(time.Date(s.Year(), s.Month(), s.Day()-7, 0, 0, 0, 0, time.UTC))
}

// Before reports whether w comes before v.
func (w Week) Before(v Week) bool {
	return w.Year < v.Year || (w.Year == v.Year && w.Week < v.Week)
}

// Issue is one week's digest: the week's published items, grouped into
// sections, each with a short plain-text summary.
type Issue struct {
	Week     Week
	Title    string         // e.g. 【20160701】一周业内技术动态
	Heading  string         // e.g. 20160701期
	Date     time.Time      // publication moment, in the digest's time zone
	From, To time.Time      // the week: [From, To)
	Updated  time.Time      // Date, or a later change to one of its items; a publication's moment
	Note     string         // the editor's note on the issue (编者按), plain text
	Sections []IssueSection // in configured order, only those with items

	// Revision counts the publications of an issue frozen by the editor's
	// desk (see EditedIssue): 0 for an issue computed from the store.
	Revision int
	// Markdown is the issue's Jekyll post as frozen when it was published,
	// nil for an issue not frozen: a frozen issue is shown as it was
	// published, whatever the options or the store say since.
	Markdown []byte
}

// Len returns the number of items in the issue.
func (is *Issue) Len() int {
	n := 0
	for _, s := range is.Sections {
		n += len(s.Items)
	}
	return n
}

// IssueSection is one section of an issue.
type IssueSection struct {
	Section
	Items []IssueItem
}

// IssueItem is one item of an issue.
type IssueItem struct {
	Title     string // plain text
	Summary   string // plain text: the 要点
	Link      string // absolute http(s) URL, or ""
	Source    string // the source's name
	Published time.Time
	Note      string      // the editor's note on the item, plain text
	Related   []IssueLink // 推荐阅读: related articles
	Item      Item
}

// IssueLink is a related article an issue item points to.
type IssueLink struct {
	Title string // plain text
	Link  string // absolute http(s) URL
}
