package publisher

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

//go:embed favicon.ico
var faviconICO []byte

// Handler serves the site:
//
//	GET /                        the page: each section's newest items, every feed
//	GET /feeds/{view}.{format}   view: all, digest or a section; format: atom, rss, json
//	GET /feeds/{view}.{format}?before=CURSOR   an older page (RFC 5005 rel="next")
//	GET /digest/{YYYY-Www}.html  a digest issue; .md for its Markdown
//	GET /sections/{id}.html      a section's items; ?before=CURSOR for older ones
//	GET /sources.opml            the subscribed sources
//	GET /favicon.ico             the site's icon
//	GET /healthz                 200 when the store answers, else 503
//
// Documents are served from memory with strong ETags and Last-Modified
// (so If-None-Match and If-Modified-Since get 304s), gzipped when the
// client accepts it (a copy compressed once per render), and answer HEAD.
func (p *Publisher) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", p.serveIndex)
	mux.HandleFunc("GET /index.html", p.serveIndex)
	mux.HandleFunc("GET /feeds/{file}", p.serveFeed)
	mux.HandleFunc("GET /digest/{file}", p.serveDigest)
	mux.HandleFunc("GET /sections/{file}", p.serveSection)
	mux.HandleFunc("GET /sources.opml", p.serveOPML)
	mux.HandleFunc("GET /favicon.ico", p.serveFavicon)
	return mux
}

func (p *Publisher) serveFeed(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	dot := strings.LastIndexByte(file, '.')
	if dot < 0 || !validFormat(file[dot+1:]) || !p.HasView(file[:dot]) {
		p.notFound(w, r)
		return
	}
	view, format := file[:dot], file[dot+1:]
	var cursor string
	if r.URL.RawQuery != "" {
		cursor = r.URL.Query().Get("before")
	}
	before, err := feeds.ParseCursor(cursor)
	if err != nil || (view == DigestView && !before.IsZero()) {
		http.Error(w, "bad before= cursor", http.StatusBadRequest)
		return
	}
	rd, err := p.Feed(r.Context(), view, format, before)
	if err != nil {
		p.failed(w, r, err)
		return
	}
	maxAge := p.options().MaxAge
	if !before.IsZero() {
		maxAge = archiveMaxAge
	}
	p.serve(w, r, rd, maxAge)
}

func (p *Publisher) serveIndex(w http.ResponseWriter, r *http.Request) {
	rd, err := p.Page(r.Context())
	if err != nil {
		p.failed(w, r, err)
		return
	}
	w.Header().Set("Content-Security-Policy", pageCSP)
	p.serve(w, r, rd, p.options().MaxAge)
}

// pageCSP allows the pages nothing but their own inline style and images:
// no script can run even if one slipped through.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src http: https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (p *Publisher) serveDigest(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	dot := strings.LastIndexByte(file, '.')
	if dot < 0 {
		p.notFound(w, r)
		return
	}
	week, err := feeds.ParseWeek(file[:dot])
	ext := file[dot+1:]
	if err != nil || (ext != "html" && ext != "md") || file[:dot] != week.String() {
		p.notFound(w, r)
		return
	}
	rd, err := p.DigestPage(r.Context(), week, ext)
	if errors.Is(err, feeds.ErrNotFound) {
		p.notFound(w, r)
		return
	} else if err != nil {
		p.failed(w, r, err)
		return
	}
	if ext == "html" {
		w.Header().Set("Content-Security-Policy", pageCSP)
	}
	p.serve(w, r, rd, archiveMaxAge)
}

func (p *Publisher) serveSection(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".html")
	if !ok || id == AllView || id == DigestView || !p.HasView(id) {
		p.notFound(w, r)
		return
	}
	var cursor string
	if r.URL.RawQuery != "" {
		cursor = r.URL.Query().Get("before")
	}
	before, err := feeds.ParseCursor(cursor)
	if err != nil {
		http.Error(w, "bad before= cursor", http.StatusBadRequest)
		return
	}
	rd, err := p.SectionPage(r.Context(), id, before)
	if errors.Is(err, feeds.ErrNotFound) {
		p.notFound(w, r)
		return
	} else if err != nil {
		p.failed(w, r, err)
		return
	}
	maxAge := p.options().MaxAge
	if !before.IsZero() {
		maxAge = archiveMaxAge
	}
	w.Header().Set("Content-Security-Policy", pageCSP)
	p.serve(w, r, rd, maxAge)
}

