package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// SaveFetch calls do not each run their own transaction: they queue for one
// writer goroutine, which commits whatever has queued up while it was busy
// in a single transaction. A commit is the expensive part of a small write
// (every page it touched goes to the WAL, and the index pages every fetch
// touches are the same few), so when many pollers finish at once the cost is
// shared among them; while fetches keep arriving that way the writer also
// waits a few milliseconds for more before it commits (see lingerFor). A
// lone call, when the store is idle, is committed at once.
//
// Each call still succeeds or fails alone: should one fail, the batch is
// rolled back and its calls are written again one by one, each in its own
// transaction; and a caller hears back only after the commit that made its
// write durable (or after the rollback), so an error still means nothing of
// that call was written.

// Batch limits: enough to share a commit among the busiest pollers, small
// enough that the write lock is never held for long.
const (
	maxBatchFetches = 256
	maxBatchItems   = 8192
)

// saveQueue is the channel's capacity: callers beyond it wait to enqueue.
const saveQueue = 256

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("database closed")

// saveRequest is one SaveFetch call, queued for the writer.
type saveRequest struct {
	ctx      context.Context
	sourceID int64
	st       feeds.FetchState
	items    []feeds.Item
	decided  *decided // the items' decisions, or nil: see decide.go
	now      time.Time

	state atomic.Int32    // requestPending, then requestClaimed or requestAbandoned
	done  chan saveResult // buffered: the writer never blocks on a reply
}

const (
	requestPending int32 = iota
	requestClaimed
	requestAbandoned
)

type saveResult struct {
	stats feeds.SaveStats
	err   error
}

// saveStats are a fetch's feeds.SaveStats and how many of its new items
// were stored without a decision.
type saveStats struct {
	feeds.SaveStats
	decided, undecided int
}

// writer is the goroutine behind SaveFetch.
type writer struct {
	queue chan *saveRequest
	mu    sync.RWMutex // read-held while enqueuing; Close write-locks it to stop new requests
	shut  bool
	done  chan struct{} // closed when the loop has returned

	decider atomic.Pointer[deciderBox] // see SetDecider
	queued  chan struct{}              // see ItemsQueued
}

// writeStats count the writer's work.
type writeStats struct {
	commits, saved atomic.Int64 // transactions committed, and the fetches they held
}

// SaveStats returns how many transactions SaveFetch has committed since the
// store was opened, and how many fetches they held: the second divided by
// the first is the average batch.
func (db *DB) SaveStats() (commits, fetches int64) {
	return db.writeStats.commits.Load(), db.writeStats.saved.Load()
}

func (db *DB) startWriter(ctx context.Context) error {
	s, err := prepareSave(ctx, db.write, db.read)
	if err != nil {
		return fmt.Errorf("prepare statements: %w", err)
	}
	db.saver = s
	db.writer = &writer{queue: make(chan *saveRequest, saveQueue), done: make(chan struct{}), queued: make(chan struct{}, 1)}
	go db.writeLoop(db.writer)
	return nil
}

// stopWriter lets the writer finish what is queued, then stops it.
func (db *DB) stopWriter() error {
	w := db.writer
	if w == nil {
		return nil
	}
	w.mu.Lock()
	if !w.shut {
		w.shut = true
		close(w.queue)
	}
	w.mu.Unlock()
	<-w.done
	if err := db.saver.close(); err != nil {
		return fmt.Errorf("close statements: %w", err)
	}
	return nil
}

// enqueueSave hands r to the writer and waits for the outcome. Until the
// writer claims r the caller may give up (ctx); once claimed, it waits for
// the commit, so that an error never hides a write that happened.
func (db *DB) enqueueSave(r *saveRequest) (feeds.SaveStats, error) {
	if err := r.ctx.Err(); err != nil {
		return feeds.SaveStats{}, err
	}
	w := db.writer
	w.mu.RLock()
	if w.shut {
		w.mu.RUnlock()
		return feeds.SaveStats{}, ErrClosed
	}
	select {
	case w.queue <- r:
	case <-r.ctx.Done():
		w.mu.RUnlock()
		return feeds.SaveStats{}, r.ctx.Err()
	}
	w.mu.RUnlock()

	select {
	case res := <-r.done:
		return res.stats, res.err
	case <-r.ctx.Done():
		if r.state.CompareAndSwap(requestPending, requestAbandoned) {
			return feeds.SaveStats{}, r.ctx.Err()
		}
		res := <-r.done
		return res.stats, res.err
	}
}

func (db *DB) writeLoop(w *writer) {
	defer close(w.done)
	batch := make([]*saveRequest, 0, maxBatchFetches)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	concurrent := false // the last batch held more than one fetch
	for {
		r, ok := <-w.queue
		if !ok {
			return
		}
		batch = append(batch[:0], r)
		items := len(r.items)
		// Take what is queued already.
	drain:
		for len(batch) < maxBatchFetches && items < maxBatchItems {
			select {
			case r, ok := <-w.queue:
				if !ok {
					break drain
				}
				batch = append(batch, r)
				items += len(r.items)
			default:
				break drain
			}
		}
		// While fetches arrive from many pollers at once, wait a moment for
		// more. A lone caller never waits.
		if concurrent || len(batch) > 1 {
			linger.Reset(lingerFor)
		wait:
			for len(batch) < lingerFetches && items < maxBatchItems {
				select {
				case r, ok := <-w.queue:
					if !ok {
						break wait
					}
					batch = append(batch, r)
					items += len(r.items)
				case <-linger.C:
					break wait
				}
			}
			linger.Stop()
		}
		concurrent = len(batch) > 1
		db.writeBatch(batch)
		clear(batch)
	}
}

