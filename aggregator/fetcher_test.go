package aggregator_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/feedcurator/feedcurator/aggregator"
	"github.com/feedcurator/feedcurator/feeds"
)

func newFetcher(opts aggregator.Options) *aggregator.Fetcher {
	return aggregator.NewFetcher(nil, opts)
}

// fetchErr fetches url and requires a *FetchError.
func fetchErr(t *testing.T, f *aggregator.Fetcher, ctx context.Context, url string) *aggregator.FetchError {
	t.Helper()
	resp, err := f.Fetch(ctx, source(1, url))
	if err == nil {
		t.Fatalf("fetch %s: want error, got status %d", url, resp.StatusCode)
	}
	var fe *aggregator.FetchError
	if !errors.As(err, &fe) {
		t.Fatalf("error %T %v is not a *FetchError", err, err)
	}
	return fe
}

func TestFetchConditional(t *testing.T) {
	t.Parallel()
	const etag = `"v1"`
	const lastMod = "Sat, 01 Mar 2025 10:00:00 GMT"
	var got http.Header
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Header().Set("Content-Type", "application/atom+xml")
		_, _ = w.Write([]byte(atomDoc))
	}))
	f := newFetcher(testOptions(newClock()))

	src := source(1, srv.URL+"/feed")
	resp, err := f.Fetch(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.NotModified || resp.ETag != etag || resp.LastModified != lastMod {
		t.Fatalf("first fetch: %+v", resp)
	}
	if resp.Feed.Title != "Atom Example" || len(resp.Feed.Items) != 1 || resp.Feed.Items[0].Link != "https://atom.example.org/2025/first" {
		t.Fatalf("feed: %+v", resp.Feed)
	}
	if got.Get("If-None-Match") != "" || got.Get("If-Modified-Since") != "" {
		t.Errorf("first request sent validators: %v", got)
	}
	if got.Get("User-Agent") != "feedcurator-test" || !strings.Contains(got.Get("Accept"), "application/atom+xml") {
		t.Errorf("request headers: %v", got)
	}

	src.State.ETag, src.State.LastModified = resp.ETag, resp.LastModified
	resp, err = f.Fetch(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.NotModified || resp.StatusCode != 304 || resp.Feed != nil {
		t.Fatalf("second fetch: %+v", resp)
	}
	if got.Get("If-None-Match") != etag || got.Get("If-Modified-Since") != lastMod {
		t.Errorf("second request validators: If-None-Match %q, If-Modified-Since %q", got.Get("If-None-Match"), got.Get("If-Modified-Since"))
	}
}

func TestFetchRedirects(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	redirect := func(from, to string, code int) {
		mux.HandleFunc(from, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, code) })
	}
	mux.Handle("/feed", serveFeed("application/rss+xml", rssDoc("Moved", 0, "one")))
	redirect("/perm", "/perm2", http.StatusMovedPermanently)
	redirect("/perm2", "/feed", http.StatusPermanentRedirect)
	redirect("/temp", "/feed", http.StatusFound)
	redirect("/temp307", "/feed", http.StatusTemporaryRedirect)
	redirect("/mixed", "/temp", http.StatusMovedPermanently)
	redirect("/loop-a", "/loop-b", http.StatusFound)
	redirect("/loop-b", "/loop-a", http.StatusFound)
	mux.HandleFunc("/chain/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/chain/"))
		http.Redirect(w, r, fmt.Sprintf("/chain/%d", n+1), http.StatusMovedPermanently)
	})
	srv := newServer(t, mux)
	f := newFetcher(testOptions(newClock()))

	for _, tc := range []struct {
		path    string
		movedTo string
		hops    int
	}{
		{"/feed", "", 0},
		{"/perm", "/feed", 2},
		{"/temp", "", 1},
		{"/temp307", "", 1},
		{"/mixed", "", 2},
	} {
		resp, err := f.Fetch(context.Background(), source(1, srv.URL+tc.path))
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		want := ""
		if tc.movedTo != "" {
			want = srv.URL + tc.movedTo
		}
		if resp.MovedTo != want || len(resp.Redirects) != tc.hops || resp.URL != srv.URL+"/feed" {
			t.Errorf("%s: MovedTo %q (want %q), URL %q, redirects %v", tc.path, resp.MovedTo, want, resp.URL, resp.Redirects)
		}
	}

	fe := fetchErr(t, f, context.Background(), srv.URL+"/loop-a")
	if !errors.Is(fe, aggregator.ErrRedirectLoop) || !strings.Contains(fe.Error(), "redirect loop") {
		t.Errorf("loop: %v", fe)
	}
	fe = fetchErr(t, f, context.Background(), srv.URL+"/chain/0")
	if !errors.Is(fe, aggregator.ErrTooManyRedirects) {
		t.Errorf("chain: %v", fe)
	}
}

