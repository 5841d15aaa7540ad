package aggregator

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
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

	"golang.org/x/net/http/httpproxy"

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

	errRequest  = errors.New("invalid request")
	errEncoding = errors.New("bad content encoding")
)

// FetchError describes a failed fetch. Every error returned by Fetch is one.
type FetchError struct {
	URL        string        // the URL that failed: the last one requested
	StatusCode int           // HTTP status, 0 when no response was received
	RetryAfter time.Duration // the server's Retry-After on 429 and 503, else 0
	Err        error         // the cause; nil when the status itself is the failure
}

// Error names the URL redacted (see feeds.RedactURL): the message goes to
// the logs and to the stored last error.
func (e *FetchError) Error() string {
	var b strings.Builder
	b.WriteString("fetch ")
	b.WriteString(feeds.RedactURL(e.URL))
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
	parser      feeds.Parser
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
		parser:      feeds.Parser{MaxItems: opts.MaxItems},
	}
}

// NewHTTPClient returns the client used when none is given: bounded dial
// and TLS handshake (the Fetcher's Timeout bounds the whole exchange), the
// proxy of Options.Proxy or else of the environment (HTTPS_PROXY,
// HTTP_PROXY, NO_PROXY, read when the client is made), and no transparent
// decompression (the Fetcher decompresses itself so its size cap applies to
// the decompressed body).
//
// With Options.DenyPrivate, no request reaches a loopback, private or
// otherwise internal address (see IsPrivateAddress): a direct connection is
// checked on the address actually dialled, after DNS; a request sent
// through a proxy is checked before it is handed to the proxy, on every
// address its host resolves to here, and so is every redirect hop. The
// proxy itself is trusted on such an address only when it is named in
// Options.Proxy (fetch.proxy): a proxy taken from the environment is dialled
// under the same guard as any server, so an inherited HTTP_PROXY pointing
// inside the network is refused. (A proxy resolves the host again itself;
// a name that resolves differently there is beyond what this can see.)
func NewHTTPClient(opts Options) *http.Client {
	opts = opts.withDefaults()
	t := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	proxy, trusted := proxyFor(opts)
	t.Proxy = proxy
	if opts.DenyPrivate {
		guarded := *d
		// Checked on the address actually dialled, after DNS and for every
		// redirect hop, so neither a hostname nor a redirect gets around it.
		guarded.Control = denyPrivate
		t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if trusted != "" && addr == trusted {
				return d.DialContext(ctx, network, addr)
			}
			return guarded.DialContext(ctx, network, addr)
		}
		lookup := opts.lookup
		if lookup == nil {
			lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		t.Proxy = func(req *http.Request) (*url.URL, error) {
			u, err := proxy(req)
			if err != nil || u == nil {
				return u, err // direct: the dial is checked
			}
			if err := checkTarget(req.Context(), req.URL, lookup); err != nil {
				return nil, err
			}
			return u, nil
		}
	} else {
		t.DialContext = d.DialContext
	}
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ExpectContinueTimeout = time.Second
	t.MaxIdleConnsPerHost = opts.PerHost
	t.IdleConnTimeout = 90 * time.Second
	t.DisableCompression = true
	return &http.Client{Transport: t}
}

// proxyFor returns the proxy function of opts, and the address (host:port,
// as the transport dials it) of the proxy configured in Options.Proxy, ""
// when the proxy comes from the environment.
func proxyFor(opts Options) (func(*http.Request) (*url.URL, error), string) {
	if opts.Proxy == "" {
		env := httpproxy.FromEnvironment().ProxyFunc()
		return func(r *http.Request) (*url.URL, error) { return env(r.URL) }, ""
	}
	u, err := url.Parse(opts.Proxy)
	if err != nil || u.Host == "" {
		if err == nil {
			err = errors.New("no host")
		}
		err = fmt.Errorf("%w: proxy %q: %w", errRequest, feeds.RedactURL(opts.Proxy), err)
		return func(*http.Request) (*url.URL, error) { return nil, err }, ""
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}[u.Scheme]
	}
	return http.ProxyURL(u), net.JoinHostPort(u.Hostname(), port)
}

