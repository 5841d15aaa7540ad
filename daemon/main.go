package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
	"github.com/rs/zerolog"
	"golang.org/x/net/netutil"
	"golang.org/x/sync/errgroup"

	"github.com/feedcurator/feedcurator/aggregator"
	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/desk"
	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/gctune"
	"github.com/feedcurator/feedcurator/internal/logkey"
	"github.com/feedcurator/feedcurator/publisher"
	"github.com/feedcurator/feedcurator/sqlite"
)

// The store satisfies every stage's consumer interface.
var (
	_ aggregator.Store  = (*sqlite.DB)(nil)
	_ curator.Store     = (*sqlite.DB)(nil)
	_ publisher.Store   = (*sqlite.DB)(nil)
	_ digest.Store      = (*sqlite.DB)(nil)
	_ digest.IssueStore = (*sqlite.DB)(nil)
	_ publisher.Digest  = (*digest.Builder)(nil)
)

// Main is the daemon: the store, the three stages and the HTTP server.
type Main struct {
	Config     *config.Config // as loaded; read it through config() once running
	ConfigPath string         // file to re-read on reload; "" for none
	Logger     zerolog.Logger
	// TakeOver lets Open replace the sources of a database that follows
	// another configuration file (see ErrOtherConfig).
	TakeOver bool
	// MaxConnections caps the HTTP server's open connections; 0 is half
	// the process's file descriptor limit, at most 4096.
	MaxConnections int

	DB        *sqlite.DB
	Poller    *aggregator.Poller
	Curator   *curator.Curator
	Publisher *publisher.Publisher
	Digest    *digest.Builder
	Desk      *desk.Desk // the editor's desk, at /desk/

	// Addr is the address the HTTP server listens on, known once Open returns.
	Addr string

	listener net.Listener
	server   *http.Server
	cancel   context.CancelFunc
	group    *errgroup.Group
	metrics  *metrics

	cfgMu    sync.Mutex // guards Config once running
	reloadMu sync.Mutex // one reload at a time

	learnMu sync.Mutex       // guards rules and labels
	rules   *curator.Ruleset // the configuration's rules alone, before learning
	labels  string           // the labels version the learned part was trained under

	health           health        // /healthz figures
	failures         failures      // failed admin tokens, per client
	retentionChanged chan struct{} // a reload changed the retention settings
	pruned           atomic.Int64  // retention runs, for tests
	closed           bool
}

func (m *Main) config() *config.Config {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	return m.Config
}

// Current returns the configuration in force: the last one loaded, with
// the settings that need a restart as they were at start.
func (m *Main) Current() *config.Config { return m.config() }

func (m *Main) setConfig(cfg *config.Config) {
	m.cfgMu.Lock()
	m.Config = cfg
	m.cfgMu.Unlock()
}

// New returns a Main for cfg that logs to logger.
func New(cfg *config.Config, logger zerolog.Logger) *Main {
	return &Main{Config: cfg, Logger: logger, retentionChanged: make(chan struct{}, 1)}
}

// Open opens the store, registers the sources, builds the stages and binds
// the listener, without starting any loop.
func (m *Main) Open(ctx context.Context) error {
	cfg := m.Config
	if _, err := cfg.Ruleset(); err != nil {
		return err
	}
	dbPath := DatabasePath(cfg)
	if err := CheckDatabaseFolder(cfg); err != nil {
		return err
	}
	var err error
	m.DB, err = sqlite.Open(ctx, dbPath)
	if err != nil {
		return err // sqlite.Open names the file
	}
	// One daemon (or fetch) polls a database's sources at a time; a second
	// one refuses, naming the first.
	if err := m.DB.LockDaemon(); err != nil {
		return err
	}
	m.DB.SetMaxAge(cfg.Retention.MaxAge.Duration)
	if err := m.DB.SetMaxSize(ctx, int64(cfg.MaxSize)); err != nil {
		return err
	}
	if err := m.claimSources(ctx); err != nil {
		return err
	}
	sources, err := m.DB.SyncSources(ctx, SourcesOf(cfg))
	if err != nil {
		return fmt.Errorf("register sources: %w", err)
	}
	m.metrics = newMetrics(m.DB)
	fo := FetchOptions(cfg)
	fo.Observe = m.metrics.observe
	m.Poller = aggregator.NewPoller(m.DB, nil, fo, m.Logger)
	m.Poller.SetSources(sources)
	rs, rules, labels, err := Rules(ctx, cfg, m.DB)
	if err != nil {
		return err
	}
	m.rules, m.labels = rules, labels
	m.Curator = curator.New(m.DB, rs, cfg.Curator.Interval.Duration, m.Logger)
	m.Digest = digest.New(m.DB, DigestOptions(cfg), m.Logger)
	m.Publisher = publisher.New(m.DB, m.publishOptions(cfg, ""), m.Logger)
	m.Desk = m.newDesk()
	m.Logger.Info().Str(logkey.Database, dbPath).Int(logkey.Sources, len(sources)).
		Str(logkey.RulesVer, rs.Version()).Int(logkey.GCPercent, gctune.Apply()).Msg("store opened")
	return nil
}

