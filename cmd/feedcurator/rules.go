package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// cmdExplain prints why an item goes where it goes: every rule that fired,
// its weight and matched text, the scores and the decision.
func cmdExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var af adminFlags
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	af.register(fs)
	title := fs.String("title", "", "explain an item with this `title` instead of a stored one")
	summary := fs.String("summary", "", "its `summary`")
	source := fs.String("source", "", "its source `name` (for per-source rules)")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	cfg, err := af.load(stderr)
	if err != nil {
		return err
	}
	// The curator as configured: the rules, and the part learned from the
	// store's labelled examples when there is a store.
	var db *sqlite.DB
	if _, err := os.Stat(daemon.DatabasePath(cfg)); err == nil || fs.NArg() == 1 {
		if db, err = openStore(ctx, cfg); err != nil {
			return err
		}
		defer db.Close()
	}
	rs, _, _, err := daemon.Rules(ctx, cfg, db)
	if err != nil {
		return err
	}
	var out daemon.Explained
	switch {
	case fs.NArg() == 0 && (*title != "" || *summary != ""):
		it := feeds.Item{Title: *title, Summary: *summary, Stored: feeds.Stored{SourceName: *source}}
		for _, s := range cfg.Sources {
			if s.Name == *source {
				it.SourceTags = s.Tags
			}
		}
		out = daemon.Explained{Title: *title, Source: *source, Explanation: rs.Explain(&it)}
	case fs.NArg() == 1:
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil {
			return fmt.Errorf("item id %q is not a number", fs.Arg(0))
		}
		out, err = daemon.ExplainStored(ctx, db, rs, id)
		if err != nil {
			return err
		}
	default:
		return errors.New("usage: feedcurator explain --config FILE ITEM-ID | --title T [--summary S] [--source NAME]")
	}
	if af.json {
		return writeJSON(stdout, out)
	}
	if out.Item != 0 {
		fmt.Fprintf(stdout, "item %d: %s\nsource: %s\nsection now: %s\n", out.Item, out.Title, out.Source, orDash(out.Published, "(not classified yet)"))
		if c := out.Curation; c != nil && (*c != feeds.Curation{}) {
			fmt.Fprintf(stdout, "editor: section %s, hidden %v, pinned %v (overrides the rules)\n", orDash(c.Section, "by rules"), c.Hidden, c.Pinned)
		}
		if out.DuplicateOf != 0 {
			fmt.Fprintf(stdout, "near-duplicate of item %d: published once, under that item\n", out.DuplicateOf)
		}
		if out.DecidedBy != "" {
			fmt.Fprintf(stdout, "stored decision: rules version %s; re-classification under %s pending\n", out.DecidedBy, out.Explanation.Version)
		}
		fmt.Fprintln(stdout)
	}
	return out.Explanation.WriteText(stdout)
}

// cmdRules dispatches "rules test" and "rules eval".
func cmdRules(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: feedcurator rules test --config NEW.yaml | rules eval --config FILE LABELLED.yaml | rules suggest --config FILE")
	}
	switch args[0] {
	case "test":
		return cmdRulesTest(ctx, args[1:], stdout, stderr)
	case "suggest":
		return cmdRulesSuggest(ctx, args[1:], stdout, stderr)
	case "eval":
		if wantsFolds(args[1:]) {
			return cmdRulesEvalFolds(ctx, args[1:], stdout, stderr)
		}
		return cmdRulesEval(args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown rules command %q (want test, eval or suggest)", args[0])
}

// cmdRulesEval measures the rules against a labelled file.
func cmdRulesEval(args []string, stdout, stderr io.Writer) error {
	var af adminFlags
	fs := flag.NewFlagSet("rules eval", flag.ContinueOnError)
	af.register(fs)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() != 1 {
		return errors.New("usage: feedcurator rules eval --config FILE LABELLED.yaml")
	}
	cfg, err := af.load(stderr)
	if err != nil {
		return err
	}
	rs, err := cfg.Ruleset()
	if err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	items, err := config.LoadLabelled(f)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	rep := curator.Evaluate(rs, items)
	if af.json {
		return writeJSON(stdout, rep)
	}
	return rep.WriteText(stdout)
}

// cmdRulesTest shows, without writing, which stored items the rules of a
// (new) configuration would move, and where.
func cmdRulesTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var af adminFlags
	fs := flag.NewFlagSet("rules test", flag.ContinueOnError)
	af.register(fs)
	examples := fs.Int("examples", 3, "examples shown per move")
	cfg, db, err := openCommand(ctx, fs, &af.commonFlags, args, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	rs, _, _, err := daemon.Rules(ctx, cfg, db)
	if err != nil {
		return err
	}

	out, err := daemon.PreviewRules(ctx, db, rs, *examples)
	if err != nil {
		return err
	}
	if af.json {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "%d classified items, %d would change section under %s (rules %s); nothing written\n\n", out.Items, out.Changed, af.config, rs.Version())
	keys := make([]string, 0, len(out.Moves))
	for k := range out.Moves {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return out.Moves[keys[i]] > out.Moves[keys[j]] || (out.Moves[keys[i]] == out.Moves[keys[j]] && keys[i] < keys[j])
	})
	tw := newTable(stdout)
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%d\n", k, out.Moves[k])
		for _, e := range out.Examples[k] {
			fmt.Fprintf(tw, "    %d\t%s\n", e.ID, clip(e.Title, 70))
		}
	}
	return tw.Flush()
}
