package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/daemon"
)

// suggestion is one row of rules suggest: a keyword and what adding it
// would do to the stored items.
type suggestion struct {
	curator.Suggestion
	Moves int `json:"moves"` // stored items the rule would move (rules test)
}

// cmdRulesSuggest proposes keywords per section mined from the labelled
// examples in the store, each with its precision on them and how many stored
// items a rule of it would move, for the editor to paste into the YAML.
func cmdRulesSuggest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var af adminFlags
	fs := flag.NewFlagSet("rules suggest", flag.ContinueOnError)
	af.register(fs)
	top := fs.Int("top", 5, "suggestions per section")
	support := fs.Int("min-support", 3, "least labelled examples of the section a keyword is in")
	precision := fs.Float64("min-precision", 0.8, "least share of the examples it is in that belong to the section")
	cfg, db, err := openCommand(ctx, fs, &af.commonFlags, args, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	rules, err := cfg.Ruleset()
	if err != nil {
		return err
	}
	loc, _ := cfg.Digest.Location()
	examples, err := db.Examples(ctx, loc)
	if err != nil {
		return err
	}
	var ls []curator.Labelled
	for _, e := range examples {
		if !e.Hidden() {
			ls = append(ls, curator.Labelled{Title: e.Title, Summary: e.Summary, Section: e.Section, Source: e.Source, Link: e.Link})
		}
	}
	var out []suggestion
	for _, s := range curator.Suggest(rules, ls, *support, *precision, *top) {
		// What the rule would do: the curator as configured, with it.
		with := *cfg
		with.Sections = append(with.Sections[:0:0], cfg.Sections...)
		for i := range with.Sections {
			if with.Sections[i].ID == s.Section {
				with.Sections[i].Rules = append(with.Sections[i].Rules[:len(with.Sections[i].Rules):len(with.Sections[i].Rules)], s.Rule())
			}
		}
		rs, _, _, err := daemon.Rules(ctx, &with, db)
		if err != nil {
			return err
		}
		p, err := daemon.PreviewRules(ctx, db, rs, 0)
		if err != nil {
			return err
		}
		out = append(out, suggestion{Suggestion: s, Moves: p.Changed})
	}
	if af.json {
		return writeJSON(stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintf(stdout, "no keyword found in %d labelled examples with support %d and precision %.2f or more\n", len(ls), *support, *precision)
		return nil
	}
	fmt.Fprintf(stdout, "from %d labelled examples; MOVES: stored items a rule of the keyword would move (rules test)\n\n", len(ls))
	tw := newTable(stdout)
	fmt.Fprintln(tw, "SECTION\tKEYWORD\tPRECISION\tSUPPORT\tOTHERS\tMOVES")
	for _, s := range out {
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%d\t%d\t%d\n", s.Section, s.Keyword, s.Precision, s.Support, s.Others, s.Moves)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nto paste under a section's rules:")
	for _, sec := range cfg.Sections {
		var kws, hosts []string
		for _, s := range out {
			switch {
			case s.Section != sec.ID:
			case len(s.Fields) > 0:
				hosts = append(hosts, yamlQuote(s.Keyword))
			default:
				kws = append(kws, yamlQuote(s.Keyword))
			}
		}
		if len(kws)+len(hosts) == 0 {
			continue
		}
		fmt.Fprintf(stdout, "  # %s (%s)\n", sec.ID, sec.Title)
		if len(kws) > 0 {
			fmt.Fprintf(stdout, "  - name: suggested\n    keywords: [%s]\n", strings.Join(kws, ", "))
		}
		if len(hosts) > 0 {
			fmt.Fprintf(stdout, "  - name: suggested hosts\n    keywords: [%s]\n    fields: [host]\n", strings.Join(hosts, ", "))
		}
	}
	return nil
}

// yamlQuote quotes a keyword for a YAML flow list.
func yamlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
