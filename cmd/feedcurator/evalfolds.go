package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/feeds"
)

// foldsOut is what "rules eval --folds" prints with --json.
type foldsOut struct {
	Examples int                  `json:"examples"`
	Stored   int                  `json:"stored"` // of them, from the store
	Report   curator.FoldReport   `json:"cross_validation"`
	Curve    []curator.CurvePoint `json:"learning_curve,omitempty"`
	Tested   int                  `json:"curve_test_issues,omitempty"` // the later issues the curve is measured on
}

// wantsFolds reports whether a "rules eval" command line asks for
// cross-validation (--folds), which cmdRulesEvalFolds answers.
func wantsFolds(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "folds" {
			return true
		}
	}
	return false
}

// cmdRulesEvalFolds measures the curator as configured, learned part
// included, by K-fold cross-validation over the stored labelled examples
// (imported issues, moves; hides are not sections) and any labelled files
// named, and, when the store holds issues, the learning curve: accuracy on
// the later third of the issues after training on the first 1, 2, 3, 4, 8.
func cmdRulesEvalFolds(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var af adminFlags
	fs := flag.NewFlagSet("rules eval", flag.ContinueOnError)
	af.register(fs)
	folds := fs.Int("folds", 10, "cross-validate over `K` folds")
	weight := fs.Float64("learned-weight", curator.DefaultLearnedWeight, "`weight` of the learned part (0: rules only)")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if *folds < 2 {
		return fmt.Errorf("--folds %d: want at least 2", *folds)
	}
	cfg, err := af.load(stderr)
	if err != nil {
		return err
	}
	rs, err := cfg.Ruleset()
	if err != nil {
		return err
	}
	var out foldsOut
	var examples []curator.Labelled
	var issues [][]curator.Labelled
	if _, statErr := os.Stat(daemon.DatabasePath(cfg)); statErr == nil || fs.NArg() == 0 {
		db, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		loc := daemon.DigestOptions(cfg).Location
		stored, err := db.Examples(ctx, loc)
		db.Close()
		if err != nil {
			return err
		}
		byWeek := map[feeds.Week][]curator.Labelled{}
		for _, e := range stored {
			if e.Hidden() {
				continue
			}
			l := curator.Labelled{Title: e.Title, Summary: e.Summary, Section: e.Section, Source: e.Source, Link: e.Link}
			examples = append(examples, l)
			if e.Issue.Valid() {
				byWeek[e.Issue] = append(byWeek[e.Issue], l)
			}
		}
		out.Stored = len(examples)
		weeks := make([]feeds.Week, 0, len(byWeek))
		for w := range byWeek {
			weeks = append(weeks, w)
		}
		sort.Slice(weeks, func(i, j int) bool { return weeks[i].Before(weeks[j]) })
		for _, w := range weeks {
			issues = append(issues, byWeek[w])
		}
	}
	for _, path := range fs.Args() {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		items, err := config.LoadLabelled(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		examples = append(examples, items...)
	}
	if len(examples) < *folds {
		return errors.New("too few labelled examples to cross-validate: import past issues (feedcurator archive import) or name labelled files")
	}
	out.Examples = len(examples)
	out.Report = curator.CrossValidate(rs, examples, *folds, *weight, curator.LearnOptions{})
	if len(issues) >= 3 {
		out.Tested = max(1, len(issues)/3)
		out.Curve = curator.LearningCurve(rs, issues, []int{1, 2, 3, 4, 8}, len(issues)-out.Tested, *weight, curator.LearnOptions{})
	}
	if af.json {
		return writeJSON(stdout, out)
	}
	r := out.Report
	fmt.Fprintf(stdout, "%d-fold cross-validation over %d labelled items (%d from the store), learned weight %g:\n",
		r.Folds, out.Examples, out.Stored, r.Weight)
	fmt.Fprintf(stdout, "  rules alone    %.1f%%\n  learned alone  %.1f%%\n  rules+learned  %.1f%%\n",
		100*r.Rules.Accuracy, 100*r.Learned.Accuracy, 100*r.Combined.Accuracy)
	if len(out.Curve) > 0 {
		fmt.Fprintf(stdout, "\nlearning curve, measured on the last %d issues:\n", out.Tested)
		for _, p := range out.Curve {
			fmt.Fprintf(stdout, "  after %d issues (%d items): rules %.1f%%, learned %.1f%%, rules+learned %.1f%%\n",
				p.Issues, p.Examples, 100*p.Rules, 100*p.Learned, 100*p.Combined)
		}
	}
	fmt.Fprintln(stdout, "\nrules+learned:")
	return r.Combined.WriteText(stdout)
}
