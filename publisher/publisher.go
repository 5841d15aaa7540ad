package publisher

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

// Store is what the publisher reads.
type Store interface {
	// Version changes whenever what would be published changes.
	Version(ctx context.Context) (int64, error)
	// PublishedItems returns a page of the published items of a section
	// ("" for all), newest first, strictly older than before (the zero
	// Cursor: from the newest), with SortTime filled.
	PublishedItems(ctx context.Context, section string, before feeds.Cursor, limit int) ([]feeds.Item, error)
	// Sources returns the subscribed sources, for the OPML export.
	Sources(ctx context.Context) ([]feeds.Source, error)
	// KeepValue returns the value kept under key, keeping value first if
	// there is none: the first value kept for a key stays for good.
	KeepValue(ctx context.Context, key, value string) (string, error)
}

// Digest is the weekly digest as the publisher consumes it;
// *digest.Builder satisfies it.
type Digest interface {
	// Latest returns the newest week whose issue is due at now.
	Latest(now time.Time) feeds.Week
	// Recent returns the issues of the n newest due weeks that have
	// items, newest first.
	Recent(ctx context.Context, n int) ([]*feeds.Issue, error)
	// Issue returns the issue of week w if it is due and has items, else
	// an error wrapping feeds.ErrNotFound.
	Issue(ctx context.Context, w feeds.Week) (*feeds.Issue, error)
	// Markdown renders an issue as a Jekyll post.
	Markdown(is *feeds.Issue) []byte
}

// The views beside the sections.
const (
	AllView    = "all"    // every section
	DigestView = "digest" // one entry per weekly digest issue
)

// Formats are the feed formats every view is published in, by file
// extension.
var Formats = []string{"atom", "rss", "json"}

// Options configure the publisher. Zero values get the defaults noted.
type Options struct {
	// BaseURL is the public URL of the site, e.g. https://news.example.com;
	// every link the publisher writes (rel="self" included) starts with it.
	BaseURL  string
	Title    string
	Subtitle string
	Author   string
	Lang     string // xml:lang of the feeds and lang of the page, e.g. zh-CN
	// Items is the number of entries in a feed document (default 50);
	// older ones are reached through RFC 5005 rel="next" pages.
	Items int
	// PageItems is the number of items per section on the HTML page
	// (default 10).
	PageItems int
	// Sections in digest order; each is a view.
	Sections []feeds.Section
	// MaxAge is the Cache-Control max-age of the feeds' first pages, the
	// page and the OPML (default 5m). Older pages and digest issues, which
	// rarely change, get an hour.
	MaxAge time.Duration

	// OutputDir, when set, receives a static copy of the site after each
	// change (see WriteStatic).
	OutputDir string
	// Hub is a WebSub hub: the feeds name it in rel="hub" links and it is
	// pinged when a feed changes.
	Hub string
	// HTTPClient pings the hub (nil: a client with a 10s timeout).
	HTTPClient *http.Client
	// Interval is how often Run looks for changes to write and announce;
	// 0 disables Run.
	Interval time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time

	// Location is the time zone of the dates on the pages (nil: UTC).
	Location *time.Location

	// Digest provides the weekly digest issues (nil: none; the digest
	// feed is then empty). It is not a setting but a collaborator, here so
	// that SetOptions can replace it on reload.
	Digest Digest
	// DigestTitle names the digest view (default "周刊").
	DigestTitle string
	// ObserveRender, if set, is called after every render (metrics) with
	// the rendered document's cache key, the time it took and its error.
	ObserveRender func(key string, took time.Duration, err error)

	// DigestIssues is the number of issues in the digest feed (default 10).
	DigestIssues int

	// tagAuthority is the authority of the tag: ids, as kept in the
	// store (see Publisher.authority); set in each render's snapshot.
	tagAuthority string
}

// DefaultOptions returns the values that zero Options fields take, and that
// the configuration's publish settings start from.
func DefaultOptions() Options {
	return Options{
		Title:        "feedcurator",
		Author:       "feedcurator",
		Items:        50,
		PageItems:    10,
		MaxAge:       5 * time.Minute,
		Interval:     10 * time.Second,
		DigestTitle:  "周刊",
		DigestIssues: 10,
	}
}

const (
	archiveMaxAge = time.Hour
	renderTimeout = 30 * time.Second
	// maxCacheEntries bounds the renders kept in memory: first pages are
	// few, but any client can ask for any older page or past digest week.
	maxCacheEntries = 512
)

// Publisher renders the curated views and serves them. It is safe for
// concurrent use.
type Publisher struct {
	store  Store
	logger zerolog.Logger
	policy *bluemonday.Policy

	mu      sync.Mutex
	opts    Options
	gen     uint64 // bumped by SetOptions, invalidating the cache
	cache   map[string]*Rendered
	renders singleflight.Group

	tagAuth string // the kept tag: authority, once read; under mu

	refreshMu sync.Mutex // serialises Refresh
	refreshed stamp      // what the last Refresh saw
	announced map[string]string
	pending   map[string]string
}

