// Command feedbench measures feedcurator end to end on this machine.
//
// It starts a farm of generated feeds on loopback (half RSS, half Atom,
// items of English and Chinese text, gzip, ETag and 304), then runs the
// daemon's own code against it: sqlite.DB, aggregator.Poller (PollAll),
// curator.Curator with the example configuration's rules, and
// publisher.Publisher serving /feeds/all.atom. The curator's loop runs
// during the polls, as in the daemon. It prints the time and rate of a
// first full poll, of a poll where nothing changed (all 304) and of polls
// with new items, each with the moment the curator had stored a decision
// for the last of the poll's items; then the time and rate of classifying
// every stored item anew (as after a change of rules) and of serving the
// cached feed, then the peak memory, the SQLITE_BUSY errors seen and the
// items lost. Every address is on loopback; every round is bounded; it stops
// by itself.
//
//	go run ./cmd/feedbench                       # 10,000 feeds x 20 items
//	go run ./cmd/feedbench -feeds 100000         # the large run
//	go run ./cmd/feedbench -latency 50ms -workers 64
//
// The farm runs in a child process (this program again), so that the
// measured process is the daemon's alone; both share the machine's cores.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	feedcurator "github.com/feedcurator/feedcurator"
	"github.com/feedcurator/feedcurator/aggregator"
	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/internal/gctune"
	"github.com/feedcurator/feedcurator/sqlite"
)

func main() {
	if v := os.Getenv(farmChildEnv); v != "" {
		cfg, err := parseFarmEnv(v)
		if err == nil {
			err = runFarmChild(cfg)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "feedbench farm:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command line.
type options struct {
	Feeds, Items, Hosts int
	Latency             time.Duration
	NewPerRound, Rounds int
	Workers, PerHost    int
	DB, Config          string
	Wrk                 bool
	WrkDuration         time.Duration
	PublishFor          time.Duration
	CPUProfile          string
	MemProfile          string
	InProcessFarm       bool
	PollsOnly           bool
	Verbose             bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("feedbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Feeds, "feeds", 10000, "number of `feeds` in the farm")
	fs.IntVar(&o.Items, "items", 20, "`items` per feed")
	fs.IntVar(&o.Hosts, "hosts", 50, "distinct `hosts` (loopback ports) the feeds are spread over")
	fs.DurationVar(&o.Latency, "latency", 0, "`delay` the farm adds to every response")
	fs.IntVar(&o.NewPerRound, "new-per-round", 1, "new items per feed in each changing round")
	fs.IntVar(&o.Rounds, "rounds", 1, "changing `rounds` after the first poll and the all-304 poll")
	fs.IntVar(&o.Workers, "workers", 0, "fetch `workers` (0: the configuration's fetch.workers)")
	fs.IntVar(&o.PerHost, "per-host", 0, "concurrent fetches per host (0: the configuration's fetch.per_host)")
	fs.StringVar(&o.DB, "db", "", "SQLite database `file` to create (default: in a temporary folder, removed at exit)")
	fs.StringVar(&o.Config, "config", "", "configuration whose rules and sections to use (default: config.example.yaml, or the built-in copy)")
	fs.BoolVar(&o.Wrk, "wrk", true, "also measure the publisher with wrk, if it is installed")
	fs.DurationVar(&o.WrkDuration, "wrk-duration", 5*time.Second, "`duration` of each wrk run")
	fs.DurationVar(&o.PublishFor, "publish-duration", 3*time.Second, "`duration` of each in-process publish run")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of each phase to `prefix`.PHASE.pprof (first, unchanged, new1..., classify, publish)")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write a heap profile after the polls to `file`")
	fs.BoolVar(&o.InProcessFarm, "farm-in-process", false, "run the farm in this process (its memory then counts in the peak RSS)")
	fs.BoolVar(&o.PollsOnly, "polls-only", false, "stop after the polls: no classification, no publishing")
	fs.BoolVar(&o.Verbose, "v", false, "log the daemon's warnings and errors to stderr")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case o.Feeds <= 0 || o.Items <= 0:
		return o, errors.New("-feeds and -items must be positive")
	case o.Hosts <= 0:
		return o, errors.New("-hosts must be positive")
	case o.Rounds < 0 || o.NewPerRound < 0:
		return o, errors.New("-rounds and -new-per-round must not be negative")
	case o.Latency < 0 || o.Latency > time.Minute:
		return o, errors.New("-latency must lie in [0, 1m]")
	case o.WrkDuration <= 0 || o.WrkDuration > time.Minute || o.PublishFor <= 0 || o.PublishFor > time.Minute:
		return o, errors.New("-wrk-duration and -publish-duration must lie in (0, 1m]")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "feedbench:", err)
		return 2
	}
	b := &bench{opts: o, out: stdout, stderr: stderr}
	err = b.run(ctx)
	if cerr := b.close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(stderr, "feedbench:", err)
		return 1
	}
	if b.failed {
		return 1
	}
	return 0
}

