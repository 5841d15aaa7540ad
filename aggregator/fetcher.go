package aggregator

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// MaxRedirects is how many redirects a fetch follows before giving up.
const MaxRedirects = 10

// acceptFeeds prefers feed media types but takes anything: many servers label
// feeds text/html or application/octet-stream, and Parse sniffs the content.
const acceptFeeds = "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"

// Errors a fetch can wrap. Test for them with errors.Is.
var (
	// ErrBodyTooLarge means the (decompressed) body exceeded MaxBodySize.
	ErrBodyTooLarge = errors.New("body too large")
	// ErrTimeout means the fetch took longer than its own Timeout.
	ErrTimeout = errors.New("timed out")
	// ErrRedirectLoop means a redirect pointed at a URL already visited.
	ErrRedirectLoop = errors.New("redirect loop")
	// ErrTooManyRedirects means the chain was longer than MaxRedirects.
	ErrTooManyRedirects = errors.New("too many redirects")
)

// FetchError describes a failed fetch. Every error returned by Fetch is one.
type FetchError struct {
	URL        string        // the URL that failed: the last one requested
	StatusCode int           // HTTP status, 0 when no response was received
	RetryAfter time.Duration // the server's Retry-After on 429 and 503, else 0
	Err        error         // the cause; nil when the status itself is the failure
}

func (e *FetchError) Error() string {
	var b strings.Builder
	b.WriteString("fetch ")
	b.WriteString(e.URL)
	b.WriteString(": ")
	ok := e.StatusCode == 0 || e.StatusCode == http.StatusNotModified || (e.StatusCode >= 200 && e.StatusCode < 300)
	if !ok {
		b.WriteString("status ")
		b.WriteString(strconv.Itoa(e.StatusCode))
		if t := http.StatusText(e.StatusCode); t != "" {
			b.WriteByte(' ')
			b.WriteString(t)
		}
		if e.Err != nil {
			b.WriteString(": ")
		}
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *FetchError) Unwrap() error { return e.Err }

// bodyTooLargeError reads "body exceeds N bytes" and matches ErrBodyTooLarge.
type bodyTooLargeError struct{ limit int64 }

func (e *bodyTooLargeError) Error() string {
	return "body exceeds " + strconv.FormatInt(e.limit, 10) + " bytes"
}

func (e *bodyTooLargeError) Is(target error) bool { return target == ErrBodyTooLarge }

// Redirect is one hop of a followed redirect chain.
type Redirect struct {
	StatusCode int    // 301, 302, 303, 307 or 308
	URL        string // where it pointed
}

// Response is the outcome of a successful fetch: 2xx with a parsed feed, or
// 304 Not Modified without one.
type Response struct {
	URL          string        // final URL, after redirects
	Redirects    []Redirect    // the chain followed, in order; empty if none
	MovedTo      string        // final URL if every hop was permanent (301/308), else ""
	StatusCode   int           // 200 (or another 2xx) or 304
	NotModified  bool          // 304: Feed is nil
	ETag         string        // the response's ETag header, "" if none
	LastModified string        // the response's Last-Modified header, "" if none
	CacheFor     time.Duration // freshness the server grants: Cache-Control max-age, or Expires
	Feed         *feeds.Feed   // nil when NotModified
	Header       http.Header   // the final response's header
}

// Fetcher performs conditional, size-capped feed requests.
type Fetcher struct {
	client      *http.Client
	userAgent   string
	maxBodySize int64
	timeout     time.Duration
	now         func() time.Time
}

// NewFetcher returns a Fetcher using client, or a default client (see
// NewHTTPClient) when client is nil. It uses opts' UserAgent, MaxBodySize,
// Timeout and Now; zero values take DefaultOptions' values.
func NewFetcher(client *http.Client, opts Options) *Fetcher {
	opts = opts.withDefaults()
	if client == nil {
		client = NewHTTPClient(opts)
	}
	return &Fetcher{
		client:      client,
		userAgent:   opts.UserAgent,
		maxBodySize: opts.MaxBodySize,
		timeout:     opts.Timeout,
		now:         opts.Now,
	}
}

// NewHTTPClient returns the client used when none is given: bounded dial
// and TLS handshake (the Fetcher's Timeout bounds the whole exchange), proxy from the environment, and no transparent
// decompression (the Fetcher decompresses itself so its size cap applies to
// the decompressed body).
func NewHTTPClient(opts Options) *http.Client {
	opts = opts.withDefaults()
	t := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if opts.DenyPrivate {
		// Checked on the address actually dialled, after DNS and for every
		// redirect hop, so neither a hostname nor a redirect gets around it.
		d.Control = denyPrivate
	}
	t.DialContext = d.DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ExpectContinueTimeout = time.Second
	t.MaxIdleConnsPerHost = opts.PerHost
	t.IdleConnTimeout = 90 * time.Second
	t.DisableCompression = true
	return &http.Client{Transport: t}
}

// ErrPrivateAddress is returned when Options.DenyPrivate refuses to connect
// to a loopback, private, link-local or unspecified address.
var ErrPrivateAddress = errors.New("address is loopback or private, and fetch.deny_private is set")

func denyPrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip) { // carrier-grade NAT
		return fmt.Errorf("dial %s: %w", address, ErrPrivateAddress)
	}
	return nil
}

