package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/atomicfile"
)

// cmdDigest builds the digest issue of an ISO week from the store and
// writes its Markdown (to digest.dir, --out DIR, or stdout with --out -).
func cmdDigest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	cf.register(fs, true)
	week := fs.String("week", "", "ISO `week` to build, e.g. 2016-W26 (default: the latest finished week)")
	out := fs.String("out", "", "`folder` to write the Markdown to, or - for stdout (default: digest.dir, else stdout)")
	cfg, err := parseAndLoad(fs, &cf, args, stderr)
	if err != nil {
		return err
	}
	m := daemon.New(cfg, cf.newLogger(cfg, stderr))
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	m.DB = db
	defer db.Close()
	m.Digest = digest.New(db, daemon.DigestOptions(cfg), m.Logger)
	w := m.Digest.Latest(time.Now())
	if *week != "" {
		if w, err = feeds.ParseWeek(*week); err != nil {
			return fmt.Errorf("--week %q: %w", *week, err)
		}
	}
	is, err := m.Digest.Build(ctx, w)
	if err != nil {
		return err
	}
	if is.Len() == 0 {
		return fmt.Errorf("week %s: no published items in the store", w)
	}
	dir := *out
	if dir == "" {
		dir = cfg.Digest.Dir
	}
	if dir == "" || dir == "-" {
		_, err := stdout.Write(m.Digest.Markdown(is))
		return err
	}
	path, err := m.Digest.WriteFile(dir, is)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "week %s: %d items written to %s\n", w, is.Len(), path)
	return nil
}

// cmdExportOPML writes the configured sources as OPML.
func cmdExportOPML(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := flag.NewFlagSet("export-opml", flag.ContinueOnError)
	cf.register(fs, true)
	out := fs.String("o", "-", "output `file`, - for stdout")
	secrets := fs.Bool("with-credentials", false, "keep user names, passwords and tokens in the feed URLs (for a backup of your own)")
	cfg, err := parseAndLoad(fs, &cf, args, stderr)
	if err != nil {
		return err
	}
	sources := daemon.SourcesOf(cfg)
	if !*secrets {
		for i := range sources {
			sources[i].ConfigURL = feeds.RedactURL(sources[i].ConfigURL)
		}
	}
	o := &feeds.OPML{Title: cfg.Publish.Title, Created: time.Now(), Sources: sources}
	var buf bytes.Buffer
	if err := feeds.WriteOPML(&buf, o); err != nil {
		return err
	}
	if *out == "-" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	_, err = atomicfile.Write(*out, buf.Bytes(), 0o644)
	return err
}

// cmdImportOPML adds the feeds of an OPML file to the configuration's
// sources, skipping those already there (the same feeds.SourceKey). The file
// is edited in place, only the new sources' lines added, and written only if
// the result validates.
func cmdImportOPML(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := flag.NewFlagSet("import-opml", flag.ContinueOnError)
	cf.register(fs, true)
	dry := fs.Bool("dry-run", false, "print the new configuration instead of writing it")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() != 1 {
		return errors.New("usage: feedcurator import-opml --config FILE OPML-FILE")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	o, err := feeds.ReadOPML(f)
	f.Close()
	if o == nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: some outlines skipped: %v\n", fs.Arg(0), err)
	}
	raw, err := config.ReadFile(cf.config)
	if err != nil {
		return err
	}
	add := make([]config.Source, 0, len(o.Sources))
	for _, s := range o.Sources {
		add = append(add, config.Source{Name: s.Name, URL: s.ConfigURL, Tags: s.Tags})
	}
	out, added, err := config.AddSources(raw, add)
	if err != nil {
		return fmt.Errorf("%s: %w", cf.config, err)
	}
	if _, err := config.Parse(bytes.NewReader(out), cf.config); err != nil {
		fmt.Fprintln(stderr, err)
		return fmt.Errorf("the configuration with the imported sources does not validate; %s is unchanged", cf.config)
	}
	if *dry {
		_, err := stdout.Write(out)
		return err
	}
	if len(added) == 0 {
		fmt.Fprintf(stdout, "no new sources in %s\n", fs.Arg(0))
		return nil
	}
	fi, err := os.Stat(cf.config)
	if err != nil {
		return err
	}
	if _, err := atomicfile.Write(cf.config, out, fi.Mode().Perm()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %d sources to %s (feedcurator reload applies them)\n", len(added), cf.config)
	return nil
}