// ErrOtherConfig is returned by Open when the database's sources follow
// another configuration file than the daemon's.
var ErrOtherConfig = errors.New("the database's sources follow another configuration")

// claimSources checks, before the configured sources replace the stored
// ones, that the database's source list is this configuration's (or no
// one's, or that of a file that no longer exists), and records it as this
// configuration's. Main.TakeOver skips the check.
func (m *Main) claimSources(ctx context.Context) error {
	own := m.ConfigPath
	if own == "" {
		own = m.Config.File()
	}
	if abs, err := filepath.Abs(own); err == nil {
		own = abs
	}
	prev, err := m.DB.ConfigOwner(ctx)
	if err != nil {
		return err
	}
	if prev != "" && prev != own && !m.TakeOver {
		if _, err := os.Stat(prev); err == nil {
			return fmt.Errorf("%w: %s follows %s; syncing the sources of %s would replace its source list "+
				"(give --force to make %s the database's configuration)", ErrOtherConfig, m.DB.Path(), prev, own, own)
		}
		m.Logger.Warn().Str(logkey.Config, own).Str(logkey.Previous, prev).Msg("database's configuration file is gone, taking it over")
	}
	if prev == own {
		return nil
	}
	return m.DB.SetConfigOwner(ctx, own)
}

// Listen binds the HTTP listener.
func (m *Main) Listen() error {
	ln, err := net.Listen("tcp", m.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Listen, err)
	}
	m.listener = ln
	m.Addr = ln.Addr().String()
	// Commands such as feedcurator reload look the address up here when
	// the configuration asks for any free port.
	if err := m.DB.SetHTTPAddr(context.Background(), m.Addr); err != nil {
		return err
	}
	if m.Config.BaseURL == "" {
		m.Publisher.SetOptions(m.publishOptions(m.Config, "http://"+m.Addr))
	}
	return nil
}

// Run starts the background loops (poller, curator, retention, publisher
// output, digest, watchdog) and the HTTP server, and tells systemd the
// service is ready. It returns at once; Close stops everything.
func (m *Main) Run(ctx context.Context) error {
	gctx := m.start(ctx)
	g := m.group
	g.Go(func() error { return m.Poller.Run(gctx) })
	g.Go(func() error { return m.Curator.Run(gctx) })
	g.Go(func() error { return m.learn(gctx) })
	g.Go(func() error { return m.retain(gctx) })
	g.Go(func() error { return m.Publisher.Run(gctx) })
	g.Go(func() error { return m.Digest.Run(gctx) })
	if interval, err := sd.SdWatchdogEnabled(false); err == nil && interval > 0 {
		g.Go(func() error { return m.watchdog(gctx, interval) })
	}
	m.serve()
	m.Logger.Info().Str(logkey.Addr, m.Addr).Msg("serving feeds")
	_, _ = sd.SdNotify(false, sd.SdNotifyReady)
	return nil
}

// Serve starts the HTTP server alone, without the background loops, for
// tools that drive the stages themselves (feedbench). Close stops it.
func (m *Main) Serve(ctx context.Context) {
	m.start(ctx)
	m.serve()
}