// Fetch requests src's feed (State.URL, else ConfigURL) with the validators
// in src.State, follows up to MaxRedirects redirects and parses the body.
// The whole exchange, body and parsing included, is bounded by the
// Fetcher's timeout and by ctx. Any failure is a *FetchError.
func (f *Fetcher) Fetch(ctx context.Context, src feeds.Source) (*Response, error) {
	return f.fetch(ctx, src, parseAll)
}

// parseFunc parses a fetched body; see deltaParser.
type parseFunc func(body []byte, url, contentType string) (*feeds.Feed, error)

func (f *Fetcher) fetch(ctx context.Context, src feeds.Source, parse parseFunc) (*Response, error) {
	target := src.State.URL
	if target == "" {
		target = src.ConfigURL
	}
	fail := func(u string, status int, err error) (*Response, error) {
		return nil, &FetchError{URL: u, StatusCode: status, Err: err}
	}

	reqCtx := ctx
	if f.timeout > 0 {
		var cancel context.CancelFunc
		reqCtx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	// timedOut turns the error of an exchange cut short by our own timeout
	// (not by the caller's context) into a stable, readable one.
	timedOut := func(err error) error {
		if ctx.Err() == nil && errors.Is(reqCtx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w after %s", ErrTimeout, f.timeout)
		}
		return err
	}

	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, target, nil)
	if err != nil {
		return fail(target, 0, fmt.Errorf("new request: %w", err))
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fail(target, 0, fmt.Errorf("unsupported scheme %q", req.URL.Scheme))
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", acceptFeeds)
	// Asking for gzip explicitly turns off the transport's transparent
	// decompression, which would hide the encoding from us; decompressing
	// here keeps the size cap on the decompressed bytes (gzip bombs).
	req.Header.Set("Accept-Encoding", "gzip")
	if src.State.ETag != "" {
		req.Header.Set("If-None-Match", src.State.ETag)
	}
	if src.State.LastModified != "" {
		req.Header.Set("If-Modified-Since", src.State.LastModified)
	}

	var hops []Redirect
	client := *f.client
	client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		next := r.URL.String()
		for _, v := range via {
			if v.URL.String() == next {
				return fmt.Errorf("%w: %s", ErrRedirectLoop, next)
			}
		}
		if len(via) >= MaxRedirects {
			return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, MaxRedirects)
		}
		status := 0
		if r.Response != nil {
			status = r.Response.StatusCode
		}
		hops = append(hops, Redirect{StatusCode: status, URL: next})
		return nil
	}

	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the method and URL
		}
		u, status := target, 0
		if resp != nil { // a redirect was refused by CheckRedirect
			u, status = resp.Request.URL.String(), resp.StatusCode
		}
		return fail(u, status, timedOut(err))
	}
	defer resp.Body.Close()

	final := resp.Request.URL.String()
	out := &Response{
		URL:          final,
		Redirects:    hops,
		StatusCode:   resp.StatusCode,
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		Header:       resp.Header,
	}
	if len(hops) > 0 && allPermanent(hops) {
		out.MovedTo = final
	}
	now := f.now()

	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.NotModified = true
		out.CacheFor = cacheFor(resp.Header, now)
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// Drain a little so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		fe := &FetchError{URL: final, StatusCode: resp.StatusCode}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			fe.RetryAfter = retryAfter(resp.Header, now)
		}
		return nil, fe
	}

	body := getBuffer()
	defer putBuffer(body)
	if err := f.readBody(resp, body); err != nil {
		return fail(final, resp.StatusCode, timedOut(err))
	}
	// The parse copies what it keeps: the buffer is reused afterwards.
	feed, err := parse(body.Bytes(), final, resp.Header.Get("Content-Type"))
	if err != nil {
		return fail(final, resp.StatusCode, err)
	}
	out.Feed = feed
	out.CacheFor = cacheFor(resp.Header, now)
	return out, nil
}