func TestFetchStatusErrors(t *testing.T) {
	t.Parallel()
	c := newClock()
	mux := http.NewServeMux()
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", c.Now().Format(http.TimeFormat))
		w.Header().Set("Retry-After", c.Now().Add(90*time.Minute).Format(http.TimeFormat))
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120") // only meaningful on 429 and 503
		w.WriteHeader(http.StatusInternalServerError)
	})
	srv := newServer(t, mux)
	f := newFetcher(testOptions(c))

	for _, tc := range []struct {
		path   string
		status int
		retry  time.Duration
		text   string
	}{
		{"/missing", 404, 0, "status 404 Not Found"},
		{"/busy", 429, 2 * time.Minute, "status 429 Too Many Requests"},
		{"/down", 503, 90 * time.Minute, "status 503 Service Unavailable"},
		{"/broken", 500, 0, "status 500 Internal Server Error"},
	} {
		fe := fetchErr(t, f, context.Background(), srv.URL+tc.path)
		if fe.StatusCode != tc.status || fe.RetryAfter != tc.retry || fe.URL != srv.URL+tc.path {
			t.Errorf("%s: %+v", tc.path, fe)
		}
		if want := "fetch " + srv.URL + tc.path + ": " + tc.text; fe.Error() != want {
			t.Errorf("%s: Error() = %q, want %q", tc.path, fe.Error(), want)
		}
	}
}

func TestFetchNotAFeed(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("/html", serveFeed("text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>Blog</title></head><body><p>We moved!</p></body></html>"))
	mux.Handle("/malformed", serveFeed("application/rss+xml", `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>broken</item></channel>`))
	mux.Handle("/empty", serveFeed("application/rss+xml", ""))
	srv := newServer(t, mux)
	f := newFetcher(testOptions(newClock()))

	fe := fetchErr(t, f, context.Background(), srv.URL+"/html")
	if !errors.Is(fe, feeds.ErrNotAFeed) || fe.StatusCode != 200 {
		t.Errorf("html: %v", fe)
	}
	for _, p := range []string{"/malformed", "/empty"} {
		fe := fetchErr(t, f, context.Background(), srv.URL+p)
		if fe.Err == nil {
			t.Errorf("%s: no cause in %v", p, fe)
		}
	}
}

