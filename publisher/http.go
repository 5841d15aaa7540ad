package publisher

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/feedcurator/feedcurator/internal/logkey"
)

// Handler serves the feeds and the health check:
//
//	GET /feeds/all.atom         every section
//	GET /feeds/{section}.atom   one section
//	GET /healthz                200 when the store answers, else 503
func (p *Publisher) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /feeds/{file}", p.serveFeed)
	mux.HandleFunc("GET /healthz", p.serveHealth)
	mux.HandleFunc("GET /{$}", p.serveIndex)
	return mux
}

func (p *Publisher) serveFeed(w http.ResponseWriter, r *http.Request) {
	view, ok := strings.CutSuffix(r.PathValue("file"), ".atom")
	if !ok || !p.HasView(view) {
		http.NotFound(w, r)
		return
	}
	rendered, err := p.Atom(r.Context(), view)
	if err != nil {
		p.logger.Error().Err(err).Str(logkey.Path, r.URL.Path).Msg("render failed")
		http.Error(w, "feed unavailable", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/atom+xml; charset=utf-8")
	h.Set("ETag", rendered.ETag)
	h.Set("Cache-Control", "public, max-age=60")
	http.ServeContent(w, r, "", rendered.Modified, bytes.NewReader(rendered.Body))
}

type health struct {
	Status   string `json:"status"`
	Database string `json:"database"`
	Error    string `json:"error,omitempty"`
}

func (p *Publisher) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	h := health{Status: "ok", Database: "ok"}
	code := http.StatusOK
	if err := p.store.Ping(ctx); err != nil {
		h = health{Status: "unavailable", Database: "error", Error: err.Error()}
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(h)
}

func (p *Publisher) serveIndex(w http.ResponseWriter, r *http.Request) {
	opts, _ := p.options()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var b strings.Builder
	b.WriteString(opts.Title + "\n\n")
	b.WriteString(opts.BaseURL + "/feeds/all.atom\n")
	for _, s := range opts.Sections {
		b.WriteString(opts.BaseURL + "/feeds/" + s.ID + ".atom  " + s.Title + "\n")
	}
	_, _ = w.Write([]byte(b.String()))
}