// bench is one run.
type bench struct {
	opts   options
	out    io.Writer
	stderr io.Writer

	farm    farm
	farmPID int
	tmpDir  string
	db      *sqlite.DB
	cfg     *config.Config
	poller  *aggregator.Poller
	curator *curator.Curator
	daemon  *daemon.Main
	addr    string // the daemon's HTTP address

	busy     atomic.Int64 // "database is locked" / SQLITE_BUSY, in logs and results
	logErrs  atomic.Int64 // error-level log lines
	failed   bool         // a check failed: exit 1
	rounds   []roundResult
	profile  *os.File
	profiles []string

	curatorStop func() // stops the curator's loop started for the polls

	lost         int
	classified   int
	classifyTime time.Duration
	wrkFull      float64 // wrk requests/s for the cached feed
	wrkGzip      float64 // the same, gzipped
}

func (b *bench) printf(format string, args ...any) { fmt.Fprintf(b.out, format, args...) }

func (b *bench) run(ctx context.Context) error {
	o := b.opts
	if err := b.loadConfig(); err != nil {
		return err
	}
	b.printf("feedbench: %d feeds x %d items, %d hosts, latency %s, %d new item(s) per feed in %d round(s)\n",
		o.Feeds, o.Items, o.Hosts, o.Latency, o.NewPerRound, o.Rounds)
	gcPercent := gctune.Apply() // as the daemon does
	b.printf("machine: %d CPU (%s), GOMAXPROCS %d, %s, GOGC %d, load average %s\n",
		runtime.NumCPU(), cpuModel(), runtime.GOMAXPROCS(0), runtime.Version(), gcPercent, loadAverage())

	// The farm.
	start := time.Now()
	fc := farmConfig{Feeds: o.Feeds, Items: o.Items, Hosts: o.Hosts, Latency: o.Latency, Start: start.Truncate(time.Second)}
	where := "a child process"
	if o.InProcessFarm {
		f, err := startLocalFarm(fc)
		if err != nil {
			return err
		}
		b.farm = f
		where = "this process"
	} else {
		f, err := startChildFarm(fc)
		if err != nil {
			return err
		}
		b.farm, b.farmPID = f, f.cmd.Process.Pid
	}
	fs, err := b.farm.Stats()
	if err != nil {
		return err
	}
	b.printf("farm: in %s, sharing the cores with the daemon; %d feeds generated in %s, %.1f MB of XML, %.1f MB gzipped (%.1f KB a feed)\n",
		where, o.Feeds, time.Since(start).Round(time.Millisecond),
		mb(fs.BodyBytes), mb(fs.StoredBytes), float64(fs.BodyBytes)/float64(o.Feeds)/1024)

	// The daemon, wired as cmd/feedcurator's Main.Open wires it.
	if err := b.openDaemon(ctx); err != nil {
		return err
	}

	// The polls, with the curator's loop running as in the daemon.
	b.startCurator(ctx)
	b.printf("\n%-24s %8s %9s %9s %6s %6s %5s %8s %8s %9s %8s %8s %9s %7s %5s\n",
		"poll", "wall", "feeds/s", "items/s", "200", "304", "err", "new", "updated", "unchanged", "cpu", "farm cpu", "peak rss", "commits", "batch")
	expected := o.Feeds * o.Items
	if err := b.startProfile("first"); err != nil {
		return err
	}
	if err := b.poll(ctx, "first (all new)", o.Feeds*o.Items, o.Feeds, 0); err != nil {
		return err
	}
	if err := b.startProfile("unchanged"); err != nil {
		return err
	}
	if err := b.poll(ctx, "unchanged (all 304)", 0, 0, o.Feeds); err != nil {
		return err
	}
	for r := 1; r <= o.Rounds; r++ {
		if o.NewPerRound > 0 {
			if err := b.farm.SetExtra(r * o.NewPerRound); err != nil {
				return err
			}
		}
		name := fmt.Sprintf("%d new per feed (#%d)", o.NewPerRound, r)
		if o.NewPerRound == 1 {
			name = fmt.Sprintf("one new per feed (#%d)", r)
		}
		if err := b.startProfile(fmt.Sprintf("new%d", r)); err != nil {
			return err
		}
		want200, want304 := o.Feeds, 0
		if o.NewPerRound == 0 {
			want200, want304 = 0, o.Feeds
		}
		if err := b.poll(ctx, name, o.Feeds*o.NewPerRound, want200, want304); err != nil {
			return err
		}
		expected += o.Feeds * o.NewPerRound
	}
	b.stopProfile()
	if err := b.checkStored(ctx, expected); err != nil {
		return err
	}
	if o.MemProfile != "" {
		if err := writeHeapProfile(o.MemProfile); err != nil {
			return err
		}
	}

	if o.PollsOnly {
		b.stopCurator()
		b.stopProfile()
		b.report()
		return nil
	}

	// Classification of every stored item anew, the loop stopped so that
	// the pass is measured alone.
	b.stopCurator()
	if n, err := b.db.Requeue(ctx, time.Unix(0, 0)); err != nil {
		return fmt.Errorf("requeue: %w", err)
	} else if n != expected {
		b.printf("  MISMATCH: %d items queued for classification again, want %d\n", n, expected)
		b.failed = true
	}
	if err := b.startProfile("classify"); err != nil {
		return err
	}
	if err := b.classify(ctx); err != nil {
		return err
	}
	// Publishing.
	if err := b.startProfile("publish"); err != nil {
		return err
	}
	if err := b.publish(ctx); err != nil {
		return err
	}
	b.stopProfile()
	if len(b.profiles) > 0 {
		b.printf("\ncpu profiles: %s\n", strings.Join(b.profiles, " "))
	}

	b.report()
	return nil
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func (b *bench) loadConfig() error {
	path := b.opts.Config
	if path == "" {
		if _, err := os.Stat("config.example.yaml"); err == nil {
			path = "config.example.yaml"
		}
	}
	var err error
	if path != "" {
		b.cfg, err = config.Load(path)
	} else {
		b.cfg, err = config.Parse(bytes.NewReader(feedcurator.ExampleConfig), "config.example.yaml")
	}
	return err
}

// openDaemon builds the daemon of cmd/feedcurator from the configuration,
// with the farm's feeds as the sources, and serves its HTTP surface; the
// benchmark drives the poller and the curator itself.
func (b *bench) openDaemon(ctx context.Context) error {
	o := b.opts
	cfg := *b.cfg
	path := o.DB
	var err error
	if path == "" {
		if b.tmpDir, err = os.MkdirTemp("", "feedbench-"); err != nil {
			return err
		}
		path = filepath.Join(b.tmpDir, "bench.db")
	} else if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists: the benchmark needs a new database", path)
	}
	cfg.Database = path
	cfg.Listen, cfg.BaseURL = "127.0.0.1:0", ""
	cfg.Fetch.DenyPrivate = false // the farm is on loopback
	if o.Workers > 0 {
		cfg.Fetch.Workers = o.Workers
	}
	if o.PerHost > 0 {
		cfg.Fetch.PerHost = o.PerHost
	}
	// Nothing that would reach outside the process: no WebSub hub, no
	// static output folder, no digest files.
	cfg.Publish.Hub, cfg.Publish.OutputDir, cfg.Digest.Dir = "", "", ""
	cfg.Sources = make([]config.Source, o.Feeds)
	for i := range cfg.Sources {
		tag := "en"
		if i%4 >= 2 {
			tag = "zh"
		}
		cfg.Sources[i] = config.Source{Name: fmt.Sprintf("Bench feed %d", i), URL: b.farm.URL(i), Tags: []string{"bench", tag}}
	}

	logger := zerolog.New(&logCounter{bench: b}).Level(zerolog.WarnLevel).With().Timestamp().Logger()
	start := time.Now()
	b.daemon = daemon.New(&cfg, logger)
	if err := b.daemon.Open(ctx); err != nil {
		return err
	}
	if err := b.daemon.Listen(); err != nil {
		return err
	}
	b.daemon.Serve(ctx)
	b.db, b.poller, b.curator = b.daemon.DB, b.daemon.Poller, b.daemon.Curator
	b.addr = b.daemon.Addr
	b.printf("daemon: database %s; %d sources registered in %s; %d workers, %d per host; rules %s\n",
		path, len(cfg.Sources), time.Since(start).Round(time.Millisecond), cfg.Fetch.Workers, cfg.Fetch.PerHost, b.curator.Ruleset().Version())
	return nil
}