// checkTarget refuses a request to be sent through a proxy when its host is
// or resolves to a private address.
func checkTarget(ctx context.Context, target *url.URL, lookup func(context.Context, string) ([]netip.Addr, error)) error {
	host := target.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if IsPrivateAddress(ip) {
			return fmt.Errorf("request %s through proxy: %w", host, ErrPrivateAddress)
		}
		return nil
	}
	ips, err := lookup(ctx, host)
	if err != nil {
		// Without the addresses the target cannot be checked: refuse.
		return fmt.Errorf("check %s before using the proxy: %w", host, err)
	}
	for _, ip := range ips {
		if IsPrivateAddress(ip) {
			return fmt.Errorf("request %s (%s) through proxy: %w", host, ip, ErrPrivateAddress)
		}
	}
	return nil
}

// ErrPrivateAddress is returned when Options.DenyPrivate refuses to connect
// to a loopback, private, link-local or otherwise internal address.
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
	if IsPrivateAddress(ip) {
		return fmt.Errorf("dial %s: %w", address, ErrPrivateAddress)
	}
	return nil
}

// deniedV4 are the IPv4 ranges no feed is fetched from with
// Options.DenyPrivate: this network, private, shared (carrier-grade NAT),
// loopback, link-local, IETF protocol assignments, documentation, the 6to4
// relay anycast, benchmarking, multicast and reserved (with broadcast).
var deniedV4 = prefixes(
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
	"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)

// deniedV6 are the IPv6 ranges denied whole: unspecified, loopback and the
// deprecated IPv4-compatible addresses (::/96), local-use NAT64, discard,
// Teredo, ORCHID, documentation, unique local, link-local, site-local and
// multicast.
var deniedV6 = prefixes(
	"::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:10::/28", "2001:20::/28",
	"2001:db8::/32", "3fff::/20", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
)

// Ranges that embed an IPv4 address, which decides: IPv4-translated
// (::ffff:0:0:0/96), NAT64's well-known prefix (64:ff9b::/96, the IPv4
// address in the last 32 bits) and 6to4 (2002::/16, in bits 16 to 48).
// IPv4-mapped addresses (::ffff:0:0/96) are unmapped first.
var (
	translatedV4 = netip.MustParsePrefix("::ffff:0:0:0/96")
	nat64        = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour    = netip.MustParsePrefix("2002::/16")
)

func prefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// IsPrivateAddress reports whether Options.DenyPrivate refuses ip: an
// address in one of the special-purpose ranges (deniedV4, deniedV6), or one
// that embeds such an IPv4 address (IPv4-mapped, IPv4-translated, NAT64,
// 6to4).
func IsPrivateAddress(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	if ip.Is6() {
		b := ip.As16()
		switch {
		case translatedV4.Contains(ip), nat64.Contains(ip):
			return IsPrivateAddress(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return IsPrivateAddress(netip.AddrFrom4([4]byte(b[2:6])))
		}
		for _, p := range deniedV6 {
			if p.Contains(ip) {
				return true
			}
		}
		return false
	}
	for _, p := range deniedV4 {
		if p.Contains(ip) {
			return true
		}
	}
	return !ip.IsValid()
}

// Fetch requests src's feed (State.URL, else ConfigURL) with the validators
// in src.State, follows up to MaxRedirects redirects and parses the body.
// The whole exchange, body and parsing included, is bounded by the
// Fetcher's timeout and by ctx. Any failure is a *FetchError.
func (f *Fetcher) Fetch(ctx context.Context, src feeds.Source) (*Response, error) {
	d := &deltaParser{parser: f.parser}
	return f.fetch(ctx, src, d.parseContext)
}

// parseFunc parses a fetched body until ctx is done; see deltaParser.
type parseFunc func(ctx context.Context, body []byte, url, contentType string) (*feeds.Feed, error)

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

	req, err := f.newRequest(reqCtx, target, src.State)
	if err != nil {
		return fail(target, 0, err)
	}
	var hops []Redirect
	resp, err := f.recordingClient(&hops).Do(req)
	if err != nil {
		u, status, err := exchangeError(target, resp, err)
		return fail(u, status, timedOut(err))
	}
	defer resp.Body.Close()

	out := newResponse(resp, hops)
	now := f.now()
	if resp.StatusCode == http.StatusNotModified {
		out.NotModified = true
		out.CacheFor = cacheFor(resp.Header, now)
		return out, nil
	}
	if fe := statusError(resp, now); fe != nil {
		return nil, fe
	}

	body := getBuffer()
	defer putBuffer(body)
	if err := f.readBody(resp, body); err != nil {
		return fail(out.URL, resp.StatusCode, timedOut(err))
	}
	// The parse copies what it keeps: the buffer is reused afterwards. It
	// runs under the fetch's deadline, which it stops at.
	feed, err := parse(reqCtx, body.Bytes(), out.URL, resp.Header.Get("Content-Type"))
	if err != nil {
		if terr := timedOut(err); terr != err {
			err = fmt.Errorf("parse feed: %w", terr)
		}
		return fail(out.URL, resp.StatusCode, err)
	}
	out.Feed = feed
	out.CacheFor = cacheFor(resp.Header, now)
	return out, nil
}

// newRequest returns the conditional GET of target for a source in state;
// its error wraps errRequest.
func (f *Fetcher) newRequest(ctx context.Context, target string, state feeds.FetchState) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, unredacted
		}
		return nil, fmt.Errorf("%w: %w", errRequest, err)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("%w: unsupported scheme %q", errRequest, req.URL.Scheme)
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", acceptFeeds)
	// Asking for gzip explicitly turns off the transport's transparent
	// decompression, which would hide the encoding from us; decompressing
	// here keeps the size cap on the decompressed bytes (gzip bombs).
	req.Header.Set("Accept-Encoding", "gzip")
	if state.ETag != "" {
		req.Header.Set("If-None-Match", state.ETag)
	}
	if state.LastModified != "" {
		req.Header.Set("If-Modified-Since", state.LastModified)
	}
	return req, nil
}

