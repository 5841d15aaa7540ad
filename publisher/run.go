package publisher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/atomicfile"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

// Run calls Refresh every Options.Interval until ctx is cancelled, so that
// the static copy and the WebSub hub follow each change of the store, of
// the options, and each new digest issue. The options are read on every
// tick, so a reload that sets OutputDir, Hub or Interval applies without a
// restart; a tick with neither an OutputDir nor a Hub does nothing. Run
// returns at once when Interval is 0.
func (p *Publisher) Run(ctx context.Context) error {
	interval := p.options().Interval
	if interval <= 0 {
		return nil
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	failures := 0
	for {
		opts := p.options()
		if opts.Interval > 0 && opts.Interval != interval {
			interval = opts.Interval
			t.Reset(interval)
		}
		if opts.OutputDir == "" && opts.Hub == "" {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			continue
		}
		if err := p.Refresh(ctx); err == nil {
			failures = 0
		} else if ctx.Err() == nil {
			// A run of failures is logged at the 1st, 2nd, 4th, 8th...
			failures++
			if failures&(failures-1) == 0 {
				p.logger.Error().Err(err).Int(logkey.ErrorCount, failures).Msg("refresh failed")
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Refresh brings the outside world up to date when anything changed since
// its last call (the store's version, the options, the digest issue due):
// it renders the first page of every feed, writes the static copy into
// Options.OutputDir when set, and pings Options.Hub for each feed whose
// content changed. Pings that fail are retried on the next call.
func (p *Publisher) Refresh(ctx context.Context) error {
	p.refreshMu.Lock()
	defer p.refreshMu.Unlock()
	st, snap, err := p.current(ctx)
	if err != nil {
		return err
	}
	opts := snap.opts
	if st == p.refreshed && len(p.pending) == 0 {
		return nil
	}
	var errs []error
	staticDone := true
	if st != p.refreshed {
		if opts.Hub != "" {
			for _, v := range views(opts) {
				for _, f := range Formats {
					rd, err := p.Feed(ctx, v, f, feeds.Cursor{})
					if err != nil {
						return err
					}
					u := feedURL(opts, v, f, feeds.Cursor{})
					if p.announced[u] != rd.ETag {
						p.pending[u] = rd.ETag
					}
				}
			}
		}
		if opts.OutputDir != "" {
			if err := p.writeStatic(ctx, snap, opts.OutputDir); err != nil {
				errs = append(errs, err)
				staticDone = false
			}
		}
	}
	if opts.Hub != "" {
		urls := make([]string, 0, len(p.pending))
		for u := range p.pending {
			urls = append(urls, u)
		}
		sort.Strings(urls)
		for _, u := range urls {
			if err := p.ping(ctx, opts, u); err != nil {
				errs = append(errs, err)
				continue
			}
			p.announced[u] = p.pending[u]
			delete(p.pending, u)
		}
	}
	// A failed static copy is tried again on the next call; failed pings
	// stay pending until they succeed.
	if staticDone {
		p.refreshed = st
	}
	return errors.Join(errs...)
}

// ping tells the hub that the feed at topic changed (WebSub 7: a POST of
// hub.mode=publish and hub.url, which hubs accept for publishing).
func (p *Publisher) ping(ctx context.Context, opts Options, topic string) error {
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {topic}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, opts.Hub, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("ping hub for %s: %w", topic, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "feedcurator")
	resp, err := opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("ping hub for %s: %w", topic, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("ping hub for %s: status %d", topic, resp.StatusCode)
	}
	p.logger.Debug().Str(logkey.URL, topic).Int(logkey.Status, resp.StatusCode).Msg("hub pinged")
	return nil
}

// WriteStatic writes the whole site into dir for static hosting, each file
// atomically (a temporary file renamed over the old one) and only when its
// content changed:
//
//	index.html
//	feeds/{view}.{atom,rss,json}   every view, first page only
//	sections/{id}.html             every section, first page only
//	digest/{YYYY-Www}.html, .md    the recent digest issues
//	sources.opml
//	favicon.ico
//
// The static feeds and section pages carry no paging links: a static host
// cannot answer ?before= queries.
func (p *Publisher) WriteStatic(ctx context.Context, dir string) error {
	_, snap, err := p.current(ctx)
	if err != nil {
		return err
	}
	return p.writeStatic(ctx, snap, dir)
}

func (p *Publisher) writeStatic(ctx context.Context, s snapshot, dir string) error {
	files := map[string][]byte{}
	for _, v := range views(s.opts) {
		for _, f := range Formats {
			body, _, err := p.renderFeed(ctx, s, v, f, feeds.Cursor{}, true)
			if err != nil {
				return err
			}
			files[filepath.Join("feeds", v+"."+f)] = body
		}
	}
	page, _, err := p.renderIndex(ctx, s)
	if err != nil {
		return err
	}
	files["index.html"] = page
	opml, _, err := p.renderOPML(ctx, s)
	if err != nil {
		return err
	}
	files["sources.opml"] = opml
	files["favicon.ico"] = faviconICO
	for _, sec := range s.opts.Sections {
		body, _, err := p.renderSection(ctx, s, sec.ID, feeds.Cursor{}, true)
		if err != nil {
			return err
		}
		files[filepath.Join("sections", sec.ID+".html")] = body
	}
	issues, err := s.digest.Recent(ctx, s.opts.DigestIssues)
	if err != nil {
		return err
	}
	for _, is := range issues {
		for _, ext := range []string{"html", "md"} {
			body, err := renderIssue(s, is, ext)
			if err != nil {
				return err
			}
			files[filepath.Join("digest", is.Week.String()+"."+ext)] = body
		}
	}

	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	written := 0
	for _, name := range names {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("write static site: %w", err)
		}
		changed, err := atomicfile.Write(path, files[name], 0o644)
		if err != nil {
			return fmt.Errorf("write static site: %w", err)
		}
		if changed {
			written++
		}
	}
	if written > 0 {
		p.logger.Info().Str(logkey.Path, dir).Int(logkey.Count, written).Msg("static site written")
	}
	return nil
}
