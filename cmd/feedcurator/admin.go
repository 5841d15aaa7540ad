package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// The admin commands read (and, for item, write) the same database as a
// running daemon: SQLite's WAL lets them work side by side.

// openCommand parses a command's flags, loads its configuration and opens
// the store.
func openCommand(ctx context.Context, fs *flag.FlagSet, cf *commonFlags, args []string, stderr io.Writer) (*config.Config, *sqlite.DB, error) {
	cfg, err := parseAndLoad(fs, cf, args, stderr)
	if err != nil {
		return nil, nil, err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, db, nil
}

// openStore opens the configured database, which must exist already: an
// admin command never creates one (it would be a second, empty database
// beside the daemon's).
func openStore(ctx context.Context, cfg *config.Config) (*sqlite.DB, error) {
	path := daemon.DatabasePath(cfg)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s: is %s the daemon's configuration? The systemd unit keeps its database in %s; "+
				"name the file with --database or FEEDCURATOR_DATABASE", path, cfg.File(), daemon.UnitStateDir)
		}
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return sqlite.Open(ctx, path)
}

type adminFlags struct {
	commonFlags
	json bool
}

func (a *adminFlags) register(fs *flag.FlagSet) {
	a.commonFlags.register(fs, true)
	fs.BoolVar(&a.json, "json", false, "print JSON instead of a table")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ago renders a past or future time relative to now, "-" for zero.
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	if d := now.Sub(t); d >= 0 {
		return shortDur(d) + " ago"
	}
	return "in " + shortDur(t.Sub(now))
}

func shortDur(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	default:
		return strconv.Itoa(int(d.Hours()/24)) + "d"
	}
}

// redactIn replaces the URLs of a source in text (an error message stored
// before the aggregator redacted its messages) by their redacted form.
func redactIn(text string, urls ...string) string {
	for _, u := range urls {
		if u != "" {
			text = strings.ReplaceAll(text, u, feeds.RedactURL(u))
		}
	}
	return text
}