// recordingClient returns a copy of f's client that appends the redirects
// it follows to hops and refuses loops and more than MaxRedirects.
func (f *Fetcher) recordingClient(hops *[]Redirect) *http.Client {
	client := *f.client
	client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		next := r.URL.String()
		for _, v := range via {
			if v.URL.String() == next {
				return fmt.Errorf("%w: %s", ErrRedirectLoop, feeds.RedactURL(next))
			}
		}
		if len(via) >= MaxRedirects {
			return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, MaxRedirects)
		}
		status := 0
		if r.Response != nil {
			status = r.Response.StatusCode
		}
		*hops = append(*hops, Redirect{StatusCode: status, URL: next})
		return nil
	}
	return &client
}

// exchangeError returns the URL, status and cause of a failed exchange
// with target: those of the redirect refused, if one was.
func exchangeError(target string, resp *http.Response, err error) (string, int, error) {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // url.Error repeats the method and URL
	}
	if resp != nil { // a redirect was refused by CheckRedirect
		return resp.Request.URL.String(), resp.StatusCode, err
	}
	return target, 0, err
}

// newResponse returns the Response to resp, reached through hops, without
// its feed.
func newResponse(resp *http.Response, hops []Redirect) *Response {
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
	return out
}

// statusError returns the failure of a response whose status is no
// success, with the server's Retry-After where it asks to wait; nil for a
// 2xx.
func statusError(resp *http.Response, now time.Time) *FetchError {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	// Drain a little so the connection can be reused.
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	fe := &FetchError{URL: resp.Request.URL.String(), StatusCode: resp.StatusCode}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		fe.RetryAfter = retryAfter(resp.Header, now)
	}
	return fe
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
				return fmt.Errorf("%w: gzip: %w", errEncoding, err)
			}
			defer gz.zr.Close()
			r = gz.zr
		} else {
			r = gz.br
		}
	default:
		return fmt.Errorf("%w: unsupported content-encoding %q", errEncoding, enc)
	}
	if f.maxBodySize > 0 {
		r = io.LimitReader(r, f.maxBodySize+1)
	}
	if resp.ContentLength > 0 && resp.ContentLength < 1<<20 {
		buf.Grow(int(resp.ContentLength))
	}
	if _, err := buf.ReadFrom(r); err != nil {
		var corrupt flate.CorruptInputError
		if errors.As(err, &corrupt) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
			err = fmt.Errorf("%w: %w", errEncoding, err)
		}
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

