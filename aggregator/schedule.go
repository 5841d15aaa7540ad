package aggregator

import (
	"container/heap"
	"context"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// Options tune the Poller and Fetcher. Zero fields take DefaultOptions' values.
type Options struct {
	DefaultInterval time.Duration    // poll interval when Source.Interval is 0
	MinInterval     time.Duration    // floor for any computed next check
	MaxInterval     time.Duration    // cap for server hints (ttl, max-age, Expires, Retry-After) and for backoff
	Jitter          float64          // fraction of the interval added or removed at random, in [0, 1)
	Workers         int              // bounded worker pool size
	PerHost         int              // concurrent fetches per host
	Timeout         time.Duration    // whole request including body, per fetch
	MaxBodySize     int64            // response body cap after decompression
	MaxItems        int              // items taken from one document, the first ones; 0 means feeds.DefaultMaxItems
	UserAgent       string           //
	Now             func() time.Time // clock
	Rand            func() float64   // jitter source in [0, 1); nil means math/rand/v2
	Observe         func(Result)     // if set, called after every poll (metrics); must be quick and safe for concurrent use
	DenyPrivate     bool             // refuse to fetch from loopback and private addresses (redirects included): see NewHTTPClient
	Proxy           string           // proxy URL for every fetch, trusted even on a private address; "" means the environment's (HTTP_PROXY and the like)

	// lookup resolves a host name for the proxy guard; nil means the
	// system's resolver. Tests set it.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// DefaultOptions returns the settings used for zero Options fields.
func DefaultOptions() Options {
	return Options{
		DefaultInterval: 30 * time.Minute,
		MinInterval:     time.Minute,
		MaxInterval:     24 * time.Hour,
		Jitter:          0.1,
		Workers:         16,
		PerHost:         2,
		Timeout:         30 * time.Second,
		MaxBodySize:     10 << 20,
		UserAgent:       "feedcurator/1.0 (+https://github.com/feedcurator/feedcurator)",
		Now:             time.Now,
		Rand:            rand.Float64,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.DefaultInterval <= 0 {
		o.DefaultInterval = d.DefaultInterval
	}
	if o.MinInterval <= 0 {
		o.MinInterval = d.MinInterval
	}
	if o.MaxInterval <= 0 {
		o.MaxInterval = d.MaxInterval
	}
	o.MaxInterval = max(o.MaxInterval, o.MinInterval)
	if o.Jitter < 0 {
		o.Jitter = 0
	}
	if o.Jitter >= 1 {
		o.Jitter = 0.99
	}
	if o.Workers <= 0 {
		o.Workers = d.Workers
	}
	if o.PerHost <= 0 {
		o.PerHost = d.PerHost
	}
	if o.Timeout <= 0 {
		o.Timeout = d.Timeout
	}
	if o.MaxBodySize <= 0 {
		o.MaxBodySize = d.MaxBodySize
	}
	if o.UserAgent == "" {
		o.UserAgent = d.UserAgent
	}
	if o.Now == nil {
		o.Now = d.Now
	}
	if o.Rand == nil {
		o.Rand = d.Rand
	}
	return o
}

// interval is how often src is polled when all is well.
func (o Options) interval(src feeds.Source) time.Duration {
	if src.Interval > 0 {
		return src.Interval
	}
	return o.DefaultInterval
}

// successDelay is the wait after a good fetch: the interval with jitter,
// raised to each server hint (capped at MaxInterval), at least MinInterval.
func (o Options) successDelay(interval time.Duration, hints ...time.Duration) time.Duration {
	d := interval
	if o.Jitter > 0 {
		d = time.Duration(float64(interval) * (1 + o.Jitter*(2*o.Rand()-1)))
	}
	for _, h := range hints {
		d = max(d, min(h, o.MaxInterval))
	}
	return max(d, o.MinInterval)
}

// errorDelay is the wait after the errorCount-th failure in a row:
// interval * 2^(errorCount-1), capped, raised to retryAfter (capped too).
// The cap is MaxInterval, or the interval itself when that is longer, so a
// failing source is never polled more often than a healthy one.
func (o Options) errorDelay(interval time.Duration, errorCount int, retryAfter time.Duration) time.Duration {
	limit := max(o.MaxInterval, interval)
	d := interval
	for i := 1; i < errorCount && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	d = max(d, min(retryAfter, o.MaxInterval))
	return max(d, o.MinInterval)
}

// entry is one source in the Poller's schedule.
type entry struct {
	src      feeds.Source // config plus the latest fetch state
	next     time.Time    // when it is due
	index    int          // position in the queue; -1 when not queued
	busy     bool         // claimed by a fetch (running or waiting for its host)
	removed  bool         // dropped by SetSources while busy
	digest   *docDigest   // items of the document last saved; nil: parse the next one whole
	polled   bool         // polled since the Poller started: lastKind is known
	lastKind string       // ErrorKind of the last poll's error, "" if it succeeded
}

// queue is a min-heap of idle entries by next check.
type queue []*entry

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].next.Equal(q[j].next) {
		return q[i].src.ID < q[j].src.ID
	}
	return q[i].next.Before(q[j].next)
}
func (q queue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}
func (q *queue) Push(x any) {
	e := x.(*entry)
	e.index = len(*q)
	*q = append(*q, e)
}
func (q *queue) Pop() any {
	old := *q
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	e.index = -1
	*q = old[:n-1]
	return e
}

var _ heap.Interface = (*queue)(nil)