// readBody reads the decompressed body into buf, at most maxBodySize bytes.
func (f *Fetcher) readBody(resp *http.Response, buf *bytes.Buffer) error {
	var r io.Reader = resp.Body
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		if f.maxBodySize > 0 && resp.ContentLength > f.maxBodySize {
			return &bodyTooLargeError{f.maxBodySize}
		}
	case "gzip", "x-gzip":
		gz := gunzippers.Get().(*gunzipper)
		defer gunzippers.Put(gz)
		gz.br.Reset(resp.Body)
		defer gz.br.Reset(nil)
		// Some servers label plain bodies gzip; trust the magic number.
		if magic, _ := gz.br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			if err := gz.reset(); err != nil {
				return fmt.Errorf("gzip: %w", err)
			}
			defer gz.zr.Close()
			r = gz.zr
		} else {
			r = gz.br
		}
	default:
		return fmt.Errorf("unsupported content-encoding %q", enc)
	}
	if f.maxBodySize > 0 {
		r = io.LimitReader(r, f.maxBodySize+1)
	}
	if resp.ContentLength > 0 && resp.ContentLength < 1<<20 {
		buf.Grow(int(resp.ContentLength))
	}
	if _, err := buf.ReadFrom(r); err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if f.maxBodySize > 0 && int64(buf.Len()) > f.maxBodySize {
		return &bodyTooLargeError{f.maxBodySize}
	}
	return nil
}

// Fetches reuse their body buffers and gzip readers: a poll of thousands of
// sources would otherwise allocate (and collect) each of them again per
// source, a good share of all it allocates.
var (
	buffers    = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	gunzippers = sync.Pool{New: func() any { return &gunzipper{br: bufio.NewReaderSize(nil, 32<<10)} }}
)

// maxPooledBuffer is the largest buffer kept for reuse; a rare huge feed
// does not pin its memory.
const maxPooledBuffer = 1 << 20

func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		b.Reset()
		buffers.Put(b)
	}
}

// gunzipper is a reusable gzip reader and the buffered reader under it.
type gunzipper struct {
	br *bufio.Reader
	zr *gzip.Reader
}

func (g *gunzipper) reset() error {
	if g.zr == nil {
		zr, err := gzip.NewReader(g.br)
		if err != nil {
			return err
		}
		g.zr = zr
		return nil
	}
	return g.zr.Reset(g.br)
}

func allPermanent(hops []Redirect) bool {
	for _, h := range hops {
		if h.StatusCode != http.StatusMovedPermanently && h.StatusCode != http.StatusPermanentRedirect {
			return false
		}
	}
	return true
}

// serverNow is the response's Date, falling back to our clock. Absolute
// times the server sends (Expires, Retry-After) are measured against its own
// clock, so skew between the two clocks does not distort them.
func serverNow(h http.Header, now time.Time) time.Time {
	if t, err := http.ParseTime(h.Get("Date")); err == nil {
		return t
	}
	return now
}

// retryAfter parses Retry-After: delay-seconds or an HTTP-date. 0 if absent,
// invalid or in the past.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return seconds(n)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(serverNow(h, now)), 0)
	}
	return 0
}

// cacheFor is how long the server says the response stays fresh:
// Cache-Control max-age less Age, else Expires less Date. 0 if it says
// nothing, or no-cache/no-store.
func cacheFor(h http.Header, now time.Time) time.Duration {
	if cc := h.Values("Cache-Control"); len(cc) > 0 {
		maxAge, found := time.Duration(0), false
		for _, line := range cc {
			for _, d := range strings.Split(line, ",") {
				name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
				switch strings.ToLower(strings.TrimSpace(name)) {
				case "no-cache", "no-store":
					return 0
				case "max-age":
					n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
					if err == nil {
						maxAge, found = seconds(n), true
					}
				}
			}
		}
		if found {
			if age, err := strconv.ParseInt(strings.TrimSpace(h.Get("Age")), 10, 64); err == nil {
				maxAge -= seconds(age)
			}
			return max(maxAge, 0)
		}
	}
	if v := h.Get("Expires"); v != "" {
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(serverNow(h, now)), 0)
		}
	}
	return 0
}

// seconds converts a header's delta-seconds, clamped to [0, a year]: hints
// are capped at MaxInterval later, and this keeps the product from overflowing.
func seconds(n int64) time.Duration {
	const year = int64(365 * 24 * time.Hour / time.Second)
	return time.Duration(min(max(n, 0), year)) * time.Second
}
