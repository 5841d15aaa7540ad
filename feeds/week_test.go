package feeds_test

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai without the system's zoneinfo

	"github.com/feedcurator/feedcurator/feeds"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseWeek(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want feeds.Week
		err  bool
	}{
		{"2016-W26", feeds.Week{Year: 2016, Week: 26}, false},
		{"2016w26", feeds.Week{Year: 2016, Week: 26}, false},
		{" 2020-W53 ", feeds.Week{Year: 2020, Week: 53}, false},
		{"2015-W53", feeds.Week{Year: 2015, Week: 53}, false},
		{"2021-W53", feeds.Week{}, true}, // 2021 has 52 weeks
		{"2016-W00", feeds.Week{}, true},
		{"2016-W6", feeds.Week{}, true},
		{"2016-26", feeds.Week{}, true},
		{"16-W26", feeds.Week{}, true},
		{"2016-W+1", feeds.Week{}, true},
		{"", feeds.Week{}, true},
	} {
		got, err := feeds.ParseWeek(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseWeek(%q) = %v, %v", tt.in, got, err)
		}
		if err != nil && !errors.Is(err, feeds.ErrBadWeek) {
			t.Errorf("ParseWeek(%q): error %v is not ErrBadWeek", tt.in, err)
		}
		if err == nil && got.String() != "2016-W26" && tt.in == "2016-W26" {
			t.Errorf("String() = %q", got.String())
		}
	}
}

func TestWeekStart(t *testing.T) {
	sh := mustLoc(t, "Asia/Shanghai")
	for _, tt := range []struct {
		week string
		want string // Monday, local
	}{
		{"2016-W26", "2016-06-27"},
		{"2016-W01", "2016-01-04"},
		{"2019-W01", "2018-12-31"},
		{"2020-W53", "2020-12-28"},
		{"2026-W01", "2025-12-29"},
	} {
		w, err := feeds.ParseWeek(tt.week)
		if err != nil {
			t.Fatal(err)
		}
		s := w.Start(sh)
		if s.Format("2006-01-02 15:04 MST") != tt.want+" 00:00 CST" || s.Weekday() != time.Monday {
			t.Errorf("%s starts %v, want %s", w, s, tt.want)
		}
		if got := feeds.WeekOf(s); got != w {
			t.Errorf("WeekOf(%v) = %v, want %v", s, got, w)
		}
		if got := feeds.WeekOf(s.Add(-time.Nanosecond)); got != w.Prev() {
			t.Errorf("the moment before %s is in %v, want %v", w, got, w.Prev())
		}
		if w.Next().Prev() != w || !w.Prev().Before(w) || w.Before(w) {
			t.Errorf("%v: Next/Prev/Before disagree", w)
		}
	}
	// Across the year: 2020 has 53 weeks, 2021 52.
	if got := (feeds.Week{Year: 2020, Week: 53}).Next(); got != (feeds.Week{Year: 2021, Week: 1}) {
		t.Errorf("2020-W53 + 1 = %v", got)
	}
	if got := (feeds.Week{Year: 2022, Week: 1}).Prev(); got != (feeds.Week{Year: 2021, Week: 52}) {
		t.Errorf("2022-W01 - 1 = %v", got)
	}
}
