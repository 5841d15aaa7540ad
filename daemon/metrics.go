package daemon

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/feedcurator/feedcurator/aggregator"
	"github.com/feedcurator/feedcurator/sqlite"
)

// metrics are the daemon's Prometheus metrics, in a registry of their own.
type metrics struct {
	reg          *prometheus.Registry
	fetches      *prometheus.CounterVec
	fetchSeconds prometheus.Histogram
	ingested     *prometheus.CounterVec
	httpRequests *prometheus.CounterVec
	httpSeconds  *prometheus.HistogramVec
	reloads      *prometheus.CounterVec
	renders      *prometheus.CounterVec
	renderSecs   prometheus.Histogram
}

func newMetrics(db *sqlite.DB) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedcurator_fetches_total",
			Help: "Source polls by result: ok, not_modified, or error_<kind> (timeout, dns, refused, tls, http_4xx, http_5xx, not_a_feed, parse, too_large, too_complex, …).",
		}, []string{"result"}),
		fetchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "feedcurator_fetch_duration_seconds",
			Help:    "Time to fetch, parse and store one source.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedcurator_items_ingested_total",
			Help: "Items written to the store, by kind: new or updated.",
		}, []string{"kind"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedcurator_http_requests_total",
			Help: "HTTP requests served, by route and status code.",
		}, []string{"route", "code"}),
		httpSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "feedcurator_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
		}, []string{"route"}),
		renders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedcurator_publish_renders_total",
			Help: "Documents rendered by the publisher (once per change, not per request), by format and result.",
		}, []string{"format", "result"}),
		renderSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "feedcurator_publish_render_duration_seconds",
			Help:    "Time to render one published document.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedcurator_config_reloads_total",
			Help: "Configuration reloads, by result: ok or error.",
		}, []string{"result"}),
	}
	m.reg.MustRegister(m.fetches, m.fetchSeconds, m.ingested, m.httpRequests, m.httpSeconds, m.reloads, m.renders, m.renderSecs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&storeCollector{db: db})
	return m
}

// observe records one poll; it is the aggregator's Observe hook.
func (m *metrics) observe(r aggregator.Result) {
	m.fetches.WithLabelValues(fetchResult(r)).Inc()
	m.fetchSeconds.Observe(r.Elapsed.Seconds())
	m.ingested.WithLabelValues("new").Add(float64(r.Stats.New))
	m.ingested.WithLabelValues("updated").Add(float64(r.Stats.Updated))
}

// observeRender records one publisher render; it is the publisher's
// ObserveRender hook. The label is the document's format only, never its
// cache key, which holds paging cursors.
func (m *metrics) observeRender(key string, took time.Duration, err error) {
	format := "page"
	if i := strings.IndexAny(key, "?\x00"); i >= 0 {
		key = key[:i]
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 && len(key)-i <= 6 {
		format = key[i+1:]
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.renders.WithLabelValues(format, result).Inc()
	m.renderSecs.Observe(took.Seconds())
}

// fetchResult labels a poll's outcome: ok, not_modified, or error_ and the
// aggregator's error kind (a small fixed set, the one the poller's logs
// de-duplicate by).
func fetchResult(r aggregator.Result) string {
	if r.Outcome != aggregator.OutcomeError {
		return r.Outcome
	}
	return "error_" + aggregator.ErrorKind(r.Err)
}

// instrument counts and times requests per route pattern (never per raw
// path, which would let clients create unbounded label values). Requests
// that mux hands to the publisher's handler pub ("/") are labelled with
// the publisher's own pattern ("GET /feeds/{file}").
func (m *metrics) instrument(mux *http.ServeMux, pub http.Handler) http.Handler {
	inner, _ := pub.(*http.ServeMux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		mux.ServeHTTP(sw, r)
		_, route := mux.Handler(r)
		if route == "/" && inner != nil {
			_, route = inner.Handler(r)
		}
		if route == "" || route == "/" {
			route = "unmatched"
		}
		m.httpRequests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		m.httpSeconds.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// storeCollector reads gauges from the store at scrape time.
type storeCollector struct{ db *sqlite.DB }

var (
	descItems        = prometheus.NewDesc("feedcurator_items", "Published items in the store, by section.", []string{"section"}, nil)
	descUnclassified = prometheus.NewDesc("feedcurator_items_unclassified", "Items waiting for the curator.", nil, nil)
	descSources      = prometheus.NewDesc("feedcurator_sources", "Active sources.", nil, nil)
	descBackoff      = prometheus.NewDesc("feedcurator_sources_backoff", "Active sources whose last fetch failed.", nil, nil)
	descLastSuccess  = prometheus.NewDesc("feedcurator_last_success_timestamp_seconds", "Time of the latest successful fetch of any source.", nil, nil)
	descDBBytes      = prometheus.NewDesc("feedcurator_database_size_bytes", "Size of the SQLite database.", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descItems, descUnclassified, descSources, descBackoff, descLastSuccess, descDBBytes} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.db.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descItems, err)
		return
	}
	for s, n := range st.ItemsBySection {
		ch <- prometheus.MustNewConstMetric(descItems, prometheus.GaugeValue, float64(n), s)
	}
	ch <- prometheus.MustNewConstMetric(descUnclassified, prometheus.GaugeValue, float64(st.Unclassified))
	ch <- prometheus.MustNewConstMetric(descSources, prometheus.GaugeValue, float64(st.Sources))
	ch <- prometheus.MustNewConstMetric(descBackoff, prometheus.GaugeValue, float64(st.SourcesFailing))
	if !st.LastSuccess.IsZero() {
		ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, float64(st.LastSuccess.UnixMilli())/1000)
	}
	ch <- prometheus.MustNewConstMetric(descDBBytes, prometheus.GaugeValue, float64(st.DatabaseBytes))
}
