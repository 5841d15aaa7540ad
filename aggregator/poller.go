package aggregator

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

// Store is what the aggregator needs from storage.
type Store interface {
	// SaveFetch writes the source's new fetch state and the fetched items in one transaction.
	SaveFetch(ctx context.Context, sourceID int64, st feeds.FetchState, items []feeds.Item, now time.Time) (feeds.SaveStats, error)
}

// Outcomes of one poll, as in Result.Outcome.
const (
	OutcomeOK          = "ok"
	OutcomeNotModified = "not_modified"
	OutcomeError       = "error"
)

// saveTimeout bounds a store write. Writes outlive the poll's context (a
// fetched result is not thrown away at shutdown) but must not hang forever.
const saveTimeout = time.Minute

// Result is the outcome of polling one source.
type Result struct {
	Source    feeds.Source // the source, its State as it now stands
	Outcome   string       // OutcomeOK, OutcomeNotModified or OutcomeError
	Stats     feeds.SaveStats
	Err       error // fetch or store error when Outcome is OutcomeError
	Elapsed   time.Duration
	NextCheck time.Time
}

// Summary totals the results of PollAll.
type Summary struct {
	Sources, OK, NotModified, Errors, New, Updated, Unchanged int
	Elapsed                                                   time.Duration
}

func (s *Summary) add(r Result) {
	s.Sources++
	switch r.Outcome {
	case OutcomeOK:
		s.OK++
	case OutcomeNotModified:
		s.NotModified++
	default:
		s.Errors++
	}
	s.New += r.Stats.New
	s.Updated += r.Stats.Updated
	s.Unchanged += r.Stats.Unchanged
}

// Poller polls sources on their schedules and saves what it fetches.
//
// It keeps one entry per source in a priority queue keyed by next check.
// Fetches run in a pool of Options.Workers goroutines with at most
// Options.PerHost at a time against one host; sources waiting for a busy
// host queue behind it without holding a worker.
type Poller struct {
	store   Store
	fetcher *Fetcher
	opts    Options
	log     zerolog.Logger
	slots   chan struct{} // worker pool: one token per running worker
	saving  chan struct{} // one token per save in progress
	wake    chan struct{} // nudges Run to look at the queue again

	heartbeat atomic.Int64 // unix nanoseconds of the scheduler's last turn

	mu      sync.Mutex
	entries map[int64]*entry
	queue   queue
	hosts   map[string]*hostState
}

// hostState counts the workers fetching from one host, and the jobs
// waiting for one of them to finish.
type hostState struct {
	active  int
	waiting []*job
}

// job is one claimed poll of one entry.
type job struct {
	ctx  context.Context
	e    *entry
	src  feeds.Source // snapshot taken when claimed
	dg   *docDigest   // the entry's digest when claimed
	prev prevKind     // the kind of the entry's last failure when claimed
	host string
	done func(*Result) // called once; nil when the job never ran (cancelled while waiting)
}

// NewPoller returns a Poller saving to store. A nil client means
// NewHTTPClient(opts). Zero Options fields take DefaultOptions' values.
func NewPoller(store Store, client *http.Client, opts Options, logger zerolog.Logger) *Poller {
	opts = opts.withDefaults()
	return &Poller{
		store:   store,
		fetcher: NewFetcher(client, opts),
		opts:    opts,
		log:     logger.With().Str(logkey.Component, "aggregator").Logger(),
		slots:   make(chan struct{}, opts.Workers),
		saving:  make(chan struct{}, opts.Workers*pendingSavesPerWorker),
		wake:    make(chan struct{}, 1),
		entries: make(map[int64]*entry),
		hosts:   make(map[string]*hostState),
	}
}

