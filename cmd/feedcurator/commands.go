package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/feedcurator/feedcurator"
	"github.com/feedcurator/feedcurator/aggregator"
	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/demo"
	"github.com/feedcurator/feedcurator/desk"
)

// shutdownTimeout bounds how long Close waits for in-flight work.
const shutdownTimeout = 30 * time.Second

// commonFlags are the flags of the commands that read a configuration.
type commonFlags struct {
	config    string
	database  string
	logLevel  string
	logFormat string
}

func (c *commonFlags) register(fs *flag.FlagSet, withConfig bool) {
	if withConfig {
		def := "config.yaml"
		if dir := os.Getenv("CONFIGURATION_DIRECTORY"); dir != "" {
			def = filepath.Join(dir, "config.yaml")
		}
		fs.StringVar(&c.config, "config", def, "configuration `file`")
		fs.StringVar(&c.database, "database", os.Getenv("FEEDCURATOR_DATABASE"),
			"SQLite database `file`, instead of the configuration's (default $FEEDCURATOR_DATABASE)")
	}
	fs.StringVar(&c.logLevel, "log-level", "", "log level: debug, info, warn, error (default: the configuration's)")
	fs.StringVar(&c.logFormat, "log-format", "auto", "log format: json, console, or auto (console on a terminal)")
}

func (c *commonFlags) newLogger(cfg *config.Config, stderr io.Writer) zerolog.Logger {
	level := cfg.LogLevel
	if c.logLevel != "" {
		level = c.logLevel
	}
	console := c.logFormat == "console" || (c.logFormat == "auto" && isTerminal(stderr))
	return newLogger(stderr, level, console)
}

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "feedcurator %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errReported
	}
	return nil
}

// parseAndLoad parses a command's flags (no arguments allowed) and loads its
// configuration.
func parseAndLoad(fs *flag.FlagSet, cf *commonFlags, args []string, stderr io.Writer) (*config.Config, error) {
	if err := parseFlags(fs, args, stderr); err != nil {
		return nil, err
	}
	return cf.load(stderr)
}

// load loads the configuration named by the flags, with --database (or
// $FEEDCURATOR_DATABASE) in place of the configured database.
func (c *commonFlags) load(stderr io.Writer) (*config.Config, error) {
	cfg, err := loadConfig(c.config, stderr)
	if err != nil {
		return nil, err
	}
	if c.database != "" {
		cfg.Database = c.database
	}
	return cfg, nil
}

// loadConfig reads the configuration, printing every problem on its own line.
func loadConfig(path string, stderr io.Writer) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, errReported
	}
	return cfg, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func cmdValidate(args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	cf.register(fs, true)
	cfg, err := parseAndLoad(fs, &cf, args, stderr)
	if err != nil {
		return err
	}
	if err := daemon.CheckDatabaseFolder(cfg); err != nil {
		fmt.Fprintln(stderr, err)
		return errReported
	}
	rules := 0
	for _, s := range cfg.Sections {
		rules += len(s.Rules)
	}
	fmt.Fprintf(stdout, "%s: ok (%d sources, %d sections, %d rules)\n", cf.config, len(cfg.Sources), len(cfg.Sections), rules)
	return nil
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	cf.register(fs, true)
	force := fs.Bool("force", false, "take over a database whose sources follow another configuration file")
	cfg, err := parseAndLoad(fs, &cf, args, stderr)
	if err != nil {
		return err
	}
	// The daemon logs to stderr, as every command does: journald reads it,
	// a terminal shows it.
	m := daemon.New(cfg, cf.newLogger(cfg, stderr))
	m.ConfigPath = cf.config
	m.TakeOver = *force
	return serve(ctx, m, nil)
}

// serve opens, runs and, once ctx is done or a stage fails, closes m.
// started, if set, is called once the daemon is serving.
func serve(ctx context.Context, m *daemon.Main, started func(*daemon.Main)) error {
	err := m.Open(ctx)
	if err == nil {
		err = m.Listen()
	}
	if err == nil {
		err = m.Run(ctx)
	}
	if err != nil {
		m.Logger.Error().Err(err).Msg("start failed")
		cctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		return errors.Join(err, m.Close(cctx))
	}
	if started != nil {
		started(m)
	}
	failed := make(chan error, 1)
	go func() { failed <- m.Wait() }()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var runErr error
wait:
	for {
		select {
		case <-ctx.Done():
			m.Logger.Info().Msg("shutting down")
			break wait
		case runErr = <-failed:
			m.Logger.Error().Err(runErr).Msg("stage failed")
			break wait
		case <-hup:
			_, _ = m.Reload(ctx) // logged by Reload; the running configuration stays on error
		}
	}
	cctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := errors.Join(runErr, m.Close(cctx)); err != nil {
		return err
	}
	m.Logger.Info().Msg("stopped")
	return nil
}