// Kinds of failure, as ErrorKind names them.
const (
	KindTimeout        = "timeout"         // the fetch (request, body or parse) took longer than Options.Timeout
	KindDNS            = "dns"             // the host name did not resolve
	KindRefused        = "refused"         // the connection was refused
	KindTLS            = "tls"             // TLS handshake or certificate
	KindNetwork        = "network"         // any other failure to exchange with the server
	KindPrivateAddress = "private_address" // refused by fetch.deny_private
	KindRedirect       = "redirect"        // a redirect loop, or too many redirects
	KindHTTP4xx        = "http_4xx"        // the server answered 4xx
	KindHTTP5xx        = "http_5xx"        // the server answered 5xx
	KindHTTPOther      = "http_other"      // the server answered another status that is no success
	KindRequest        = "request"         // the URL cannot be requested (bad URL or scheme)
	KindEncoding       = "encoding"        // a body in an unknown or corrupt content encoding
	KindTooLarge       = "too_large"       // the body exceeded Options.MaxBodySize
	KindTooComplex     = "too_complex"     // the document exceeded the parser's limits (feeds.ErrTooComplex)
	KindNotAFeed       = "not_a_feed"      // the document is neither RSS nor Atom
	KindParse          = "parse"           // the document did not parse
	KindStore          = "store"           // the result could not be saved
	KindCanceled       = "canceled"        // the poll was cancelled (shutdown)
	KindOther          = "other"
)

// ErrorKind names the kind of a poll's failure (Result.Err): one of the
// Kind constants, "" for a nil error. Unlike the error's text, which holds
// addresses, ports and timings, the kind of a failure that repeats stays
// the same, so it serves as a metrics label and decides when a failure is
// logged again.
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	for _, k := range errorKinds {
		if k.is(err) {
			return k.kind
		}
	}
	return KindOther
}

// errorKinds maps failures to their kinds: the first entry err matches
// names its kind. The order matters: a refused redirect to a private
// address is a private_address, a timed out parse a timeout, and the
// statuses of FetchErrors come after the causes they may wrap.
var errorKinds = [...]struct {
	kind string
	is   func(error) bool
}{
	{KindStore, func(err error) bool { var se *storeError; return errors.As(err, &se) }},
	{KindCanceled, isAny(context.Canceled)},
	{KindPrivateAddress, isAny(ErrPrivateAddress)},
	{KindTooLarge, isAny(ErrBodyTooLarge)},
	{KindTooComplex, isAny(feeds.ErrTooComplex)},
	{KindRedirect, isAny(ErrRedirectLoop, ErrTooManyRedirects)},
	{KindRequest, isAny(errRequest)},
	{KindDNS, func(err error) bool { var dnsE *net.DNSError; return errors.As(err, &dnsE) }},
	{KindTLS, isTLSError},
	{KindTimeout, isTimeout},
	{KindRefused, isAny(syscall.ECONNREFUSED)},
	{KindHTTP5xx, fetchStatus(func(code int) bool { return code >= 500 })},
	{KindHTTP4xx, fetchStatus(func(code int) bool { return code >= 400 })},
	{KindHTTPOther, fetchStatus(func(code int) bool { return code != 0 && (code < 200 || code > 299) })},
	{KindEncoding, isAny(errEncoding)},
	{KindNotAFeed, isAny(feeds.ErrNotAFeed)},
	// A 2xx whose body did not parse, or did not arrive whole.
	{KindParse, fetchStatus(func(code int) bool { return code != 0 })},
	{KindNetwork, fetchStatus(func(int) bool { return true })},
}

// isAny returns a test of whether an error is one of targets.
func isAny(targets ...error) func(error) bool {
	return func(err error) bool {
		for _, t := range targets {
			if errors.Is(err, t) {
				return true
			}
		}
		return false
	}
}

// fetchStatus returns a test of whether an error wraps a FetchError whose
// status code satisfies ok.
func fetchStatus(ok func(code int) bool) func(error) bool {
	return func(err error) bool {
		var fe *FetchError
		return errors.As(err, &fe) && ok(fe.StatusCode)
	}
}

// isTimeout reports whether err is our own timeout, a context deadline or
// a network timeout.
func isTimeout(err error) bool {
	var netE net.Error
	return errors.Is(err, ErrTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &netE) && netE.Timeout())
}

// isTLSError reports whether err came from the TLS handshake or from
// verifying the server's certificate.
func isTLSError(err error) bool {
	var (
		cv  *tls.CertificateVerificationError
		rh  tls.RecordHeaderError
		al  tls.AlertError
		ua  x509.UnknownAuthorityError
		ci  x509.CertificateInvalidError
		he  x509.HostnameError
		sys x509.SystemRootsError
	)
	return errors.As(err, &cv) || errors.As(err, &rh) || errors.As(err, &al) || errors.As(err, &ua) ||
		errors.As(err, &ci) || errors.As(err, &he) || errors.As(err, &sys)
}

// storeError is a failure to save a fetch's result.
type storeError struct{ err error }

func (e *storeError) Error() string { return "save fetch: " + e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }
