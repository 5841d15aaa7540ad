package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// archiveFile is what "archive import" did with one file.
type archiveFile struct {
	Path      string                 `json:"path"`
	Kind      string                 `json:"kind"`           // "issue" or "labelled"
	Week      string                 `json:"week,omitempty"` // of an issue
	Items     int                    `json:"items"`          // found in the file
	New       int                    `json:"new"`
	Updated   int                    `json:"updated"`
	Unchanged int                    `json:"unchanged"`
	Problems  []*digest.ArchiveError `json:"problems"`
	Error     string                 `json:"error,omitempty"` // the file could not be imported
}

// cmdArchive dispatches "archive import".
func cmdArchive(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "usage: feedcurator archive import --config FILE [--json] PATH…"
	if len(args) == 0 || args[0] != "import" {
		return errors.New(usage)
	}
	var af adminFlags
	fls := flag.NewFlagSet("archive import", flag.ContinueOnError)
	af.register(fls)
	fls.SetOutput(stderr)
	if err := fls.Parse(args[1:]); err != nil {
		return flagError(err)
	}
	if fls.NArg() == 0 {
		return errors.New(usage)
	}
	cfg, err := af.load(stderr)
	if err != nil {
		return err
	}
	paths, err := archivePaths(fls.Args())
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()

	opts := daemon.DigestOptions(cfg)
	known := map[string]bool{}
	for _, s := range cfg.Sections {
		known[s.ID] = true
	}
	now := time.Now()
	var out []archiveFile
	failed := 0
	for _, path := range paths {
		var r archiveFile
		var err error
		if isYAML(path) {
			r, err = importLabelled(ctx, db, path, known, now)
		} else {
			r, err = importIssue(ctx, db, path, opts, now)
		}
		if err != nil {
			r.Error = err.Error()
			failed++
		}
		if r.Problems == nil {
			r.Problems = []*digest.ArchiveError{}
		}
		out = append(out, r)
	}
	if af.json {
		if err := writeJSON(stdout, out); err != nil {
			return err
		}
	} else {
		for _, r := range out {
			if r.Error != "" {
				fmt.Fprintf(stdout, "%s: not imported: %s\n", r.Path, r.Error)
				continue
			}
			what := "labelled file"
			if r.Kind == "issue" {
				what = "issue of " + r.Week
			}
			fmt.Fprintf(stdout, "%s: %s: %d items (%d new, %d updated, %d unchanged), %d unreadable lines\n",
				r.Path, what, r.Items, r.New, r.Updated, r.Unchanged, len(r.Problems))
			for _, p := range r.Problems {
				fmt.Fprintf(stdout, "  %v\n", p)
			}
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "feedcurator archive import: %d of %d files not imported\n", failed, len(out))
		return errReported
	}
	return nil
}

// archivePaths expands folders into the Markdown and YAML files in them,
// in name order; files named on the command line are taken whatever their
// extension.
func archivePaths(args []string) ([]string, error) {
	var paths []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			paths = append(paths, a)
			continue
		}
		var in []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".md", ".markdown", ".yaml", ".yml":
				if !d.IsDir() {
					in = append(in, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(in)
		paths = append(paths, in...)
	}
	return paths, nil
}

func isYAML(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".yaml" || ext == ".yml"
}

// importIssue parses a past issue and stores its items.
func importIssue(ctx context.Context, db *sqlite.DB, path string, opts digest.Options, now time.Time) (archiveFile, error) {
	r := archiveFile{Path: path, Kind: "issue"}
	f, err := os.Open(path)
	if err != nil {
		return r, err
	}
	defer f.Close()
	is, err := digest.ParseArchive(f, path, opts)
	if err != nil {
		return r, err
	}
	r.Week, r.Items, r.Problems = is.Week.String(), len(is.Items), is.Problems
	archived := sqlite.ArchiveIssue{Week: is.Week, Date: is.Date, Start: is.Week.Start(opts.Location)}
	for _, it := range is.Items {
		e := sqlite.ArchiveEntry{Section: it.Section, Title: it.Title, Summary: it.Summary, Link: it.Link}
		fi := feeds.Item{Title: it.Title, Link: it.Link}
		e.CanonicalURL, e.TitleKey = curator.Fingerprint(&fi)
		archived.Entries = append(archived.Entries, e)
	}
	st, err := db.ImportIssue(ctx, archived, now)
	if err != nil {
		return r, err
	}
	r.New, r.Updated, r.Unchanged = st.New, st.Updated, st.Unchanged
	return r, nil
}

// importLabelled reads a labelled file (the rules eval format) and stores
// its items as labels; items of sections the configuration lacks are
// problems.
func importLabelled(ctx context.Context, db *sqlite.DB, path string, known map[string]bool, now time.Time) (archiveFile, error) {
	r := archiveFile{Path: path, Kind: "labelled"}
	f, err := os.Open(path)
	if err != nil {
		return r, err
	}
	defer f.Close()
	items, err := config.LoadLabelled(f)
	if err != nil {
		return r, err
	}
	r.Items = len(items)
	var entries []sqlite.LabelledEntry
	for _, it := range items {
		if !known[it.Section] {
			r.Problems = append(r.Problems, &digest.ArchiveError{Path: path, Line: it.Line,
				Reason: fmt.Sprintf("section %q is not configured; item skipped", it.Section), Text: it.Title})
			continue
		}
		e := sqlite.LabelledEntry{Title: it.Title, Summary: it.Summary, Section: it.Section, Source: it.Source, Link: it.Link}
		fi := it.Item()
		e.CanonicalURL, e.TitleKey = curator.Fingerprint(&fi)
		entries = append(entries, e)
	}
	st, err := db.ImportLabels(ctx, entries, now)
	if err != nil {
		return r, err
	}
	r.New, r.Updated, r.Unchanged = st.New, st.Updated, st.Unchanged
	return r, nil
}