// While fetches arrive concurrently, the writer waits up to lingerFor for
// up to lingerFetches of them before it commits: a few milliseconds
// of latency buy far fewer and larger commits, which is where a burst of
// small writes spends its time. (Timers since Go 1.23 deliver nothing stale
// after Stop or Reset, so the timer is reused without draining.)
const (
	lingerFor     = 5 * time.Millisecond
	lingerFetches = 64
)

// writeBatch commits batch in one transaction and replies to every request
// in it. Should the transaction fail as a whole (not one request in it), the
// requests are retried one by one, so that none fails for another's fault.
func (db *DB) writeBatch(batch []*saveRequest) {
	results, live, err := db.saveBatch(batch)
	if err == nil {
		for i, r := range live {
			r.done <- results[i]
		}
		return
	}
	if len(live) == 1 {
		live[0].done <- saveResult{err: err}
		return
	}
	for _, r := range live {
		// Already claimed: saveBatch claims nothing twice.
		results, _, err := db.saveClaimed([]*saveRequest{r})
		if err != nil {
			r.done <- saveResult{err: err}
		} else {
			r.done <- results[0]
		}
	}
}

// saveBatch begins a transaction, claims the requests whose callers still
// wait (answering those whose context ended meanwhile) and saves them. It
// returns the claimed requests and their results, or an error that failed
// the transaction as a whole.
func (db *DB) saveBatch(batch []*saveRequest) ([]saveResult, []*saveRequest, error) {
	ctx := context.Background()
	tx, err := db.write.BeginTx(ctx, nil)
	// Claim only once the write lock is held: until then callers may give up.
	live := make([]*saveRequest, 0, len(batch))
	for _, r := range batch {
		if !r.state.CompareAndSwap(requestPending, requestClaimed) {
			continue // abandoned by its caller
		}
		if err := r.ctx.Err(); err != nil {
			r.done <- saveResult{err: err}
			continue
		}
		live = append(live, r)
	}
	if err != nil {
		return nil, live, err
	}
	if len(live) == 0 {
		_ = tx.Rollback()
		return nil, nil, nil
	}
	results, err := db.saveInTx(ctx, tx, live)
	if err != nil {
		_ = tx.Rollback()
		return nil, live, err
	}
	return results, live, nil
}

// saveClaimed saves requests already claimed, in a transaction of their own.
func (db *DB) saveClaimed(reqs []*saveRequest) ([]saveResult, []*saveRequest, error) {
	ctx := context.Background()
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, reqs, err
	}
	results, err := db.saveInTx(ctx, tx, reqs)
	if err != nil {
		_ = tx.Rollback()
		return nil, reqs, err
	}
	return results, reqs, nil
}

// saveInTx writes reqs in tx and commits. A request for an unknown source
// writes nothing and gets feeds.ErrNotFound; any other failure of a request
// is returned, and fails the transaction: writeBatch then retries the
// requests one by one, so that the failure reaches the request it belongs
// to and no other. (Savepoints would isolate a failure without the retry,
// but cost a sub-journal copy of every page each request touches, on every
// batch, for the sake of a failure that hardly ever happens.)
func (db *DB) saveInTx(ctx context.Context, tx *sql.Tx, reqs []*saveRequest) ([]saveResult, error) {
	s := db.saver.in(ctx, tx)
	results := make([]saveResult, len(reqs))
	changed, queued, written := false, false, 0
	var versions []string // of the decisions stored
	for i, r := range reqs {
		stats, err := s.saveFetch(ctx, r.sourceID, r.st, r.items, r.decided, r.now, db.cutoff(r.now))
		switch {
		case errors.Is(err, feeds.ErrNotFound):
			results[i].err = err
		case err != nil:
			return nil, err
		default:
			results[i].stats = stats.SaveStats
			changed = changed || stats.New+stats.Updated > 0
			queued = queued || stats.Updated+stats.undecided > 0
			if stats.decided > 0 && !slices.Contains(versions, r.decided.version) {
				versions = append(versions, r.decided.version)
			}
			written++
		}
	}
	if written == 0 {
		return results, tx.Rollback()
	}
	if changed {
		if err := bumpVersion(ctx, tx); err != nil {
			return nil, err
		}
	}
	if err := db.commit(tx); err != nil {
		return nil, err
	}
	db.writeStats.commits.Add(1)
	db.writeStats.saved.Add(int64(written))
	if queued || db.writer.outdated(versions) {
		db.writer.signalQueued()
	}
	return results, nil
}