func TestFetchBodyLimit(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	big := rssDoc("Big", 0, strings.Repeat("x", 2*limit))
	mux := http.NewServeMux()
	mux.Handle("/sized", serveFeed("application/rss+xml", big)) // Content-Length known
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		for i := 0; i < len(big); i += 4096 {
			_, _ = w.Write([]byte(big[i:min(i+4096, len(big))]))
			w.(http.Flusher).Flush()
		}
	})
	mux.Handle("/fits", serveFeed("application/rss+xml", rssDoc("Small", 0, "a", "b")))
	srv := newServer(t, mux)
	opts := testOptions(newClock())
	opts.MaxBodySize = limit
	f := newFetcher(opts)

	for _, p := range []string{"/sized", "/chunked"} {
		fe := fetchErr(t, f, context.Background(), srv.URL+p)
		if !errors.Is(fe, aggregator.ErrBodyTooLarge) || !strings.Contains(fe.Error(), "body exceeds 65536 bytes") {
			t.Errorf("%s: %v", p, fe)
		}
	}
	if _, err := f.Fetch(context.Background(), source(1, srv.URL+"/fits")); err != nil {
		t.Errorf("small body: %v", err)
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFetchGzip(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	feed := gzipped(t, []byte(rssDoc("Zipped", 0, "one", "two")))
	// Decompresses to far more than the cap from a few kilobytes.
	bomb := gzipped(t, append([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>`), make([]byte, 16*limit)...))
	if len(bomb) > limit/4 {
		t.Fatalf("bomb is %d bytes compressed: not a bomb", len(bomb))
	}
	var acceptEncoding atomic.Value
	serve := func(body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			acceptEncoding.Store(r.Header.Get("Accept-Encoding"))
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(body)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/feed.gz", serve(feed))
	mux.Handle("/bomb.gz", serve(bomb))
	mux.Handle("/mislabelled", serve([]byte(rssDoc("Plain", 0, "one")))) // says gzip, is not
	srv := newServer(t, mux)
	opts := testOptions(newClock())
	opts.MaxBodySize = limit
	f := newFetcher(opts)

	resp, err := f.Fetch(context.Background(), source(1, srv.URL+"/feed.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Feed.Title != "Zipped" || len(resp.Feed.Items) != 2 {
		t.Errorf("feed: %+v", resp.Feed)
	}
	if ae, _ := acceptEncoding.Load().(string); !strings.Contains(ae, "gzip") {
		t.Errorf("Accept-Encoding %q", ae)
	}

	fe := fetchErr(t, f, context.Background(), srv.URL+"/bomb.gz")
	if !errors.Is(fe, aggregator.ErrBodyTooLarge) {
		t.Errorf("bomb: %v", fe)
	}

	if resp, err := f.Fetch(context.Background(), source(1, srv.URL+"/mislabelled")); err != nil || resp.Feed.Title != "Plain" {
		t.Errorf("mislabelled gzip: %v", err)
	}
}

func TestFetchGBK(t *testing.T) {
	t.Parallel()
	doc := `<?xml version="1.0"?>
<rss version="2.0"><channel><title>中文博客</title><link>https://cn.example.org/</link>
<item><title>你好，世界</title><link>https://cn.example.org/1</link><description>第一篇文章</description></item>
</channel></rss>`
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(doc)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, serveFeed("application/rss+xml; charset=GBK", gbk))
	f := newFetcher(testOptions(newClock()))

	resp, err := f.Fetch(context.Background(), source(1, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Feed.Title != "中文博客" || len(resp.Feed.Items) != 1 || resp.Feed.Items[0].Title != "你好，世界" || resp.Feed.Items[0].Summary != "第一篇文章" {
		t.Errorf("feed: %+v", resp.Feed)
	}
}

func TestFetchSlowServer(t *testing.T) {
	t.Parallel()
	hold := func(r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) { hold(r) })
	mux.HandleFunc("/body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel>`))
		w.(http.Flusher).Flush()
		hold(r)
	})
	srv := newServer(t, mux)
	opts := testOptions(newClock())
	opts.Timeout = 100 * time.Millisecond
	f := newFetcher(opts)

	// The Fetcher's own timeout covers the headers and the body.
	for _, p := range []string{"/headers", "/body"} {
		fe := fetchErr(t, f, context.Background(), srv.URL+p)
		if !errors.Is(fe, aggregator.ErrTimeout) || !strings.Contains(fe.Error(), "timed out after 100ms") {
			t.Errorf("%s: %v", p, fe)
		}
	}

	// The caller's deadline is reported as such.
	opts.Timeout = time.Minute
	f = newFetcher(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	fe := fetchErr(t, f, ctx, srv.URL+"/headers")
	if !errors.Is(fe, context.DeadlineExceeded) || errors.Is(fe, aggregator.ErrTimeout) {
		t.Errorf("ctx deadline: %v", fe)
	}
}

func TestFetchCacheHints(t *testing.T) {
	t.Parallel()
	c := newClock()
	date := c.Now().Format(http.TimeFormat)
	mux := http.NewServeMux()
	with := func(path string, hdr map[string]string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			for k, v := range hdr {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", "application/rss+xml")
			_, _ = w.Write([]byte(rssDoc("Hints", 0, "one")))
		})
	}
	with("/none", nil)
	with("/maxage", map[string]string{"Cache-Control": "public, max-age=3600"})
	with("/age", map[string]string{"Cache-Control": "max-age=3600", "Age": "600"})
	with("/nocache", map[string]string{"Cache-Control": "no-cache, max-age=3600"})
	with("/expires", map[string]string{"Date": date, "Expires": c.Now().Add(2 * time.Hour).Format(http.TimeFormat)})
	with("/expired", map[string]string{"Date": date, "Expires": "0"})
	with("/both", map[string]string{"Cache-Control": "max-age=60", "Date": date, "Expires": c.Now().Add(2 * time.Hour).Format(http.TimeFormat)})
	srv := newServer(t, mux)
	f := newFetcher(testOptions(c))

	for path, want := range map[string]time.Duration{
		"/none":    0,
		"/maxage":  time.Hour,
		"/age":     50 * time.Minute,
		"/nocache": 0,
		"/expires": 2 * time.Hour,
		"/expired": 0,
		"/both":    time.Minute, // max-age wins over Expires
	} {
		resp, err := f.Fetch(context.Background(), source(1, srv.URL+path))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if resp.CacheFor != want {
			t.Errorf("%s: CacheFor %v, want %v", path, resp.CacheFor, want)
		}
	}
}