// SetSources replaces the set of sources. Sources that remain (same ID and
// ConfigURL) keep their in-memory schedule and state and take the new
// configuration; new ones are due at State.NextCheck (zero means now);
// removed ones are dropped, once any fetch in flight has finished. Safe to
// call while Run is running.
func (p *Poller) SetSources(sources []feeds.Source) {
	now := p.opts.Now()
	p.mu.Lock()
	keep := make(map[int64]bool, len(sources))
	for _, s := range sources {
		keep[s.ID] = true
		if e := p.entries[s.ID]; e != nil {
			if e.src.ConfigURL == s.ConfigURL {
				st := e.src.State
				e.src = s
				e.src.State = st
				e.removed = false
				continue
			}
			// A different URL is a different feed: start afresh.
			p.dropLocked(e)
			delete(p.entries, s.ID)
		}
		e := &entry{src: s, next: s.State.NextCheck, index: -1}
		if e.next.IsZero() {
			e.next = now
		}
		p.entries[s.ID] = e
		if !s.State.Gone {
			heap.Push(&p.queue, e)
		}
	}
	for id, e := range p.entries {
		if !keep[id] {
			p.dropLocked(e)
		}
	}
	p.mu.Unlock()
	p.signal()
}

// dropLocked removes e from the schedule; a busy entry goes when its fetch ends.
func (p *Poller) dropLocked(e *entry) {
	if e.busy {
		e.removed = true
		return
	}
	if e.index >= 0 {
		heap.Remove(&p.queue, e.index)
	}
	delete(p.entries, e.src.ID)
}