// roundResult is one poll's figures.
type roundResult struct {
	name              string
	sum               aggregator.Summary
	cpu, farmCPU      time.Duration
	want200, want304  int
	wantNew           int
	saveErrs, fetchEr int
	commits           int64   // store transactions
	batch             float64 // fetches per transaction
	// classifiedAt is when, from the poll's start, the curator had stored
	// a decision for every item the poll stored (0 when it stored none),
	// and classifiedCPU the daemon's CPU time until then.
	classifiedAt, classifiedCPU time.Duration
}

// poll runs one PollAll and checks its outcome: wantNew new items, and
// want200 fetched and want304 not modified sources.
func (b *bench) poll(ctx context.Context, name string, wantNew, want200, want304 int) error {
	runtime.GC() // start every round from the same heap
	cpu0, farm0 := cpuTime(0), cpuTime(b.farmPID)
	commits0, fetches0 := b.db.SaveStats()
	var saveErrs, fetchErrs int
	var firstErr error
	start := time.Now()
	sum := b.poller.PollAll(ctx, func(r aggregator.Result) {
		if r.Err == nil {
			return
		}
		if firstErr == nil {
			firstErr = r.Err
		}
		if strings.Contains(r.Err.Error(), "save fetch") {
			saveErrs++
		} else {
			fetchErrs++
		}
		if isBusy(r.Err.Error()) {
			b.busy.Add(1)
		}
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	rr := roundResult{name: name, sum: sum, cpu: cpuTime(0) - cpu0, want200: want200, want304: want304, wantNew: wantNew,
		saveErrs: saveErrs, fetchEr: fetchErrs}
	if b.farmPID != 0 {
		rr.farmCPU = cpuTime(b.farmPID) - farm0
	}
	if commits, fetches := b.db.SaveStats(); commits > commits0 {
		rr.commits, rr.batch = commits-commits0, float64(fetches-fetches0)/float64(commits-commits0)
	}
	stored := sum.New + sum.Updated
	if stored > 0 {
		at, err := b.waitClassified(ctx)
		if err != nil {
			return err
		}
		rr.classifiedAt, rr.classifiedCPU = at.Sub(start), cpuTime(0)-cpu0
	}
	b.rounds = append(b.rounds, rr)
	secs := sum.Elapsed.Seconds()
	items := sum.New + sum.Updated + sum.Unchanged
	farmCPU := "-"
	if b.farmPID != 0 {
		farmCPU = fmt.Sprintf("%.2fs", rr.farmCPU.Seconds())
	}
	b.printf("%-24s %7.2fs %9.0f %9.0f %6d %6d %5d %8d %8d %9d %7.2fs %8s %6.0f MB %7d %5.1f\n",
		name, secs, float64(sum.Sources)/secs, float64(items)/secs, sum.OK, sum.NotModified, sum.Errors,
		sum.New, sum.Updated, sum.Unchanged, rr.cpu.Seconds(), farmCPU, mb(peakRSS(0)), rr.commits, rr.batch)
	if stored > 0 {
		b.printf("  curator: last of %d items classified at %.2fs, poll ended at %.2fs (%+.2fs): %.0f items/s end to end; daemon cpu %.2fs until then\n",
			stored, rr.classifiedAt.Seconds(), secs, rr.classifiedAt.Seconds()-secs, float64(stored)/rr.classifiedAt.Seconds(), rr.classifiedCPU.Seconds())
	}
	if sum.Errors > 0 {
		b.printf("  %d errors (%d saves, %d fetches); first: %v\n", sum.Errors, saveErrs, fetchErrs, firstErr)
		b.failed = true
	}
	if sum.New != wantNew || sum.OK != want200 || sum.NotModified != want304 {
		b.printf("  MISMATCH: want %d new, %d fetched, %d not modified\n", wantNew, want200, want304)
		b.failed = true
	}
	return nil
}

// startCurator runs the curator's loop, as the daemon runs it, until
// stopCurator.
func (b *bench) startCurator(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = b.curator.Run(ctx) // it logs its own errors, which the log counter counts
	}()
	b.curatorStop = func() {
		cancel()
		<-done
	}
}

func (b *bench) stopCurator() {
	if b.curatorStop != nil {
		b.curatorStop()
		b.curatorStop = nil
	}
}

// curatorWait bounds how long after a poll the curator may take to catch up.
const curatorWait = 10 * time.Minute

// waitClassified waits until the store holds no item that awaits
// classification under the rules in use, and returns when that was first
// seen (to within a millisecond or so). Called when a poll has returned,
// when every item it stored is committed.
func (b *bench) waitClassified(ctx context.Context) (time.Time, error) {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	deadline := time.Now().Add(curatorWait)
	for {
		left, err := b.db.ItemsToClassify(ctx, b.curator.Ruleset().Version(), 0, 1)
		if err != nil {
			return time.Time{}, fmt.Errorf("items to classify: %w", err)
		}
		if len(left) == 0 {
			return time.Now(), nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case now := <-t.C:
			if now.After(deadline) {
				return time.Time{}, fmt.Errorf("curator: item %d still unclassified %s after the poll", left[0].ID, curatorWait)
			}
		}
	}
}

// checkStored compares the items in the database with what the farm served.
func (b *bench) checkStored(ctx context.Context, expected int) error {
	counts, err := b.db.SourceItemCounts(ctx)
	if err != nil {
		return err
	}
	stored, short := 0, 0
	perSource := b.opts.Items + b.opts.Rounds*b.opts.NewPerRound
	for _, n := range counts {
		stored += n
		if n < perSource {
			short++
		}
	}
	lost := max(expected-stored, 0)
	b.printf("stored items: %d, expected %d: %d lost; %d sources short of %d items\n", stored, expected, lost, short, perSource)
	if lost > 0 || short > 0 || stored != expected {
		b.failed = true
	}
	b.lost = lost
	return nil
}

func (b *bench) classify(ctx context.Context) error {
	runtime.GC()
	cpu0 := cpuTime(0)
	start := time.Now()
	n, changed, err := b.curator.ClassifyPending(ctx)
	elapsed := time.Since(start)
	if err != nil {
		if isBusy(err.Error()) {
			b.busy.Add(1)
		}
		return fmt.Errorf("classify: %w", err)
	}
	b.classified, b.classifyTime = n, elapsed
	b.printf("\nclassification: %d items in %.2fs = %.0f items/s, every stored item anew (%d placed in another section; cpu %.2fs; peak rss %.0f MB)\n",
		n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), changed, (cpuTime(0) - cpu0).Seconds(), mb(peakRSS(0)))
	return nil
}

