package publisher

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// Rendered is one rendered document, kept in memory between changes.
type Rendered struct {
	Body        []byte
	Gzip        []byte // Body gzipped, or nil when that saves nothing
	ETag        string // strong validator of Body; Gzip's is GzipETag
	Modified    time.Time
	ContentType string

	sum   [sha256.Size]byte
	stamp stamp

	// Header values, formatted once per render (formatHeaders) rather than
	// per request; lastMod is "" when Modified is unknown.
	gzipETag, lastMod string
	maxAge            time.Duration
	cc                string
}

// GzipETag is the validator of the gzipped body: another representation,
// so another strong ETag (RFC 9110 8.8.3).
func (r *Rendered) GzipETag() string { return r.gzipETag }

// cacheControl is the Cache-Control header value for maxAge; a document is
// served with one max-age, whose header is kept.
func (r *Rendered) cacheControl(maxAge time.Duration) string {
	if r.cc != "" && r.maxAge == maxAge {
		return r.cc
	}
	return "public, max-age=" + strconv.Itoa(int(maxAge/time.Second))
}

// formatHeaders fills the header values kept with a render.
func (r *Rendered) formatHeaders(maxAge time.Duration) {
	r.gzipETag = r.ETag[:len(r.ETag)-1] + `-gz"`
	if !r.Modified.IsZero() {
		r.lastMod = r.Modified.UTC().Format(http.TimeFormat)
	}
	r.maxAge, r.cc = maxAge, "public, max-age="+strconv.Itoa(int(maxAge/time.Second))
}

// renderFunc renders a document for a snapshot of the configuration; it
// returns the body and the time its content last changed (zero: unknown).
type renderFunc func(ctx context.Context, s snapshot) (body []byte, modified time.Time, err error)

// get returns the document cached under key if it reflects the current
// store version and options, or renders it. Concurrent callers wanting
// the same document in the same state share one render; renders of other
// documents go on in parallel. A caller that gives up (its ctx ends) does
// not cancel the render for the others.
func (p *Publisher) get(ctx context.Context, key, contentType string, render renderFunc) (*Rendered, error) {
	st, snap, err := p.current(ctx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	old := p.cache[key]
	p.mu.Unlock()
	if old != nil && old.stamp == st {
		return old, nil
	}
	ch := p.renders.DoChan(key+"\x00"+st.String(), func() (any, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), renderTimeout)
		defer cancel()
		start := time.Now()
		body, modified, err := render(rctx, snap)
		if obs := snap.opts.ObserveRender; obs != nil {
			obs(key, time.Since(start), err)
		}
		if err != nil {
			return nil, err
		}
		r := p.newRendered(body, modified, contentType, st, old)
		p.put(key, r)
		return r, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*Rendered), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// newRendered wraps a fresh render. When the bytes equal the previous
// render's, the previous validators are kept: ETag and Last-Modified change
// only when the content does. Otherwise Last-Modified is the content's own
// date, unless that does not move past the previous one (an item removed,
// say), when it is now.
func (p *Publisher) newRendered(body []byte, modified time.Time, contentType string, st stamp, old *Rendered) *Rendered {
	sum := sha256.Sum256(body)
	if old != nil && old.sum == sum && old.ContentType == contentType {
		r := *old
		r.stamp = st
		return &r
	}
	r := &Rendered{
		Body:        body,
		ETag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
		ContentType: contentType,
		sum:         sum,
		stamp:       st,
	}
	now := p.options().Now().UTC().Truncate(time.Second)
	if !modified.IsZero() {
		m := modified.UTC().Truncate(time.Second)
		if m.After(now) {
			m = now
		}
		if old != nil && !old.Modified.IsZero() && !m.After(old.Modified) {
			m = now
			if !m.After(old.Modified) {
				m = old.Modified.Add(time.Second)
			}
		}
		r.Modified = m
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // a valid level cannot fail
	_, _ = zw.Write(body)                                   // writes to a bytes.Buffer cannot fail
	_ = zw.Close()
	if gz.Len() < len(body) {
		r.Gzip = gz.Bytes()
	}
	r.formatHeaders(p.options().MaxAge)
	return r
}

// put caches r under key, unless a render of a newer state got there
// first, and keeps the cache within maxCacheEntries by dropping renders of
// older states, then any others.
func (p *Publisher) put(key string, r *Rendered) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur := p.cache[key]; cur != nil && r.stamp.before(cur.stamp) {
		return
	}
	p.cache[key] = r
	if len(p.cache) <= maxCacheEntries {
		return
	}
	for k, v := range p.cache {
		if v.stamp != r.stamp {
			delete(p.cache, k)
		}
	}
	for k := range p.cache {
		if len(p.cache) <= maxCacheEntries {
			break
		}
		if k != key {
			delete(p.cache, k)
		}
	}
}
