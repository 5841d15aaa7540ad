package digest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/feedcurator/feedcurator/feeds"
)

// ProblemKind names what Check found wrong with an issue.
type ProblemKind string

// The problems Check looks for.
const (
	EmptySection   ProblemKind = "empty_section"   // a configured section with no accepted entry
	NoSummary      ProblemKind = "no_summary"      // an accepted entry without 要点
	DeadLink       ProblemKind = "dead_link"       // a link (the article's or a 推荐阅读) that does not answer
	FeaturedBefore ProblemKind = "featured_before" // an article an earlier published issue featured
	DuplicateEntry ProblemKind = "duplicate"       // one story accepted twice
)

// Problem is one thing Check found wrong.
type Problem struct {
	Kind    ProblemKind `json:"kind"`
	Section string      `json:"section,omitempty"`
	EntryID int64       `json:"entry,omitempty"` // the entry concerned, 0 for the issue or a section
	Other   int64       `json:"other,omitempty"` // the other entry: the earlier issue's, or the duplicate's
	Week    string      `json:"week,omitempty"`  // the earlier issue that featured it
	Link    string      `json:"link,omitempty"`  // the dead link, redacted
	Message string      `json:"message"`
}

// Check lists what is wrong with the issue of week w before it is
// published (creating its draft as Draft does): each configured section
// without an accepted entry, each accepted entry without 要点, each link
// of an accepted entry (its own and its 推荐阅读) that does not answer, each
// accepted article that an earlier published issue featured, and each
// story accepted twice. Links are asked politely: a HEAD (a GET if the
// server refuses HEAD) with the configured client and its private-address
// guard, Options.CheckWorkers at a time and one at a time per host, each
// within Options.CheckTimeout.
func (b *Builder) Check(ctx context.Context, w feeds.Week) ([]Problem, error) {
	o := b.o()
	ed, err := b.Draft(ctx, w)
	if err != nil {
		return nil, err
	}
	var out []Problem
	accepted := map[string]int{}
	var acc []*feeds.IssueEntry
	for i := range ed.Entries {
		e := &ed.Entries[i]
		if e.State == feeds.EntryAccepted {
			accepted[e.Section]++
			acc = append(acc, e)
		}
	}
	for _, s := range o.Sections {
		if accepted[s.ID] == 0 {
			out = append(out, Problem{Kind: EmptySection, Section: s.ID,
				Message: fmt.Sprintf("section %s (%s) has no accepted item", s.ID, s.Title)})
		}
	}
	for _, e := range acc {
		if issueItem(o, e).Summary == "" {
			out = append(out, Problem{Kind: NoSummary, Section: e.Section, EntryID: e.ID,
				Message: fmt.Sprintf("entry %d %q has no 要点", e.ID, entryTitle(e))})
		}
	}
	out = append(out, duplicates(acc)...)

	featured, err := b.issues.FeaturedEarlier(ctx, w)
	if err != nil {
		return nil, err
	}
	for _, f := range featured {
		e := ed.Entry(f.EntryID)
		if e == nil {
			continue
		}
		out = append(out, Problem{Kind: FeaturedBefore, Section: e.Section, EntryID: e.ID, Other: f.Other, Week: f.Week.String(),
			Message: fmt.Sprintf("entry %d %q was featured in issue %s (same %s)", e.ID, entryTitle(e), f.Week, strings.ReplaceAll(f.By, "_", " "))})
	}

	dead, err := b.deadLinks(ctx, o, acc)
	if err != nil {
		return nil, err
	}
	return append(out, dead...), nil
}

func entryTitle(e *feeds.IssueEntry) string {
	if e.Item != nil && e.Item.Title != "" {
		return feeds.PlainText(e.Item.Title)
	}
	return firstNonEmpty(e.Title, e.Link)
}

