package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

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
	cfg, err := parseAndLoad(fs, &cf, args, stderr)
	if err != nil {
		return err
	}
	o := &feeds.OPML{Title: cfg.Publish.Title, Created: time.Now(), Sources: daemon.SourcesOf(cfg)}
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
// sources, skipping those already there; the file is rewritten only if the
// result validates.
func cmdImportOPML(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := flag.NewFlagSet("import-opml", flag.ContinueOnError)
	cf.register(fs, true)
	dry := fs.Bool("dry-run", false, "print the new configuration instead of writing it")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return errReported
	}
	if fs.NArg() != 1 {
		return errors.New("usage: feedcurator import-opml --config FILE OPML-FILE")
	}
	cfg, err := loadConfig(cf.config, stderr)
	if err != nil {
		return err
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

	raw, err := os.ReadFile(cf.config)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("%s: not a YAML mapping", cf.config)
	}
	root := doc.Content[0]
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "sources" {
			list = root.Content[i+1]
		}
	}
	if list == nil {
		list = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "sources"}, list)
	}
	have := map[string]bool{}
	names := map[string]bool{}
	for _, s := range cfg.Sources {
		have[feeds.CanonicalURL(s.URL)] = true
		names[s.Name] = true
	}
	added := 0
	for _, s := range o.Sources {
		key := feeds.CanonicalURL(s.ConfigURL)
		if key == "" || have[key] {
			continue
		}
		have[key] = true
		name := strings.TrimSpace(s.Name)
		if name == "" {
			name = s.ConfigURL
		}
		for base, n := name, 2; names[name]; n++ {
			name = fmt.Sprintf("%s (%d)", base, n)
		}
		names[name] = true
		entry := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
		entry.Content = append(entry.Content, str("name"), str(name), str("url"), str(s.ConfigURL))
		if len(s.Tags) > 0 {
			tags := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
			for _, t := range s.Tags {
				tags.Content = append(tags.Content, str(t))
			}
			entry.Content = append(entry.Content, str("tags"), tags)
		}
		list.Content = append(list.Content, entry)
		added++
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	if _, err := config.Parse(bytes.NewReader(buf.Bytes()), cf.config); err != nil {
		fmt.Fprintln(stderr, err)
		return fmt.Errorf("the configuration with the imported sources does not validate; %s is unchanged", cf.config)
	}
	if *dry {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	if added == 0 {
		fmt.Fprintf(stdout, "no new sources in %s\n", fs.Arg(0))
		return nil
	}
	fi, err := os.Stat(cf.config)
	if err != nil {
		return err
	}
	if _, err := atomicfile.Write(cf.config, buf.Bytes(), fi.Mode().Perm()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %d sources to %s (feedcurator reload applies them)\n", added, cf.config)
	return nil
}
