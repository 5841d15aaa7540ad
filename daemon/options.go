package daemon

import (
	"github.com/feedcurator/feedcurator/aggregator"
	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/publisher"
)

// The one place where the configuration becomes the stages' options.

// FetchOptions are the poller's options under cfg.
func FetchOptions(cfg *config.Config) aggregator.Options {
	o := aggregator.DefaultOptions()
	o.DefaultInterval = cfg.Fetch.Interval.Duration
	o.MinInterval = cfg.Fetch.MinInterval.Duration
	o.MaxInterval = cfg.Fetch.MaxInterval.Duration
	o.Timeout = cfg.Fetch.Timeout.Duration
	o.MaxBodySize = int64(cfg.Fetch.MaxBodySize)
	o.Workers = cfg.Fetch.Workers
	o.PerHost = cfg.Fetch.PerHost
	o.Jitter = cfg.Fetch.Jitter
	o.DenyPrivate = cfg.Fetch.DenyPrivate
	o.Proxy = cfg.Fetch.Proxy
	o.MaxItems = cfg.Fetch.MaxItems
	if cfg.Fetch.UserAgent != "" {
		o.UserAgent = cfg.Fetch.UserAgent
	}
	return o
}

// PublishOptions are the publisher's options under cfg; base is the public
// URL to use when the configuration names none (then the listen address).
// The hooks (Digest, ObserveRender) are the caller's to set.
func PublishOptions(cfg *config.Config, base string) publisher.Options {
	if cfg.BaseURL != "" {
		base = cfg.BaseURL
	}
	if base == "" {
		base = "http://" + cfg.Listen
	}
	loc, _ := cfg.Digest.Location() // checked by Validate
	return publisher.Options{
		BaseURL:      base,
		Title:        cfg.Publish.Title,
		Subtitle:     cfg.Publish.Subtitle,
		Author:       cfg.Publish.Author,
		Lang:         cfg.Publish.Lang,
		Items:        cfg.Publish.Items,
		PageItems:    cfg.Publish.PageItems,
		Sections:     Sections(cfg),
		MaxAge:       cfg.Publish.MaxAge.Duration,
		OutputDir:    cfg.Publish.OutputDir,
		Hub:          cfg.Publish.Hub,
		Interval:     cfg.Publish.Interval.Duration,
		Location:     loc,
		DigestTitle:  cfg.Digest.FeedTitle,
		DigestIssues: cfg.Digest.Issues,
	}
}

// Sections are the configured sections as the publisher names them.
func Sections(cfg *config.Config) []feeds.Section {
	out := make([]feeds.Section, 0, len(cfg.Sections))
	for _, s := range cfg.Sections {
		out = append(out, feeds.Section{ID: s.ID, Title: s.Title})
	}
	return out
}

// DigestOptions maps the configuration to the digest builder's options.
func DigestOptions(cfg *config.Config) digest.Options {
	d := cfg.Digest
	o := digest.DefaultOptions()
	o.Title, o.Heading = d.Title, d.Heading
	o.Weekday, _ = d.ParsedWeekday() // checked by Validate
	o.At, _ = d.At()
	o.Location, _ = d.Location()
	o.Sections = Sections(cfg)
	o.SummaryMax, o.PerSection = d.SummaryMax, d.PerSection
	o.Dir, o.FileName = d.Dir, d.FileName
	o.Layout, o.Categories, o.Tags = d.Layout, d.Categories, d.Tags
	o.Interval = d.Interval.Duration
	// Added URLs and an issue's links are fetched as the sources are:
	// the same user agent, timeout and private-address guard.
	fo := FetchOptions(cfg)
	o.HTTPClient = aggregator.NewHTTPClient(fo)
	o.UserAgent = fo.UserAgent
	o.CheckTimeout = fo.Timeout
	o.TitleKey = curator.TitleKey
	return o
}
