package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/demo"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// sections are the example configuration's sections and rules.
func sections(t *testing.T) string {
	t.Helper()
	example, err := os.ReadFile(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(example), "\nsections:")
	if i < 0 {
		t.Fatal("config.example.yaml has no sections")
	}
	return string(example[i+1:])
}

// testConfig writes a configuration for the bundled sample feeds, served on
// loopback, into dir, with extra YAML before the sources, and returns its
// path.
func testConfig(t *testing.T, dir, feedsURL, extra string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "database: %s\nlisten: 127.0.0.1:0\n", filepath.Join(dir, "feedcurator.db"))
	b.WriteString(extra)
	b.WriteString("sources:\n")
	for _, f := range demo.Feeds() {
		fmt.Fprintf(&b, "  - name: %s\n    url: %s%s\n", f.Name, feedsURL, f.Path)
	}
	b.WriteString(sections(t))
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// openDaemon opens (without running) the daemon of the configuration at
// path, closed when the test ends.
func openDaemon(t *testing.T, path string) *daemon.Main {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m := daemon.New(cfg, zerolog.New(zerolog.NewTestWriter(t)))
	m.ConfigPath = path
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

func sampleFeeds(t *testing.T) string {
	srv := httptest.NewServer(demo.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestOneConfigurationPerDatabase: a second configuration that would
// replace the daemon's source list is refused, unless it takes over.
func TestOneConfigurationPerDatabase(t *testing.T) {
	feeds := sampleFeeds(t)
	dir := t.TempDir()
	a := testConfig(t, dir, feeds, "")
	m := openDaemon(t, a)
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	other := filepath.Join(t.TempDir(), "other.yaml")
	data, _ := os.ReadFile(a)
	if err := os.WriteFile(other, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(other)
	if err != nil {
		t.Fatal(err)
	}
	m2 := daemon.New(cfg, zerolog.Nop())
	err = m2.Open(context.Background())
	_ = m2.Close(context.Background())
	if !errors.Is(err, daemon.ErrOtherConfig) || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("open with another configuration: %v, want ErrOtherConfig naming %s and --force", err, a)
	}

	cfg, _ = config.Load(other)
	m3 := daemon.New(cfg, zerolog.Nop())
	m3.TakeOver = true
	if err := m3.Open(context.Background()); err != nil {
		t.Fatalf("take over: %v", err)
	}
	_ = m3.Close(context.Background())
	// Now the first one is the other one.
	cfg, _ = config.Load(a)
	m4 := daemon.New(cfg, zerolog.Nop())
	err = m4.Open(context.Background())
	_ = m4.Close(context.Background())
	if !errors.Is(err, daemon.ErrOtherConfig) {
		t.Errorf("after the take-over, the first configuration opened: %v", err)
	}
}

// TestAdminEndpoints: without a token, loopback only and never through a
// proxy; with one, the token, compared in constant time and rate-limited;
// from a browser, never for another site's page.
func TestAdminEndpoints(t *testing.T) {
	dir := t.TempDir()
	path := testConfig(t, dir, sampleFeeds(t), "")
	m := openDaemon(t, path)
	h := m.Handler()
	post := func(remote string, header ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "http://127.0.0.1:8080/admin/reload", nil)
		r.RemoteAddr = remote
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for _, tc := range []struct {
		name   string
		remote string
		header []string
		want   int
	}{
		{"loopback", "127.0.0.1:5000", nil, 200},
		{"ipv6 loopback", "[::1]:5000", nil, 200},
		{"remote", "192.0.2.7:5000", nil, 403},
		{"proxied", "127.0.0.1:5000", []string{"X-Forwarded-For", "198.51.100.9"}, 403},
		{"proxied, Forwarded", "127.0.0.1:5000", []string{"Forwarded", "for=198.51.100.9"}, 403},
		{"proxied, Via", "127.0.0.1:5000", []string{"Via", "1.1 proxy"}, 403},
		{"cross-site page", "127.0.0.1:5000", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"other origin", "127.0.0.1:5000", []string{"Origin", "http://evil.example"}, 403},
		{"null origin", "127.0.0.1:5000", []string{"Origin", "null"}, 403},
		{"same origin", "127.0.0.1:5000", []string{"Origin", "http://127.0.0.1:8080", "Sec-Fetch-Site", "same-origin"}, 200},
	} {
		if w := post(tc.remote, tc.header...); w.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, strings.TrimSpace(w.Body.String()), tc.want)
		}
	}

	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte("admin:\n  token: s3cret-token\n"+string(data)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := post("192.0.2.7:5000", "Authorization", "Bearer s3cret-token", "X-Forwarded-For", "198.51.100.9"); w.Code != 200 {
		t.Errorf("token through a proxy: %d %s", w.Code, w.Body.String())
	}
	if w := post("192.0.2.7:5000", "Authorization", "Bearer s3cret-token", "Origin", "http://evil.example"); w.Code != 403 {
		t.Errorf("token from another site's page: %d", w.Code)
	}
	if w := post("127.0.0.1:5000"); w.Code != 401 {
		t.Errorf("loopback without the token once one is set: %d", w.Code)
	}
	for i := 0; i < 5; i++ {
		if w := post("192.0.2.8:5000", "Authorization", "Bearer guess-"+fmt.Sprint(i)); w.Code != 401 {
			t.Errorf("wrong token %d: %d", i, w.Code)
		}
	}
	if w := post("192.0.2.8:5000", "Authorization", "Bearer s3cret-token"); w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Errorf("after 5 wrong tokens: %d (Retry-After %q), want 429", w.Code, w.Header().Get("Retry-After"))
	}
	if w := post("192.0.2.9:5000", "Authorization", "Bearer s3cret-token"); w.Code != 200 {
		t.Errorf("another client is not limited: %d", w.Code)
	}
}

// TestExplainUnpublished: what is not published is explained to the
// administrator only.
func TestExplainUnpublished(t *testing.T) {
	dir := t.TempDir()
	m := openDaemon(t, testConfig(t, dir, sampleFeeds(t), ""))
	ctx := context.Background()
	if sum := m.Poller.PollAll(ctx, nil); sum.OK == 0 {
		t.Fatalf("poll: %+v", sum)
	}
	if _, _, err := m.Curator.ClassifyPending(ctx); err != nil {
		t.Fatal(err)
	}
	items, err := m.DB.RecentItems(ctx, "", 2)
	if err != nil || len(items) < 2 {
		t.Fatalf("items: %v %v", items, err)
	}
	hidden, shown := items[0].ID, items[1].ID
	if err := m.DB.SetCuration(ctx, hidden, feeds.Curation{Hidden: true}); err != nil {
		t.Fatal(err)
	}
	h := m.Handler()
	get := func(id int64, remote string) int {
		r := httptest.NewRequest("GET", fmt.Sprintf("/items/%d/explain", id), nil)
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if c := get(shown, "192.0.2.7:1"); c != 200 {
		t.Errorf("published item from anywhere: %d", c)
	}
	if c := get(hidden, "192.0.2.7:1"); c != 404 {
		t.Errorf("hidden item from a stranger: %d, want 404", c)
	}
	if c := get(hidden, "127.0.0.1:1"); c != 200 {
		t.Errorf("hidden item from loopback (the administrator): %d", c)
	}
}

// TestMetricsByRoute: requests are counted by the pattern of the route
// that served them, the publisher's included, never by raw path.
func TestMetricsByRoute(t *testing.T) {
	m := openDaemon(t, testConfig(t, t.TempDir(), sampleFeeds(t), ""))
	h := m.Handler()
	for _, p := range []string{"/feeds/all.atom", "/feeds/paas.atom", "/", "/no/such/page", "/healthz"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body := w.Body.String()
	for _, want := range []string{
		`feedcurator_http_requests_total{code="200",route="GET /feeds/{file}"} 2`,
		`feedcurator_http_requests_total{code="200",route="GET /{$}"} 1`,
		`feedcurator_http_requests_total{code="404",route="unmatched"} 1`,
		`route="GET /healthz"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s:\n%s", want, grep(body, "feedcurator_http_requests_total"))
		}
	}
	if strings.Contains(body, `route="/"`) {
		t.Errorf("requests labelled route=\"/\":\n%s", grep(body, "feedcurator_http_requests_total"))
	}
}

// TestHealthFigures: /healthz answers from a ping and figures refreshed in
// the background, never from a scan of the items.
func TestHealthFigures(t *testing.T) {
	m := openDaemon(t, testConfig(t, t.TempDir(), sampleFeeds(t), ""))
	h := m.Handler()
	var body string
	deadline := time.Now().Add(time.Minute)
	for {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
		body = w.Body.String()
		if strings.Contains(body, `"sources":5,`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz never counted the 5 sources: %s", body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(body, `"figures_age_seconds"`) || !strings.Contains(body, `"database":"ok"`) {
		t.Errorf("healthz: %s", body)
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestSecondDaemonRefused: a second daemon on a database the first holds
// refuses to start and names the first.
func TestSecondDaemonRefused(t *testing.T) {
	path := testConfig(t, t.TempDir(), sampleFeeds(t), "")
	openDaemon(t, path)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	second := daemon.New(cfg, zerolog.Nop())
	second.ConfigPath = path
	err = second.Open(context.Background())
	_ = second.Close(context.Background())
	if !errors.Is(err, sqlite.ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second daemon: %v, want sqlite.ErrLocked naming pid %d", err, os.Getpid())
	}
}
