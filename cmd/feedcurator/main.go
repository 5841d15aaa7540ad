// Command feedcurator polls RSS and Atom sources, sorts their items into the
// sections of a digest by rules, and publishes the result as Atom feeds.
//
//	feedcurator run      --config FILE   the daemon
//	feedcurator fetch    --config FILE   poll every source once, then exit
//	feedcurator validate --config FILE   check a configuration
//	feedcurator demo                     run against bundled sample feeds
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	// The digest's time zone must load on machines without a zoneinfo database.
	_ "time/tzdata"
)

// repeatWindow is how soon after the first a signal is the same request
// delivered twice rather than a second request.
const repeatWindow = 250 * time.Millisecond

// Exit statuses.
const (
	exitUsage  = 1   // a bad command line or configuration, or a failed command
	exitSignal = 130 // a second interrupt during shutdown
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal starts a clean shutdown; a second one, while
		// in-flight work is still being waited for, exits at once.
		<-signals
		first := time.Now()
		cancel()
		for sig := range signals {
			// One kill(2) to the process and one to its group (as
			// timeout(1) sends) arrive together: that is one request.
			if time.Since(first) < repeatWindow {
				continue
			}
			fmt.Fprintf(os.Stderr, "feedcurator: second %v, exiting at once\n", sig)
			os.Exit(exitSignal)
		}
	}()
	os.Exit(Execute(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Execute runs one command line and returns the process exit status.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "fetch":
		err = cmdFetch(ctx, args[1:], stdout, stderr)
	case "validate":
		err = cmdValidate(args[1:], stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "reload":
		err = cmdReload(ctx, args[1:], stdout, stderr)
	case "sources":
		err = cmdSources(ctx, args[1:], stdout, stderr)
	case "items":
		err = cmdItems(ctx, args[1:], stdout, stderr)
	case "item":
		err = cmdItem(ctx, args[1:], stdout, stderr)
	case "stats":
		err = cmdStats(ctx, args[1:], stdout, stderr)
	case "digest":
		err = cmdDigest(ctx, args[1:], stdout, stderr)
	case "export-opml":
		err = cmdExportOPML(ctx, args[1:], stdout, stderr)
	case "import-opml":
		err = cmdImportOPML(ctx, args[1:], stdout, stderr)
	case "explain":
		err = cmdExplain(ctx, args[1:], stdout, stderr)
	case "rules":
		err = cmdRules(ctx, args[1:], stdout, stderr)
	case "archive":
		err = cmdArchive(ctx, args[1:], stdout, stderr)
	case "issue":
		err = cmdIssue(ctx, args[1:], stdout, stderr)
	case "desk":
		err = cmdDesk(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		err = cmdVersion(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "feedcurator: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	if err == nil || errors.Is(err, errHelp) {
		return 0
	}
	if !errors.Is(err, errReported) {
		fmt.Fprintf(stderr, "feedcurator %s: %v\n", args[0], err)
	}
	return exitUsage
}

// errReported is returned by commands that already printed their error;
// errHelp by those that printed their usage because -h asked for it.
var (
	errReported = errors.New("reported")
	errHelp     = errors.New("help")
)

// flagError maps an error of flag.FlagSet.Parse, which has printed it (or
// the usage, for -h), to errHelp or errReported.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	return errReported
}

// cmdVersion prints the module version and the commit the binary was built
// from.
func cmdVersion(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	version, commit, modified := "(devel)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		fmt.Fprintf(stdout, "feedcurator %s", version)
		if commit != "" {
			fmt.Fprintf(stdout, " (commit %.12s", commit)
			if modified {
				fmt.Fprint(stdout, ", modified")
			}
			fmt.Fprint(stdout, ")")
		}
		fmt.Fprintf(stdout, " %s\n", bi.GoVersion)
		return nil
	}
	fmt.Fprintf(stdout, "feedcurator %s\n", version)
	return nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: feedcurator COMMAND [flags]

commands:
  run      --config FILE   run the daemon: poll, curate, serve the feeds
  fetch    --config FILE   poll every source once, classify, then exit
  validate --config FILE   check a configuration file and report every problem
  demo                     serve bundled sample feeds on loopback and run the
                           daemon against them (no internet needed)
  reload   --config FILE   ask the running daemon to re-read its configuration
  version                  the version and the commit the binary was built from

publishing:
  issue    --config FILE [--week 2016-W26] [--json] show | accept|reject|later ENTRY... |
           move ENTRY SECTION [POS] | order SECTION ENTRY... | summary [--reset] ENTRY [TEXT] |
           note [ENTRY] TEXT | related ENTRY [ITEM|URL]... | add-url SECTION URL | check |
           publish | auto-publish on|off
                           the week's issue: a stored draft, edited, checked, frozen when published
  desk passwd --config FILE [--password-file FILE|-]
                           set the password of the editor's desk (/desk/, the same issue in a browser)
  digest   --config FILE [--week 2016-W26] [--out DIR|-]   build a week's digest issue (Markdown)
  export-opml --config FILE [-o FILE]   the sources as OPML
  import-opml --config FILE OPML-FILE   add an OPML file's feeds to the configuration's sources

rules:
  explain  --config FILE ITEM-ID | --title T [--summary S] [--source NAME]
                           every rule that fired, its weight and matched text, the scores, the decision
  rules test --config NEW.yaml          which stored items new rules would move (nothing written)
  rules eval --config FILE LABELLED.yaml accuracy, confusion matrix, precision/recall per section
  rules eval --config FILE --folds K [--learned-weight W] [LABELLED.yaml...]
                           K-fold cross-validation of the rules and the learned part over the
                           stored labelled examples (and the files), with a learning curve
  rules suggest --config FILE [--top N] [--min-support N] [--min-precision P]
                           keywords mined from the labelled examples, with their precision and the
                           stored items each would move, as YAML to paste
  archive import --config FILE [--json] PATH...
                           past issues (Markdown in the digest's shape, or labelled YAML; files or
                           folders) into the store, as labelled examples and published issues

admin (work on the database, also while the daemon runs; --json for scripts):
  sources  --config FILE   status of every source: last fetch, next check, errors, items
  items    --config FILE [--section ID] [--since 7d] [--limit N] [--all]
  stats    --config FILE   counts per section, database size, last successful fetch
  item     --config FILE move ID SECTION | hide ID | unhide ID | pin ID | unpin ID | reset ID
                           | primary ID (of the copies of a story, publish this one)

Run "feedcurator COMMAND -h" for the flags of a command.
`)
}