// start creates the group the daemon's goroutines run in.
func (m *Main) start(ctx context.Context) context.Context {
	ctx, m.cancel = context.WithCancel(ctx)
	g, gctx := errgroup.WithContext(ctx)
	m.group = g
	return gctx
}

func (m *Main) serve() {
	m.server = &http.Server{
		Handler:           m.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          httpErrorLog(m.Logger),
	}
	// Connections beyond the cap wait in the kernel's backlog instead of
	// taking the descriptors the store and the poller need.
	limit := m.MaxConnections
	if limit <= 0 {
		limit = maxConnections()
	}
	ln := netutil.LimitListener(m.listener, limit)
	m.group.Go(func() error {
		if err := m.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve http: %w", err)
		}
		return nil
	})
}

// Wait blocks until a stage fails or the context of Run is cancelled.
func (m *Main) Wait() error {
	if m.group == nil {
		return nil
	}
	return m.group.Wait()
}

// Close stops the stages, lets in-flight writes finish, and closes the store
// last. Every error is reported. Calls after the first do nothing.
func (m *Main) Close(ctx context.Context) error {
	if m.closed {
		return nil
	}
	m.closed = true
	_, _ = sd.SdNotify(false, sd.SdNotifyStopping)
	var errs []error
	if m.server != nil {
		if err := m.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down http: %w", err))
		}
	} else if m.listener != nil {
		_ = m.listener.Close()
	}
	if m.cancel != nil {
		m.cancel()
	}
	if m.group != nil {
		if err := m.group.Wait(); err != nil {
			errs = append(errs, err)
		}
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close database: %w", err))
		}
	}
	return errors.Join(errs...)
}

// UnitConfigDir and UnitStateDir are the folders of the systemd unit
// (packaging/systemd/feedcurator.service): ConfigurationDirectory= and
// StateDirectory=.
const (
	UnitConfigDir = "/etc/feedcurator"
	UnitStateDir  = "/var/lib/feedcurator"
)

// DatabasePath resolves the configured database file. An absolute path is
// used as it is. A relative one is taken from $STATE_DIRECTORY when systemd
// sets it; else, for the unit's own configuration (in /etc/feedcurator),
// from the unit's state folder /var/lib/feedcurator, so that an operator's
// shell reaches the daemon's database; else from the working folder.
func DatabasePath(cfg *config.Config) string {
	p := cfg.Database
	if filepath.IsAbs(p) {
		return p
	}
	if dir := os.Getenv("STATE_DIRECTORY"); dir != "" {
		// systemd may pass several, colon-separated; the first is ours.
		return filepath.Join(strings.Split(dir, ":")[0], p)
	}
	if f := cfg.File(); f != "" {
		if abs, err := filepath.Abs(f); err == nil && filepath.Dir(abs) == UnitConfigDir {
			return filepath.Join(UnitStateDir, p)
		}
	}
	return p
}

// CheckDatabaseFolder reports, at the configuration's line, a database
// whose folder does not exist or is not a folder.
func CheckDatabaseFolder(cfg *config.Config) error {
	dir := filepath.Dir(DatabasePath(cfg))
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return cfg.Problem("database", fmt.Errorf("folder %s: %w", dir, err))
	case !fi.IsDir():
		return cfg.Problem("database", fmt.Errorf("%s is not a folder", dir))
	}
	return nil
}

func SourcesOf(cfg *config.Config) []feeds.Source {
	out := make([]feeds.Source, len(cfg.Sources))
	for i, s := range cfg.Sources {
		out[i] = feeds.Source{Name: s.Name, ConfigURL: s.URL, Tags: s.Tags, Interval: s.Interval.Duration}
	}
	return out
}

// publishOptions maps the configuration to the publisher's options, with
// the daemon's hooks; base is the public URL to use when the configuration
// names none.
func (m *Main) publishOptions(cfg *config.Config, base string) publisher.Options {
	o := PublishOptions(cfg, base)
	if m.Digest != nil {
		o.Digest = m.Digest
	}
	if m.metrics != nil {
		o.ObserveRender = m.metrics.observeRender
	}
	return o
}