func (b *bench) report() {
	o := b.opts
	b.printf("\npeak RSS (VmHWM): daemon %.1f MB", mb(peakRSS(0)))
	if b.farmPID != 0 {
		b.printf(", farm %.1f MB", mb(peakRSS(b.farmPID)))
	} else {
		b.printf(" (farm included)")
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.printf("\nGo runtime now: heap live %.1f MB, heap in use %.1f MB, obtained from the OS %.1f MB; resident now %.1f MB\n",
		mb(int64(ms.HeapAlloc)), mb(int64(ms.HeapInuse)), mb(int64(ms.Sys)), mb(procStatus(0, "VmRSS:")))
	b.printf("SQLITE_BUSY / database is locked: %d; error log lines: %d; items lost: %d\n", b.busy.Load(), b.logErrs.Load(), b.lost)
	if b.busy.Load() > 0 || b.lost > 0 {
		b.failed = true
	}

	if o.Feeds != 10000 || o.Items != 20 || o.Latency != 0 {
		return
	}
	b.printf("\ntargets (issue 6, 10,000 feeds x 20 items):\n")
	check := func(ok bool, format string, args ...any) {
		verdict := "ok  "
		if !ok {
			verdict = "MISS"
		}
		b.printf("  %s "+format+"\n", append([]any{verdict}, args...)...)
	}
	if len(b.rounds) >= 2 {
		first, same := b.rounds[0], b.rounds[1]
		check(first.sum.Elapsed <= 10*time.Second && first.sum.New == o.Feeds*o.Items,
			"first poll %.2fs <= 10s, %d items stored", first.sum.Elapsed.Seconds(), first.sum.New)
		check(same.sum.Elapsed <= time.Second, "all-304 poll %.2fs <= 1s", same.sum.Elapsed.Seconds())
		// Issue 14: the daemon keeps up with a first poll.
		check(first.classifiedAt <= first.sum.Elapsed+classifyMargin,
			"first poll's last item classified at %.2fs <= poll end %.2fs + %s (issue 14)",
			first.classifiedAt.Seconds(), first.sum.Elapsed.Seconds(), classifyMargin)
	}
	if len(b.rounds) >= 3 && o.NewPerRound == 1 {
		r := b.rounds[2]
		check(r.sum.Elapsed <= 4*time.Second, "one-new-item poll %.2fs <= 4s", r.sum.Elapsed.Seconds())
	}
	check(peakRSS(0) <= 150<<20, "peak RSS %.1f MB <= 150 MB", mb(peakRSS(0)))
	if b.wrkFull > 0 {
		check(b.wrkFull >= 20000, "cached feed with wrk %.0f req/s >= 20,000 (uncompressed)", b.wrkFull)
		check(b.wrkGzip >= 20000, "cached feed with wrk %.0f req/s >= 20,000 (Accept-Encoding: gzip)", b.wrkGzip)
	}
	check(b.busy.Load() == 0, "no SQLITE_BUSY (%d)", b.busy.Load())
	check(b.lost == 0, "no item lost (%d)", b.lost)
}

// classifyMargin is how long after a first poll ends the curator may still
// be classifying its items (issue 14's target).
const classifyMargin = time.Second

func (b *bench) close() error {
	var errs []error
	b.stopCurator()
	b.stopProfile()
	if b.daemon != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		errs = append(errs, b.daemon.Close(ctx))
		cancel()
	}
	if b.farm != nil {
		errs = append(errs, b.farm.Close())
	}
	if b.tmpDir != "" {
		errs = append(errs, os.RemoveAll(b.tmpDir))
	}
	return errors.Join(errs...)
}

// startProfile starts the CPU profile of one phase, if asked for.
func (b *bench) startProfile(phase string) error {
	b.stopProfile()
	if b.opts.CPUProfile == "" {
		return nil
	}
	path := b.opts.CPUProfile + "." + phase + ".pprof"
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	b.profile = f
	b.profiles = append(b.profiles, path)
	return nil
}

func (b *bench) stopProfile() {
	if b.profile != nil {
		pprof.StopCPUProfile()
		b.profile.Close()
		b.profile = nil
	}
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// isBusy reports whether an error text is SQLite's "database is locked".
func isBusy(s string) bool {
	return strings.Contains(s, "database is locked") || strings.Contains(s, "SQLITE_BUSY")
}

// logCounter is the daemon's log output: it counts busy errors and error
// lines, and passes the lines on to stderr with -v.
type logCounter struct{ bench *bench }

func (l *logCounter) Write(p []byte) (int, error) {
	s := string(p)
	if isBusy(s) {
		l.bench.busy.Add(1)
	}
	if strings.Contains(s, `"level":"error"`) {
		l.bench.logErrs.Add(1)
	}
	if l.bench.opts.Verbose {
		return l.bench.stderr.Write(p)
	}
	return len(p), nil
}
