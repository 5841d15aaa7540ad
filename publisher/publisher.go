package publisher

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

// Store is what the publisher reads.
type Store interface {
	// Version changes whenever what would be published changes.
	Version(ctx context.Context) (int64, error)
	// RecentItems returns classified, published items of a section ("" for
	// all), newest first.
	RecentItems(ctx context.Context, section string, limit int) ([]feeds.Item, error)
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
}

// AllView is the name of the view with every section.
const AllView = "all"

// Options configure the published feeds.
type Options struct {
	BaseURL  string // public URL of the server, e.g. https://news.example.com
	Title    string
	Author   string
	Lang     string
	Items    int
	Sections []feeds.Section // in digest order
}

// Rendered is one rendered view.
type Rendered struct {
	Body     []byte
	ETag     string
	Modified time.Time
	version  int64
	gen      uint64
}

// Publisher renders and caches views.
type Publisher struct {
	store  Store
	logger zerolog.Logger
	policy *bluemonday.Policy

	mu    sync.Mutex
	opts  Options
	gen   uint64 // bumped by SetOptions, invalidating the cache
	cache map[string]*Rendered
}

// New returns a Publisher.
func New(store Store, opts Options, logger zerolog.Logger) *Publisher {
	p := &Publisher{
		store:  store,
		logger: logger.With().Str(logkey.Component, "publisher").Logger(),
		policy: bluemonday.UGCPolicy(),
		cache:  map[string]*Rendered{},
	}
	p.SetOptions(opts)
	return p
}

// SetOptions replaces the options (on reload) and drops cached renders.
func (p *Publisher) SetOptions(opts Options) {
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.Items <= 0 {
		opts.Items = 50
	}
	p.mu.Lock()
	p.opts = opts
	p.gen++
	p.mu.Unlock()
}

func (p *Publisher) options() (Options, uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.opts, p.gen
}

// HasView reports whether view names a feed.
func (p *Publisher) HasView(view string) bool {
	if view == AllView {
		return true
	}
	opts, _ := p.options()
	for _, s := range opts.Sections {
		if s.ID == view {
			return true
		}
	}
	return false
}

// Atom returns the Atom document of a view, rendering it only if the store
// changed since the last render.
func (p *Publisher) Atom(ctx context.Context, view string) (*Rendered, error) {
	v, err := p.store.Version(ctx)
	if err != nil {
		return nil, fmt.Errorf("read store version: %w", err)
	}
	opts, gen := p.options()
	key := view + ".atom"
	p.mu.Lock()
	r := p.cache[key]
	p.mu.Unlock()
	if r != nil && r.version == v && r.gen == gen {
		return r, nil
	}
	r, err = p.renderAtom(ctx, view, opts)
	if err != nil {
		return nil, err
	}
	r.version, r.gen = v, gen
	p.mu.Lock()
	p.cache[key] = r
	p.mu.Unlock()
	p.logger.Debug().Str(logkey.Section, view).Int64(logkey.Version, v).Msg("feed rendered")
	return r, nil
}

func (p *Publisher) renderAtom(ctx context.Context, view string, opts Options) (*Rendered, error) {
	section := view
	if view == AllView {
		section = ""
	}
	items, err := p.store.RecentItems(ctx, section, opts.Items)
	if err != nil {
		return nil, fmt.Errorf("load items of %s: %w", view, err)
	}
	d := p.document(view, opts, items)
	var buf bytes.Buffer
	if err := feeds.WriteAtom(&buf, d); err != nil {
		return nil, fmt.Errorf("write atom of %s: %w", view, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return &Rendered{Body: buf.Bytes(), ETag: `"` + hex.EncodeToString(sum[:12]) + `"`, Modified: d.Updated}, nil
}

func (p *Publisher) document(view string, opts Options, items []feeds.Item) *feeds.Document {
	titles := make(map[string]string, len(opts.Sections))
	for _, s := range opts.Sections {
		titles[s.ID] = s.Title
	}
	auth := tagAuthority(opts.BaseURL)
	title := opts.Title
	if view != AllView {
		title = opts.Title + " · " + titles[view]
	}
	d := &feeds.Document{
		ID:        "tag:" + auth + ":feed/" + view,
		Title:     title,
		Lang:      opts.Lang,
		Author:    opts.Author,
		Generator: "feedcurator",
		Links: []feeds.Link{
			{Rel: "self", Href: opts.BaseURL + "/feeds/" + view + ".atom", Type: "application/atom+xml"},
			{Rel: "alternate", Href: opts.BaseURL + "/", Type: "text/html"},
		},
		Entries: make([]feeds.Entry, 0, len(items)),
	}
	for i := range items {
		it := &items[i]
		e := feeds.Entry{
			ID:        "tag:" + auth + ":item/" + strconv.FormatInt(it.SourceID, 10) + "/" + keyHash(it.Key),
			Title:     it.Title,
			Link:      it.Link,
			Summary:   p.policy.Sanitize(it.Summary),
			Content:   p.policy.Sanitize(it.Content),
			Author:    it.Author,
			Lang:      it.Lang,
			Published: it.Published,
			Updated:   entryUpdated(it),
			Category:  feeds.Category{Term: it.Section, Label: titles[it.Section]},
			Source: feeds.EntrySource{
				ID:      it.SourceURL,
				Title:   firstNonEmpty(it.SourceName, it.SourceTitle),
				Link:    it.SourceLink,
				SelfURL: it.SourceURL,
			},
		}
		if e.Title == "" {
			e.Title = "(untitled)"
		}
		if e.Updated.After(d.Updated) {
			d.Updated = e.Updated
		}
		d.Entries = append(d.Entries, e)
	}
	if d.Updated.IsZero() {
		d.Updated = time.Unix(0, 0).UTC()
	}
	return d
}

func entryUpdated(it *feeds.Item) time.Time {
	for _, t := range []time.Time{it.Updated, it.Published, it.FetchedAt} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Unix(0, 0).UTC()
}

// tagAuthority is the tagging entity of the tag: URIs (RFC 4151) that name
// feeds and entries: the public host and a fixed year, so that ids never
// change across restarts.
func tagAuthority(base string) string {
	host := "localhost"
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		host = strings.ToLower(u.Hostname())
	}
	return host + ",2026"
}

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:10])
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