// duplicates finds the stories accepted twice: entries with the same
// canonical URL or title key, or an item accepted beside the item it is a
// near-duplicate of.
func duplicates(acc []*feeds.IssueEntry) []Problem {
	var out []Problem
	byItem := map[int64]*feeds.IssueEntry{}
	for _, e := range acc {
		if e.ItemID != 0 {
			byItem[e.ItemID] = e
		}
	}
	reported := map[[2]int64]bool{}
	report := func(a, b *feeds.IssueEntry, why string) {
		k := [2]int64{min(a.ID, b.ID), max(a.ID, b.ID)}
		if reported[k] {
			return
		}
		reported[k] = true
		out = append(out, Problem{Kind: DuplicateEntry, Section: b.Section, EntryID: b.ID, Other: a.ID,
			Message: fmt.Sprintf("entry %d %q is the story of entry %d (%s)", b.ID, entryTitle(b), a.ID, why)})
	}
	byURL, byTitle := map[string]*feeds.IssueEntry{}, map[string]*feeds.IssueEntry{}
	for _, e := range acc {
		if p, ok := byItem[e.DuplicateOf]; ok && e.DuplicateOf != 0 {
			report(p, e, "a near-duplicate")
		}
		if e.CanonicalURL != "" {
			if p, ok := byURL[e.CanonicalURL]; ok {
				report(p, e, "same canonical URL")
			} else {
				byURL[e.CanonicalURL] = e
			}
		}
		if e.TitleKey != "" {
			if p, ok := byTitle[e.TitleKey]; ok {
				report(p, e, "same title")
			} else {
				byTitle[e.TitleKey] = e
			}
		}
	}
	return out
}

// deadLinks asks every link of the accepted entries, each once.
func (b *Builder) deadLinks(ctx context.Context, o *Options, acc []*feeds.IssueEntry) ([]Problem, error) {
	if o.HTTPClient == nil {
		return nil, fmt.Errorf("check links: %w", errNoClient)
	}
	uses := map[string][]*feeds.IssueEntry{}
	var links []string
	add := func(e *feeds.IssueEntry, link string) {
		if link = safeLink(link); link == "" {
			return
		}
		if _, ok := uses[link]; !ok {
			links = append(links, link)
		}
		uses[link] = append(uses[link], e)
	}
	for _, e := range acc {
		add(e, issueItem(o, e).Link)
		for _, r := range e.Related {
			add(e, r.URL)
		}
	}
	sort.Strings(links)
	// One request per host at a time, CheckWorkers in all.
	hosts := map[string]*sync.Mutex{}
	for _, link := range links {
		if h := hostOf(link); hosts[h] == nil {
			hosts[h] = &sync.Mutex{}
		}
	}
	failed := make([]string, len(links))
	sem := make(chan struct{}, o.CheckWorkers)
	var wg sync.WaitGroup
	for i, link := range links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			mu := hosts[hostOf(link)]
			mu.Lock()
			defer mu.Unlock()
			failed[i] = b.askLink(ctx, o, link)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("check links: %w", err)
	}
	var out []Problem
	for i, link := range links {
		if failed[i] == "" {
			continue
		}
		for _, e := range uses[link] {
			out = append(out, Problem{Kind: DeadLink, Section: e.Section, EntryID: e.ID, Link: feeds.RedactURL(link),
				Message: fmt.Sprintf("entry %d %q: %s does not answer: %s", e.ID, entryTitle(e), feeds.RedactURL(link), failed[i])})
		}
	}
	return out, nil
}

// askLink returns why link does not answer, "" when it does: a HEAD, and
// a GET when the server will not answer HEAD.
func (b *Builder) askLink(ctx context.Context, o *Options, link string) string {
	status, err := b.ask(ctx, o, http.MethodHead, link)
	if err == nil && (status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented || status == http.StatusForbidden) {
		status, err = b.ask(ctx, o, http.MethodGet, link)
	}
	switch {
	case err != nil:
		return err.Error()
	case status >= 400:
		return fmt.Sprintf("status %d %s", status, http.StatusText(status))
	}
	return ""
}

func (b *Builder) ask(ctx context.Context, o *Options, method, link string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, o.CheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, link, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", o.UserAgent)
	resp, err := o.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("no answer within %s", o.CheckTimeout)
		}
		return 0, unwrapURLError(err)
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
	return resp.StatusCode, nil
}