func cmdFetch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	cf.register(fs, true)
	force := fs.Bool("force", false, "take over a database whose sources follow another configuration file")
	cfg, err := parseAndLoad(fs, &cf, args, stderr)
	if err != nil {
		return err
	}
	tty := isTerminal(stdout)
	if tty && cf.logLevel == "" {
		cf.logLevel = "error" // the progress bar tells the story
	}
	m := daemon.New(cfg, cf.newLogger(cfg, stderr))
	m.ConfigPath = cf.config
	m.TakeOver = *force
	if err := m.Open(ctx); err != nil {
		_ = m.Close(context.Background())
		return err
	}
	var onResult func(aggregator.Result)
	var bar *progressbar.ProgressBar
	if tty {
		bar = progressbar.NewOptions(len(cfg.Sources),
			progressbar.OptionSetWriter(stdout),
			progressbar.OptionSetDescription("fetching"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionClearOnFinish())
		onResult = func(r aggregator.Result) {
			bar.Describe(r.Source.Name)
			_ = bar.Add(1)
		}
	}
	sum := m.Poller.PollAll(ctx, onResult)
	if bar != nil {
		_ = bar.Finish()
	}
	classified, _, cerr := m.Curator.ClassifyPending(context.WithoutCancel(ctx))
	fmt.Fprintf(stdout, "fetched %d sources in %s: %d ok, %d not modified, %d failed; items: %d new, %d updated, %d unchanged; %d classified\n",
		sum.Sources, sum.Elapsed.Round(time.Millisecond), sum.OK, sum.NotModified, sum.Errors,
		sum.New, sum.Updated, sum.Unchanged, classified)
	err = errors.Join(cerr, m.Close(context.Background()))
	if err == nil && sum.Sources > 0 && sum.Errors == sum.Sources {
		return errors.New("every source failed")
	}
	return err
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	cf.register(fs, false)
	listen := fs.String("listen", "127.0.0.1:8080", "`address` to serve the curated feeds on (falls back to a free port)")
	dbPath := fs.String("database", filepath.Join(os.TempDir(), "feedcurator-demo", "demo.db"), "SQLite database `file`")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}

	// The bundled sample feeds, on a loopback port of their own.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for sample feeds: %w", err)
	}
	feedSrv := &http.Server{Handler: demo.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = feedSrv.Serve(ln) }()
	defer feedSrv.Close()

	cfg, err := demoConfig("http://"+ln.Addr().String(), *listen, *dbPath)
	if err != nil {
		return err
	}
	reused := "new"
	if _, err := os.Stat(cfg.Database); err == nil {
		// The sample feeds get a new port each run; their sources are the
		// same sources (matched by name) and their items the same items.
		reused = "reused: the sample sources and their items carry over from the last run"
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Database), 0o755); err != nil {
		return fmt.Errorf("create demo database folder: %w", err)
	}
	if l, err := net.Listen("tcp", cfg.Listen); err != nil {
		cfg.Listen = "127.0.0.1:0"
	} else {
		_ = l.Close()
	}
	// The desk gets a password of its own for this run, printed below.
	password := rand.Text()[:12]
	if cfg.Desk.PasswordHash, err = desk.HashPassword(password); err != nil {
		return err
	}
	m := daemon.New(cfg, cf.newLogger(cfg, stderr))
	m.TakeOver = true // the demo's database is the demo's
	return serve(ctx, m, func(m *daemon.Main) {
		base := "http://" + m.Addr
		fmt.Fprintf(stdout, "feedcurator demo: %d sample sources, database %s (%s; --database for another)\n", len(cfg.Sources), cfg.Database, reused)
		fmt.Fprintf(stdout, "subscribe to %s/feeds/all.atom\n", base)
		for _, s := range cfg.Sections {
			fmt.Fprintf(stdout, "  %-10s %s/feeds/%s.atom\n", s.ID, base, s.ID)
		}
		fmt.Fprintf(stdout, "the editor's desk: %s/desk/ (password for this run: %s)\n", base, password)
		fmt.Fprintln(stdout, "press Ctrl-C to stop")
	})
}

// demoConfig is the example configuration (its sections and rules) pointed at
// the bundled sample feeds.
func demoConfig(feedBase, listen, dbPath string) (*config.Config, error) {
	cfg, err := config.Parse(bytes.NewReader(feedcurator.ExampleConfig), "config.example.yaml")
	if err != nil {
		return nil, fmt.Errorf("embedded example configuration: %w", err)
	}
	cfg.Sources = nil
	for _, f := range demo.Feeds() {
		cfg.Sources = append(cfg.Sources, config.Source{Name: f.Name, URL: feedBase + f.Path})
	}
	cfg.Database = dbPath
	cfg.Listen = listen
	cfg.BaseURL = ""
	cfg.Fetch.MinInterval = config.Duration{Duration: 10 * time.Second}
	cfg.Fetch.Interval = config.Duration{Duration: time.Minute}
	cfg.Curator.Interval = config.Duration{Duration: time.Second}
	cfg.Fetch.DenyPrivate = false // the sample feeds are on loopback
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// newLogger builds the one logger of the process: JSON lines, or a console
// format when the output is a terminal.
func newLogger(w io.Writer, level string, console bool) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(strings.ToLower(level))
	if err != nil || level == "" {
		lvl = zerolog.InfoLevel
	}
	if _, ok := w.(*os.File); !ok {
		// The stages log from many goroutines; a file takes each line in
		// one write(2), any other writer needs the lines serialised.
		w = zerolog.SyncWriter(w)
	}
	if console {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}