type sourceRow struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	URL          string    `json:"url"`
	Status       string    `json:"status"`
	LastFetch    time.Time `json:"last_fetch,omitzero"`
	LastSuccess  time.Time `json:"last_success,omitzero"`
	NextCheck    time.Time `json:"next_check,omitzero"`
	ErrorCount   int       `json:"error_count"`
	LastError    string    `json:"last_error,omitempty"`
	LastStatus   int       `json:"last_status,omitempty"`
	Items        int       `json:"items"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	PreviousURL  string    `json:"previous_url,omitempty"`  // the URL it had before its last change (redacted)
	URLChanged   time.Time `json:"url_changed_at,omitzero"` // when the configuration changed it
}

func cmdSources(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var af adminFlags
	fs := flag.NewFlagSet("sources", flag.ContinueOnError)
	af.register(fs)
	_, db, err := openCommand(ctx, fs, &af.commonFlags, args, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	srcs, err := db.Sources(ctx)
	if err != nil {
		return err
	}
	counts, err := db.SourceItemCounts(ctx)
	if err != nil {
		return err
	}
	changes, err := db.SourceURLChanges(ctx)
	if err != nil {
		return err
	}
	rows := make([]sourceRow, 0, len(srcs))
	for _, s := range srcs {
		status := "ok"
		switch {
		case s.State.Gone:
			status = "gone"
		case s.State.ErrorCount > 0:
			status = "error"
		case s.State.LastFetch.IsZero():
			status = "new"
		}
		rows = append(rows, sourceRow{
			ID: s.ID, Name: s.Name, URL: feeds.RedactURL(s.State.URL), Status: status,
			LastFetch: s.State.LastFetch, LastSuccess: s.State.LastSuccess, NextCheck: s.State.NextCheck,
			ErrorCount: s.State.ErrorCount, LastError: redactIn(s.State.LastError, s.State.URL, s.ConfigURL), LastStatus: s.State.LastStatus,
			Items: counts[s.ID], ETag: s.State.ETag, LastModified: s.State.LastModified,
			PreviousURL: feeds.RedactURL(changes[s.ID].PreviousURL), URLChanged: changes[s.ID].ChangedAt,
		})
	}
	if af.json {
		return writeJSON(stdout, rows)
	}
	now := time.Now()
	tw := newTable(stdout)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tLAST FETCH\tNEXT CHECK\tERRORS\tITEMS\tLAST ERROR")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", r.ID, clip(r.Name, 30), r.Status,
			ago(r.LastFetch, now), ago(r.NextCheck, now), r.ErrorCount, r.Items, clip(r.LastError, 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if r.PreviousURL != "" {
			fmt.Fprintf(stdout, "%s: URL changed %s, from %s to %s (the same source: its items stay)\n",
				clip(r.Name, 30), ago(r.URLChanged, now), r.PreviousURL, r.URL)
		}
	}
	return nil
}

type itemRow struct {
	ID        int64     `json:"id"`
	Section   string    `json:"section"`
	Published time.Time `json:"published,omitzero"`
	Fetched   time.Time `json:"fetched"`
	Source    string    `json:"source"`
	Title     string    `json:"title"`
	Link      string    `json:"link"`
	Score     float64   `json:"score"`
	Excluded  bool      `json:"excluded,omitempty"`
}

func cmdItems(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var af adminFlags
	fs := flag.NewFlagSet("items", flag.ContinueOnError)
	af.register(fs)
	section := fs.String("section", "", "only this `section`")
	since := fs.String("since", "", "only items fetched within this `duration` (e.g. 7d, 12h)")
	limit := fs.Int("limit", 100, "at most `n` items")
	all := fs.Bool("all", false, "include unpublished items (unclassified, excluded, hidden)")
	review := fs.Bool("review", false, "only the close calls that need an editor's look")
	cfg, err := parseAndLoad(fs, &af.commonFlags, args, stderr)
	if err != nil {
		return err
	}
	f := sqlite.ItemFilter{Section: *section, Limit: *limit, Unpublished: *all, Review: *review}
	if *section != "" && !hasSection(cfg, *section) {
		return fmt.Errorf("no section %q in %s", *section, af.config)
	}
	if *since != "" {
		d, err := config.ParseDuration(*since)
		if err != nil || d <= 0 {
			return fmt.Errorf("--since %q: want a duration such as 7d or 12h", *since)
		}
		f.Since = time.Now().Add(-d)
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	items, err := db.ListItems(ctx, f)
	if err != nil {
		return err
	}
	rows := make([]itemRow, 0, len(items))
	for _, it := range items {
		rows = append(rows, itemRow{ID: it.ID, Section: it.Section, Published: it.Published, Fetched: it.FetchedAt,
			Source: it.SourceName, Title: it.Title, Link: it.Link, Score: it.Score, Excluded: it.Excluded})
	}
	if af.json {
		return writeJSON(stdout, rows)
	}
	tw := newTable(stdout)
	fmt.Fprintln(tw, "ID\tSECTION\tPUBLISHED\tSOURCE\tTITLE")
	for _, r := range rows {
		pub := "-"
		if !r.Published.IsZero() {
			pub = r.Published.Local().Format("2006-01-02 15:04")
		}
		sec := r.Section
		if r.Excluded {
			sec += " (excluded)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.ID, sec, pub, clip(r.Source, 24), clip(r.Title, 70))
	}
	return tw.Flush()
}

func hasSection(cfg *config.Config, id string) bool {
	for _, s := range cfg.Sections {
		if s.ID == id {
			return true
		}
	}
	return false
}

type statsOut struct {
	Database       string         `json:"database"`
	DatabaseBytes  int64          `json:"database_bytes"`
	Sources        int            `json:"sources"`
	SourcesFailing int            `json:"sources_failing"`
	Items          int            `json:"items"`
	Unclassified   int            `json:"unclassified"`
	Excluded       int            `json:"excluded"`
	Duplicates     int            `json:"duplicates"`
	Sections       map[string]int `json:"published_by_section"`
	LastSuccess    time.Time      `json:"last_success,omitzero"`
	OldestItem     time.Time      `json:"oldest_item,omitzero"`
	NewestItem     time.Time      `json:"newest_item,omitzero"`
}

func cmdStats(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var af adminFlags
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	af.register(fs)
	cfg, db, err := openCommand(ctx, fs, &af.commonFlags, args, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.Stats(ctx)
	if err != nil {
		return err
	}
	out := statsOut{Database: db.Path(), DatabaseBytes: st.DatabaseBytes, Sources: st.Sources, SourcesFailing: st.SourcesFailing,
		Items: st.Items, Unclassified: st.Unclassified, Excluded: st.Excluded, Duplicates: st.Duplicates, Sections: st.ItemsBySection,
		LastSuccess: st.LastSuccess, OldestItem: st.OldestItem, NewestItem: st.NewestItem}
	if af.json {
		return writeJSON(stdout, out)
	}
	now := time.Now()
	tw := newTable(stdout)
	fmt.Fprintf(tw, "database\t%s (%.1f MiB)\n", out.Database, float64(out.DatabaseBytes)/(1<<20))
	fmt.Fprintf(tw, "sources\t%d (%d failing)\n", out.Sources, out.SourcesFailing)
	fmt.Fprintf(tw, "items\t%d (%d unclassified, %d unpublished, of which %d near-duplicates)\n", out.Items, out.Unclassified, out.Excluded, out.Duplicates)
	ids := make([]string, 0, len(out.Sections))
	for _, s := range cfg.Sections {
		ids = append(ids, s.ID)
	}
	for id := range out.Sections {
		if !hasSection(cfg, id) {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		fmt.Fprintf(tw, "  %s\t%d\n", id, out.Sections[id])
	}
	fmt.Fprintf(tw, "last successful fetch\t%s\n", ago(out.LastSuccess, now))
	fmt.Fprintf(tw, "items fetched\t%s to %s\n", ago(out.OldestItem, now), ago(out.NewestItem, now))
	return tw.Flush()
}

// cmdItem applies an editor's decision: move ID SECTION, hide ID, unhide ID,
// pin ID, unpin ID.
func cmdItem(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := flag.NewFlagSet("item", flag.ContinueOnError)
	cf.register(fs, true)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	rest := fs.Args()
	usage := errors.New("usage: feedcurator item move ID SECTION | hide ID | unhide ID | pin ID | unpin ID | reset ID | primary ID")
	if len(rest) < 2 {
		return usage
	}
	id, err := strconv.ParseInt(rest[1], 10, 64)
	if err != nil {
		return fmt.Errorf("item id %q is not a number", rest[1])
	}
	cfg, err := cf.load(stderr)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := db.ItemCuration(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case rest[0] == "move" && len(rest) == 3:
		if !hasSection(cfg, rest[2]) {
			return fmt.Errorf("no section %q in %s", rest[2], cf.config)
		}
		c.Section = rest[2]
	case rest[0] == "hide" && len(rest) == 2:
		c.Hidden = true
	case rest[0] == "unhide" && len(rest) == 2:
		c.Hidden = false
	case rest[0] == "pin" && len(rest) == 2:
		c.Pinned = true
	case rest[0] == "unpin" && len(rest) == 2:
		c.Pinned = false
	case rest[0] == "reset" && len(rest) == 2:
		c = feeds.Curation{}
	case rest[0] == "primary" && len(rest) == 2:
		// Of the copies of a story, publish this one.
		if err := db.SetPrimary(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "item %d: the published copy of its story\n", id)
		return nil
	default:
		return usage
	}
	if err := db.SetCuration(ctx, id, c); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "item %d: section %s, hidden %v, pinned %v\n", id, orDash(c.Section, "by rules"), c.Hidden, c.Pinned)
	return nil
}

func orDash(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// cmdReload asks the running daemon to re-read its configuration.
func cmdReload(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := flag.NewFlagSet("reload", flag.ContinueOnError)
	cf.register(fs, true)
	cfg, err := parseAndLoad(fs, &cf, args, stderr)
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(cfg.Listen)
	if port == "0" {
		// Any free port: the running daemon recorded the one it took.
		db, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		addr, err := db.HTTPAddr(ctx)
		db.Close()
		if err != nil {
			return err
		}
		if addr == "" {
			return fmt.Errorf("%s listens on any free port, and no daemon has recorded its address in %s", cf.config, db.Path())
		}
		host, port, _ = net.SplitHostPort(addr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+net.JoinHostPort(host, port)+"/admin/reload", nil)
	if err != nil {
		return err
	}
	if cfg.Admin.Token != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.Admin.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reach the daemon: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reload refused (%s): %s", resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprint(stdout, string(body))
	return nil
}
