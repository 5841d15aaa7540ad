package config

import (
	"fmt"

	"strings"
	"time"

	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/publisher"
)

// reservedView are the view names the publisher uses itself.
var reservedView = map[string]bool{"all": true, "digest": true}

// Digest configures the weekly digest issue.
type Digest struct {
	Title      string   `yaml:"title"`       // {date} 20160701, {iso_date} 2016-07-01, {week} 2016-W26
	Heading    string   `yaml:"heading"`     // first Markdown line, after "# "
	Weekday    string   `yaml:"weekday"`     // publication day, e.g. monday
	Time       string   `yaml:"time"`        // publication time, HH:MM
	TimeZone   string   `yaml:"time_zone"`   // IANA name, e.g. Asia/Shanghai
	SummaryMax int      `yaml:"summary_max"` // 要点 length limit in characters; 0 for none
	PerSection int      `yaml:"per_section"` // items per section, best scored first; 0 for the default, 50
	FeedTitle  string   `yaml:"feed_title"`  // title of /feeds/digest.atom
	Issues     int      `yaml:"issues"`      // issues in the digest feed
	Dir        string   `yaml:"dir"`         // folder for each issue's Markdown (a Jekyll _posts); "" for none
	FileName   string   `yaml:"file_name"`   // with the placeholders of title
	Layout     string   `yaml:"layout"`      // Jekyll front matter
	Categories []string `yaml:"categories"`
	Tags       []string `yaml:"tags"`
	Interval   Duration `yaml:"interval"` // how often a due issue is looked for
}

// DefaultDigest is the seeds' digest: 【20160701】一周业内技术动态, on Mondays,
// as the digest and publisher packages state their defaults.
func DefaultDigest() Digest {
	o := digest.DefaultOptions()
	po := publisher.DefaultOptions()
	return Digest{
		Title:      o.Title,
		Heading:    o.Heading,
		Weekday:    strings.ToLower(o.Weekday.String()),
		Time:       fmt.Sprintf("%02d:%02d", int(o.At/time.Hour), int(o.At%time.Hour/time.Minute)),
		TimeZone:   o.Location.String(),
		SummaryMax: o.SummaryMax,
		FeedTitle:  po.DigestTitle,
		Issues:     po.DigestIssues,
		FileName:   o.FileName,
		Layout:     o.Layout,
		Categories: o.Categories,
		Tags:       o.Tags,
		Interval:   Duration{o.Interval},
	}
}

// ParsedWeekday parses Digest.Weekday.
func (d Digest) ParsedWeekday() (time.Weekday, error) {
	for w := time.Sunday; w <= time.Saturday; w++ {
		if strings.EqualFold(d.Weekday, w.String()) || strings.EqualFold(d.Weekday, w.String()[:3]) {
			return w, nil
		}
	}
	return 0, fmt.Errorf("%q is not a day of the week", d.Weekday)
}

// At parses Digest.Time as a time of day.
func (d Digest) At() (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(d.Time))
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", d.Time)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Location loads Digest.TimeZone.
func (d Digest) Location() (*time.Location, error) {
	return time.LoadLocation(d.TimeZone)
}

func (c *Config) validateDigest(bad func(string, error)) {
	d := c.Digest
	if _, err := d.ParsedWeekday(); err != nil {
		bad("digest.weekday", fmt.Errorf("%w: %v", ErrOutOfRange, err))
	}
	if _, err := d.At(); err != nil {
		bad("digest.time", fmt.Errorf("%w: %v", ErrOutOfRange, err))
	}
	if _, err := d.Location(); err != nil {
		bad("digest.time_zone", fmt.Errorf("%w: unknown time zone %q", ErrOutOfRange, d.TimeZone))
	}
	if d.SummaryMax < 0 {
		bad("digest.summary_max", fmt.Errorf("%w: must not be negative", ErrOutOfRange))
	}
	if d.PerSection < 0 {
		bad("digest.per_section", fmt.Errorf("%w: must not be negative", ErrOutOfRange))
	}
	if d.Issues < 1 || d.Issues > 1000 {
		bad("digest.issues", fmt.Errorf("%w: want 1 to 1000", ErrOutOfRange))
	}
	if strings.ContainsAny(d.FileName, `/\`) || strings.TrimSpace(d.FileName) == "" {
		bad("digest.file_name", fmt.Errorf("%w: a file name, without folders", ErrOutOfRange))
	}
	if d.Interval.Duration <= 0 {
		bad("digest.interval", fmt.Errorf("%w: must be greater than 0", ErrOutOfRange))
	}
}