// Sources returns the current sources, ordered by ID, with their in-memory
// fetch state; State.NextCheck is when each is next due.
func (p *Poller) Sources() []feeds.Source {
	p.mu.Lock()
	out := make([]feeds.Source, 0, len(p.entries))
	for _, e := range p.entries {
		if e.removed {
			continue
		}
		s := e.src
		s.State.NextCheck = e.next
		out = append(out, s)
	}
	p.mu.Unlock()
	slices.SortFunc(out, func(a, b feeds.Source) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Run polls sources as they fall due until ctx is cancelled. It then stops
// dispatching, cancels fetches in flight, waits for the results already
// fetched to be written, and returns nil. Run only one Run at a time.
func (p *Poller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	done := func(*Result) { wg.Done() }

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		p.heartbeat.Store(time.Now().UnixNano())
		// Take a worker before popping, so that while the pool is full the
		// due sources stay in the queue, in order.
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		if ctx.Err() != nil {
			<-p.slots
			return nil
		}
		j, wait := p.nextDue(ctx, done)
		if j != nil {
			wg.Add(1)
			p.dispatch(j)
			continue
		}
		<-p.slots
		// Wake at least every heartbeatInterval, so Heartbeat shows a live
		// scheduler even when nothing is due for hours.
		if wait < 0 || wait > heartbeatInterval {
			wait = heartbeatInterval
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-p.wake:
		}
		timer.Stop()
	}
}

// heartbeatInterval is the longest the scheduler sleeps between turns.
const heartbeatInterval = 15 * time.Second

// Heartbeat returns when the scheduler last looked at its queue: the zero
// time if Run has not started. A scheduler that is alive looks at least every
// 15 seconds.
func (p *Poller) Heartbeat() time.Time {
	n := p.heartbeat.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// nextDue claims the earliest entry if it is due. Otherwise it returns how
// long until the earliest one is, or -1 if the queue is empty.
func (p *Poller) nextDue(ctx context.Context, done func(*Result)) (*job, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		return nil, -1
	}
	e := p.queue[0]
	if wait := e.next.Sub(p.opts.Now()); wait > 0 {
		return nil, wait
	}
	return p.claimLocked(ctx, e, done), 0
}

// PollAll polls every source once now, ignoring the schedule, through the
// same pool and per-host limits as Run, and waits for them. onResult (may be
// nil) is called for each finished source, one call at a time. Sources being
// fetched by Run at that moment are skipped. If ctx is cancelled, sources not
// yet started are skipped too.
func (p *Poller) PollAll(ctx context.Context, onResult func(Result)) Summary {
	start := time.Now()
	var (
		mu  sync.Mutex
		sum Summary
		wg  sync.WaitGroup
	)
	done := func(r *Result) {
		defer wg.Done()
		if r == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		sum.add(*r)
		if onResult != nil {
			onResult(*r)
		}
	}

	p.mu.Lock()
	idle := make([]*entry, 0, len(p.entries))
	for _, e := range p.entries {
		if !e.busy && !e.src.State.Gone {
			idle = append(idle, e)
		}
	}
	slices.SortFunc(idle, func(a, b *entry) int { return cmp.Compare(a.src.ID, b.src.ID) })
	jobs := make([]*job, len(idle))
	for i, e := range idle {
		jobs[i] = p.claimLocked(ctx, e, done)
	}
	p.mu.Unlock()

	for i, j := range jobs {
		acquired := false
		select {
		case p.slots <- struct{}{}:
			acquired = true
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			if acquired {
				<-p.slots
			}
			p.mu.Lock()
			for _, j := range jobs[i:] {
				p.settleLocked(j.e, nil, nil)
			}
			p.mu.Unlock()
			p.signal()
			break
		}
		wg.Add(1)
		p.dispatch(j)
	}
	wg.Wait()
	sum.Elapsed = time.Since(start)
	return sum
}

// claimLocked takes e out of the queue for a fetch.
func (p *Poller) claimLocked(ctx context.Context, e *entry, done func(*Result)) *job {
	if e.index >= 0 {
		heap.Remove(&p.queue, e.index)
	}
	e.busy = true
	return &job{ctx: ctx, e: e, src: e.src, dg: e.digest, prev: prevKind{e.polled, e.lastKind}, host: hostOf(e.src), done: done}
}

// settleLocked puts e back in the queue after a fetch, with its new state
// (nil: unchanged, the fetch did not happen) and digest, or forgets it if
// removed.
func (p *Poller) settleLocked(e *entry, st *feeds.FetchState, dg *docDigest) {
	e.busy = false
	if e.removed {
		if p.entries[e.src.ID] == e {
			delete(p.entries, e.src.ID)
		}
		return
	}
	if st != nil {
		e.src.State = *st
		e.next = st.NextCheck
		e.digest = dg
	}
	if e.src.State.Gone {
		return // kept for Sources, never scheduled again
	}
	heap.Push(&p.queue, e)
}

// dispatch runs j on the worker slot the caller holds, or, if j's host is
// at its limit, queues j behind that host and gives the slot back.
func (p *Poller) dispatch(j *job) {
	p.mu.Lock()
	hs := p.hosts[j.host]
	if hs == nil {
		hs = &hostState{}
		p.hosts[j.host] = hs
	}
	if hs.active >= p.opts.PerHost {
		hs.waiting = append(hs.waiting, j)
		p.mu.Unlock()
		<-p.slots
		return
	}
	hs.active++
	p.mu.Unlock()
	go p.work(j)
}

// work polls j, then, keeping its worker and host slot, the jobs waiting
// for the same host, one by one. A worker only fetches and parses: it hands
// each save to a goroutine of its own and moves on, so that the fetches
// keep going while the store writes, and the store gets the saves of many
// sources at once, which it commits together (see sqlite.DB.SaveFetch). At
// most Workers*pendingSavesPerWorker saves wait at a time; past that a
// worker waits too. A source stays claimed until its save is done.
func (p *Poller) work(j *job) {
	defer func() { <-p.slots }()
	for j != nil {
		f := p.fetch(j.ctx, j.src, j.dg)

		var next *job
		var dropped []*job
		p.mu.Lock()
		hs := p.hosts[j.host]
		for next == nil && len(hs.waiting) > 0 {
			w := hs.waiting[0]
			hs.waiting[0] = nil
			hs.waiting = hs.waiting[1:]
			if w.ctx.Err() != nil {
				p.settleLocked(w.e, nil, nil)
				dropped = append(dropped, w)
				continue
			}
			next = w
		}
		if next == nil {
			hs.active--
			if hs.active == 0 {
				delete(p.hosts, j.host)
			}
		}
		p.mu.Unlock()

		p.saving <- struct{}{}
		go p.finish(j, f)
		for _, w := range dropped {
			w.done(nil)
		}
		j = next
	}
}

// pendingSavesPerWorker bounds the saves waiting for the store.
const pendingSavesPerWorker = 4

// finish saves what j fetched, puts its source back in the schedule and
// reports the result.
func (p *Poller) finish(j *job, f *fetched) {
	defer func() { <-p.saving }()
	res, st, dg := p.save(j.ctx, f, j.prev)
	p.mu.Lock()
	if st != nil {
		j.e.polled, j.e.lastKind = true, ErrorKind(res.Err)
	}
	p.settleLocked(j.e, st, dg)
	p.mu.Unlock()
	p.signal()
	if res != nil && p.opts.Observe != nil {
		p.opts.Observe(*res)
	}
	j.done(res)
}

func (p *Poller) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// hostOf is the per-host limit's key for src.
func hostOf(src feeds.Source) string {
	raw := src.State.URL
	if raw == "" {
		raw = src.ConfigURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// fetched is one fetch's outcome, to be saved.
type fetched struct {
	src       feeds.Source
	dg        *docDigest // the digest the fetch parsed against
	start     time.Time
	cancelled error // ctx ended before anything was fetched: save nothing
	resp      *Response
	fetchErr  error
	now       time.Time
	st        feeds.FetchState
	items     []feeds.Item
	status    int
	retry     time.Duration
	outcome   string
	dp        deltaParser
}

// fetch fetches and parses src against dg, the digest of the document last
// saved (nil for none), and works out the source's new state.
func (p *Poller) fetch(ctx context.Context, src feeds.Source, dg *docDigest) *fetched {
	f := &fetched{src: src, dg: dg, start: time.Now(), outcome: OutcomeOK}
	f.dp.prev, f.dp.parser = dg, p.fetcher.parser
	resp, err := p.fetcher.fetch(ctx, src, f.dp.parseContext)
	if err != nil && ctx.Err() != nil {
		// Shutdown or the caller's deadline: not the source's fault.
		f.cancelled = err
		return f
	}
	f.resp, f.fetchErr, f.now = resp, err, p.opts.Now()
	if err != nil {
		var fe *FetchError
		if errors.As(err, &fe) {
			f.status, f.retry = fe.StatusCode, fe.RetryAfter
		}
		f.st = p.failedState(src, f.now, err, f.status, f.retry)
		f.outcome = OutcomeError
	} else {
		f.status = resp.StatusCode
		f.st, f.items = p.succeededState(src, f.now, resp)
		if resp.NotModified {
			f.outcome = OutcomeNotModified
		}
	}
	return f
}

// save writes what fetch found and logs it. It returns the source's new
// in-memory state and digest, or a nil state if the fetch was cancelled
// before anything was fetched, in which case nothing was saved.
func (p *Poller) save(ctx context.Context, f *fetched, prev prevKind) (*Result, *feeds.FetchState, *docDigest) {
	src := f.src
	if f.cancelled != nil {
		return &Result{Source: src, Outcome: OutcomeError, Err: f.cancelled, Elapsed: time.Since(f.start), NextCheck: src.State.NextCheck}, nil, f.dg
	}
	st, outcome, err, dg := f.st, f.outcome, f.fetchErr, f.dg

	// The write outlives ctx: what was fetched is saved even at shutdown.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	stats, serr := p.store.SaveFetch(saveCtx, src.ID, st, f.items, f.now)
	cancel()
	switch {
	case serr != nil:
		// Nothing was written. Keep the old validators in memory so the next
		// poll fetches the items again instead of getting a 304, and parse
		// them all again.
		err = &storeError{serr}
		st = p.failedState(src, f.now, err, f.status, 0)
		outcome, stats = OutcomeError, feeds.SaveStats{}
		dg = nil
	case err == nil && !f.resp.NotModified:
		// The items the parse skipped are the store's unchanged ones.
		stats.Unchanged += f.dp.skipped
		dg = f.dp.next
	}

	res := &Result{Outcome: outcome, Stats: stats, Err: err, Elapsed: time.Since(f.start), NextCheck: st.NextCheck}
	res.Source = src
	res.Source.State = st
	p.logResult(src, src.State, st, prev, res, f.resp, f.fetchErr, f.retry)
	return res, &st, dg
}

// failedState is src's state after a failed fetch (or save): validators and
// feed metadata kept, error counted, next check backed off.
func (p *Poller) failedState(src feeds.Source, now time.Time, err error, status int, retry time.Duration) feeds.FetchState {
	st := src.State
	if st.URL == "" {
		st.URL = src.ConfigURL
	}
	st.LastFetch = now
	st.LastStatus = status
	st.ErrorCount++
	st.LastError = err.Error()
	st.NextCheck = now.Add(p.opts.errorDelay(p.opts.interval(src), st.ErrorCount, retry))
	if status == http.StatusGone {
		// The server says the feed is gone for good: stop asking.
		st.Gone, st.NextCheck = true, time.Time{}
	}
	return st
}

// succeededState is src's state after a 2xx or 304, and the items to save.
func (p *Poller) succeededState(src feeds.Source, now time.Time, resp *Response) (feeds.FetchState, []feeds.Item) {
	st := src.State
	if st.URL == "" {
		st.URL = src.ConfigURL
	}
	if resp.MovedTo != "" {
		st.URL = resp.MovedTo
	}
	st.LastFetch = now
	st.LastSuccess = now
	st.LastStatus = resp.StatusCode
	st.ErrorCount = 0
	st.LastError = ""
	hints := []time.Duration{resp.CacheFor}
	var items []feeds.Item
	if resp.NotModified {
		// A 304 may refresh the validators; absent ones stay valid.
		if resp.ETag != "" {
			st.ETag = resp.ETag
		}
		if resp.LastModified != "" {
			st.LastModified = resp.LastModified
		}
	} else {
		st.ETag = resp.ETag
		st.LastModified = resp.LastModified
		f := resp.Feed
		st.FeedTitle, st.FeedLink, st.FeedLang = f.Title, f.Link, f.Language
		hints = append(hints, f.TTL)
		items = f.Items
		for i := range items {
			items[i].SourceID = src.ID
		}
	}
	st.NextCheck = now.Add(p.opts.successDelay(p.opts.interval(src), hints...))
	return st, items
}

// prevKind is what the Poller knows of a source's last failure.
type prevKind struct {
	known bool   // polled since the Poller started
	kind  string // ErrorKind of its error, "" if it succeeded
}

// repeated reports whether a poll that failed with err, leaving state st
// after prev, repeats the failure already logged: the same kind of error
// (see ErrorKind), whose text may differ in addresses, ports or timings
// from one poll to the next. Before its first poll since the Poller
// started, a source's last kind is unknown; then only the very same error
// as the one stored counts as a repeat.
func repeated(pk prevKind, prev, st feeds.FetchState, err error) bool {
	if pk.known {
		return pk.kind != "" && pk.kind == ErrorKind(err)
	}
	return prev.ErrorCount > 0 && st.LastError == prev.LastError
}

// logResult logs one poll. Failures are logged when the kind of error
// changes, not on every retry; a recovery is logged once; routine fetches
// at debug. Source URLs are logged redacted.
func (p *Poller) logResult(src feeds.Source, prev, st feeds.FetchState, pk prevKind, res *Result, resp *Response, fetchErr error, retry time.Duration) {
	l := p.log.With().
		Int64(logkey.SourceID, src.ID).
		Str(logkey.SourceName, src.Name).
		Str(logkey.SourceURL, feeds.RedactURL(src.ConfigURL)).
		Logger()

	if res.Err != nil {
		if repeated(pk, prev, st, res.Err) {
			return
		}
		ev, msg := l.Warn(), "fetch failed"
		if fetchErr == nil {
			ev, msg = l.Error(), "save failed"
		}
		if st.LastStatus != 0 {
			ev = ev.Int(logkey.Status, st.LastStatus)
		}
		if retry > 0 {
			ev = ev.Dur(logkey.RetryAfter, retry)
		}
		ev.Err(res.Err).
			Str(logkey.ErrorKind, ErrorKind(res.Err)).
			Int(logkey.ErrorCount, st.ErrorCount).
			Time(logkey.NextCheck, st.NextCheck).
			Msg(msg)
		return
	}

	if prev.ErrorCount > 0 {
		l.Info().Int(logkey.ErrorCount, prev.ErrorCount).Msg("source recovered")
	}
	if resp.MovedTo != "" && resp.MovedTo != prev.URL {
		l.Info().Str(logkey.Location, feeds.RedactURL(resp.MovedTo)).Msg("feed moved permanently")
	}
	ev := l.Debug().
		Int(logkey.Status, st.LastStatus).
		Dur(logkey.Elapsed, res.Elapsed).
		Time(logkey.NextCheck, st.NextCheck)
	if resp.NotModified {
		ev.Msg("not modified")
		return
	}
	ev.Int(logkey.Items, res.Stats.New+res.Stats.Updated+res.Stats.Unchanged).
		Int(logkey.New, res.Stats.New).
		Int(logkey.Updated, res.Stats.Updated).
		Int(logkey.Unchanged, res.Stats.Unchanged).
		Msg("fetched")
}