// favicon is the site's icon, embedded; it never changes while the
// binary runs, so clients may keep it for a week.
var favicon = func() *Rendered {
	sum := sha256.Sum256(faviconICO)
	r := &Rendered{
		Body:        faviconICO,
		ETag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
		ContentType: "image/x-icon",
		sum:         sum,
	}
	r.formatHeaders(faviconMaxAge)
	return r
}()

const faviconMaxAge = 7 * 24 * time.Hour

func (p *Publisher) serveFavicon(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, favicon, faviconMaxAge)
}

func (p *Publisher) serveOPML(w http.ResponseWriter, r *http.Request) {
	rd, err := p.OPML(r.Context())
	if err != nil {
		p.failed(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `inline; filename="sources.opml"`)
	p.serve(w, r, rd, p.options().MaxAge)
}

// serve writes a rendered document: the gzipped copy when the client takes
// gzip, a 304 when one of its validators matches either copy, else the whole
// document in one write. HEAD gets the headers alone; a range request for
// the uncompressed document goes through http.ServeContent.
func (p *Publisher) serve(w http.ResponseWriter, r *http.Request, rd *Rendered, maxAge time.Duration) {
	h := w.Header()
	h["Content-Type"] = []string{rd.ContentType}
	h["Cache-Control"] = []string{rd.cacheControl(maxAge)}
	if len(h["Vary"]) == 0 {
		h["Vary"] = varyEncoding
	} else {
		h["Vary"] = append(h["Vary"], "Accept-Encoding")
	}
	h["X-Content-Type-Options"] = nosniff
	body, etag := rd.Body, rd.ETag
	gzipped := rd.Gzip != nil && acceptsGzip(r.Header.Get("Accept-Encoding"))
	if gzipped {
		body, etag = rd.Gzip, rd.GzipETag()
		h["Content-Encoding"] = gzipEncoding
	}
	h["Etag"] = []string{etag}
	// A client holding either copy has the current content: both
	// validators match (If-None-Match compares weakly, RFC 9110 13.1.2).
	// If-Modified-Since counts only without If-None-Match (RFC 9110 13.2.2).
	inm := r.Header.Get("If-None-Match")
	if (inm != "" && etagMatches(inm, rd.ETag, rd.GzipETag())) ||
		(inm == "" && notModifiedSince(r.Header.Get("If-Modified-Since"), rd.Modified)) {
		delete(h, "Content-Type")
		delete(h, "Content-Encoding")
		delete(h, "Content-Length")
		if rd.lastMod != "" {
			h["Last-Modified"] = []string{rd.lastMod}
		}
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if !gzipped && r.Header.Get("Range") != "" {
		http.ServeContent(w, r, "", rd.Modified, bytes.NewReader(body))
		return
	}
	if rd.lastMod != "" {
		h["Last-Modified"] = []string{rd.lastMod}
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

var (
	nosniff      = []string{"nosniff"}
	varyEncoding = []string{"Accept-Encoding"}
	gzipEncoding = []string{"gzip"}
)

// notModifiedSince reports whether an If-Modified-Since date is at or
// after modified, to the second HTTP dates carry.
func notModifiedSince(ims string, modified time.Time) bool {
	if ims == "" || modified.IsZero() {
		return false
	}
	t, err := http.ParseTime(ims)
	return err == nil && !modified.Truncate(time.Second).After(t)
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip: named
// (or x-gzip) with a non-zero q, or covered by a non-zero "*".
func acceptsGzip(header string) bool {
	gz, star := -1.0, -1.0
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		q := 1.0
		for _, param := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(param, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					f = 0
				}
				q = f
			}
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "gzip", "x-gzip":
			gz = max(gz, q)
		case "*":
			star = max(star, q)
		}
	}
	if gz >= 0 {
		return gz > 0
	}
	return star > 0
}

// etagMatches reports whether an If-None-Match list names one of etags,
// comparing weakly, or is "*".
func etagMatches(list string, etags ...string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" {
			return true
		}
		for _, e := range etags {
			if t == e {
				return true
			}
		}
	}
	return false
}

func (p *Publisher) notFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	http.NotFound(w, r)
}

func (p *Publisher) failed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client left
	}
	p.logger.Error().Err(err).Str(logkey.Path, r.URL.Path).Msg("render failed")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Retry-After", "30")
	http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
}