// New returns a Publisher.
func New(store Store, opts Options, logger zerolog.Logger) *Publisher {
	p := &Publisher{
		store:     store,
		logger:    logger.With().Str(logkey.Component, "publisher").Logger(),
		policy:    newPolicy(),
		cache:     map[string]*Rendered{},
		announced: map[string]string{},
		pending:   map[string]string{},
	}
	p.SetOptions(opts)
	return p
}

// SetOptions replaces the options (on reload) and drops cached renders.
func (p *Publisher) SetOptions(opts Options) {
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	def := DefaultOptions()
	if opts.Items <= 0 {
		opts.Items = def.Items
	}
	if opts.PageItems <= 0 {
		opts.PageItems = def.PageItems
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = def.MaxAge
	}
	if opts.DigestIssues <= 0 {
		opts.DigestIssues = def.DigestIssues
	}
	if opts.DigestTitle == "" {
		opts.DigestTitle = def.DigestTitle
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Digest == nil {
		opts.Digest = noDigest{}
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	// A section may not take the name of a view beside the sections.
	sections := opts.Sections[:0:0]
	for _, s := range opts.Sections {
		if s.ID == AllView || s.ID == DigestView || s.ID == "" || strings.ContainsAny(s.ID, "/\\?#% ") {
			p.logger.Warn().Str(logkey.Section, s.ID).Msg("section id cannot be a feed name; section not published")
			continue
		}
		sections = append(sections, s)
	}
	opts.Sections = sections
	p.mu.Lock()
	p.opts = opts
	p.gen++
	p.mu.Unlock()
}

// noDigest is the Digest of a publisher configured without one.
type noDigest struct{}

func (noDigest) Latest(time.Time) feeds.Week { return feeds.Week{} }
func (noDigest) Recent(context.Context, int) ([]*feeds.Issue, error) {
	return nil, nil
}
func (noDigest) Issue(_ context.Context, w feeds.Week) (*feeds.Issue, error) {
	return nil, fmt.Errorf("digest %s: %w", w, feeds.ErrNotFound)
}
func (noDigest) Markdown(*feeds.Issue) []byte { return nil }

// snapshot is the configuration one render works with.
type snapshot struct {
	opts   Options
	digest Digest
}

// stamp identifies the state a render reflects: the store's version, the
// options' generation, and the newest digest week due (which moves with
// the clock alone).
type stamp struct {
	version int64
	gen     uint64
	week    feeds.Week
}

func (s stamp) String() string {
	return fmt.Sprintf("%d/%d/%s", s.version, s.gen, s.week)
}

// before reports whether s is older than t: renders tagged s may be
// replaced by renders tagged t, not the other way round.
func (s stamp) before(t stamp) bool {
	if s.gen != t.gen {
		return s.gen < t.gen
	}
	if s.version != t.version {
		return s.version < t.version
	}
	return s.week.Before(t.week)
}

// current reads the store's version and the configuration.
func (p *Publisher) current(ctx context.Context) (stamp, snapshot, error) {
	v, err := p.store.Version(ctx)
	if err != nil {
		return stamp{}, snapshot{}, fmt.Errorf("read store version: %w", err)
	}
	p.mu.Lock()
	s := snapshot{opts: p.opts, digest: p.opts.Digest}
	gen, auth := p.gen, p.tagAuth
	p.mu.Unlock()
	if auth == "" {
		if auth, err = p.authority(ctx, s.opts.BaseURL); err != nil {
			return stamp{}, snapshot{}, err
		}
	}
	s.opts.tagAuthority = auth
	return stamp{version: v, gen: gen, week: s.digest.Latest(s.opts.Now())}, s, nil
}

// tagAuthorityKey is the store's key for the authority of the tag: ids.
const tagAuthorityKey = "tag_authority"

// authority returns the authority of the tag: URIs that name the feeds and
// their entries. It is taken from the base URL the first time the
// publisher runs on a store, and kept there: ids must not change when the
// site moves (from the example's 127.0.0.1 to its real domain, say), or
// every reader would show every entry again. A store written before the
// authority was kept gets the one its ids already have.
func (p *Publisher) authority(ctx context.Context, base string) (string, error) {
	auth, err := p.store.KeepValue(ctx, tagAuthorityKey, tagAuthority(base))
	if err != nil {
		return "", fmt.Errorf("read tag authority: %w", err)
	}
	if auth == "" {
		auth = tagAuthority(base)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tagAuth == "" {
		p.tagAuth = auth
	}
	return p.tagAuth, nil
}

// Options returns the options in force.
func (p *Publisher) Options() Options { return p.options() }

func (p *Publisher) options() Options {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.opts
}

// HasView reports whether view names a feed: "all", "digest" or a section.
func (p *Publisher) HasView(view string) bool {
	return hasView(p.options(), view)
}

func hasView(opts Options, view string) bool {
	if view == AllView || view == DigestView {
		return true
	}
	for _, s := range opts.Sections {
		if s.ID == view {
			return true
		}
	}
	return false
}

// Views returns every view: "all", each section, then "digest".
func (p *Publisher) Views() []string {
	return views(p.options())
}

func views(opts Options) []string {
	v := []string{AllView}
	for _, s := range opts.Sections {
		v = append(v, s.ID)
	}
	return append(v, DigestView)
}

func validFormat(f string) bool {
	for _, x := range Formats {
		if x == f {
			return true
		}
	}
	return false
}