// TestFetchRetryAfterServerDate: an HTTP-date Retry-After is measured from
// the server's Date, not from the local clock: here the server's clock is
// years away from both the fake clock and the real one, so a fetcher using
// either would get a delay far from the server's two hours.
func TestFetchRetryAfterServerDate(t *testing.T) {
	t.Parallel()
	serverNow := time.Date(2041, 7, 9, 3, 0, 0, 0, time.UTC)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", serverNow.Format(http.TimeFormat))
		w.Header().Set("Retry-After", serverNow.Add(2*time.Hour).Format(http.TimeFormat))
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	fe := fetchErr(t, newFetcher(testOptions(newClock())), context.Background(), srv.URL)
	if fe.RetryAfter != 2*time.Hour {
		t.Errorf("Retry-After two hours past the server's Date: got %v (local clock %s, server %s)", fe.RetryAfter, t0, serverNow)
	}
}

// TestErrorKind: each failure has a stable kind, the same whatever its
// text (addresses, ports, timings) says.
func TestErrorKind(t *testing.T) {
	t.Parallel()
	fetchError := func(status int, err error) error {
		return &aggregator.FetchError{URL: "https://example.com/feed", StatusCode: status, Err: err}
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fetchError(0, &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), aggregator.KindTLS},
		{fetchError(0, x509.HostnameError{Host: "a.example"}), aggregator.KindTLS},
		{fetchError(0, x509.HostnameError{Host: "b.example"}), aggregator.KindTLS},
		{fetchError(0, tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), aggregator.KindTLS},
		{fetchError(0, tls.AlertError(42)), aggregator.KindTLS},
		{fetchError(0, &net.DNSError{Err: "no such host", Name: "a.invalid", IsNotFound: true}), aggregator.KindDNS},
		{fetchError(0, &net.DNSError{Err: "i/o timeout", Name: "b.invalid", IsTimeout: true}), aggregator.KindDNS},
		{fetchError(0, &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}), aggregator.KindRefused},
		{fetchError(0, &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}), aggregator.KindNetwork},
		{fetchError(0, fmt.Errorf("%w after 10s", aggregator.ErrTimeout)), aggregator.KindTimeout},
		{fetchError(200, fmt.Errorf("parse feed: %w after 3s", aggregator.ErrTimeout)), aggregator.KindTimeout},
		{fetchError(0, context.DeadlineExceeded), aggregator.KindTimeout},
		{fetchError(0, fmt.Errorf("dial 10.0.0.5:80: %w", aggregator.ErrPrivateAddress)), aggregator.KindPrivateAddress},
		{fetchError(302, fmt.Errorf("%w: https://example.com/a", aggregator.ErrRedirectLoop)), aggregator.KindRedirect},
		{fetchError(404, nil), aggregator.KindHTTP4xx},
		{fetchError(410, nil), aggregator.KindHTTP4xx},
		{fetchError(500, nil), aggregator.KindHTTP5xx},
		{fetchError(503, nil), aggregator.KindHTTP5xx},
		{fetchError(300, nil), aggregator.KindHTTPOther},
		{fetchError(200, fmt.Errorf("read body: %w", aggregator.ErrBodyTooLarge)), aggregator.KindTooLarge},
		{fetchError(200, fmt.Errorf("x: %w", feeds.ErrTooComplex)), aggregator.KindTooComplex},
		{fetchError(200, fmt.Errorf("content-type text/html: %w", feeds.ErrNotAFeed)), aggregator.KindNotAFeed},
		{fetchError(200, errors.New("parse feed: XML syntax error on line 3")), aggregator.KindParse},
		{fetchError(0, context.Canceled), aggregator.KindCanceled},
		{errors.New("something else"), aggregator.KindOther},
	} {
		if got := aggregator.ErrorKind(tc.err); got != tc.want {
			t.Errorf("ErrorKind(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestFetchErrorsRedactURL: the text of a fetch error, which is logged and
// stored as the source's last error, carries no credentials of the URL.
func TestFetchErrorsRedactURL(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop?private_token=hunter2", http.StatusFound)
	})
	srv := newServer(t, mux)
	f := newFetcher(testOptions(newClock()))
	withCreds := strings.Replace(srv.URL, "http://", "http://alice:hunter2@", 1)
	for _, u := range []string{
		withCreds + "/down?key=hunter2",
		srv.URL + "/loop?private_token=hunter2",
		"ftp://alice:hunter2@example.com/feed",
		"http://alice:hunter2@exa mple.com/feed?token=hunter2",
	} {
		_, err := f.Fetch(context.Background(), source(1, u))
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("fetch %s: error %q shows a credential", u, err)
		}
	}
}
