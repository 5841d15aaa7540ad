package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/config"
)

const minimalConfig = `database: %s
listen: 127.0.0.1:0
retention:
  interval: %s
  max_per_source: 100
sources:
  - name: a
    url: http://127.0.0.1:1/feed.xml
sections:
  - id: misc
    title: Misc
`

func openMinimal(t *testing.T, retention string) (*Main, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(minimalConfig, filepath.Join(dir, "db"), retention)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m := New(cfg, zerolog.New(zerolog.NewTestWriter(t)))
	m.ConfigPath = path
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	return m, path
}

// TestRetentionIntervalReload: a reload that shortens retention.interval
// takes effect at once, not after the old interval.
func TestRetentionIntervalReload(t *testing.T) {
	m, path := openMinimal(t, "24h")
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, bytes.Replace(data, []byte("interval: 24h"), []byte("interval: 1ms"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := m.Reload(context.Background())
	if err != nil || !strings.Contains(res.String(), "retention.interval") {
		t.Fatalf("reload: %v %v", res, err)
	}
	deadline := time.Now().Add(time.Minute)
	for m.pruned.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("retention ran %d times in a minute after its interval became 1ms", m.pruned.Load())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestConnectionCap: connections beyond the cap wait for one to close
// instead of taking file descriptors.
func TestConnectionCap(t *testing.T) {
	m, _ := openMinimal(t, "1h")
	m.MaxConnections = 3
	m.Serve(context.Background())
	var held []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", m.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// A request answered keeps the connection open and idle.
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		buf := make([]byte, 1)
		if _, err := c.Read(buf); err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	client := &http.Client{Timeout: 300 * time.Millisecond}
	if resp, err := client.Get("http://" + m.Addr + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatalf("a fourth connection was served while 3 were open (cap 3): %s", resp.Status)
	}
	held[0].Close()
	client.Timeout = time.Minute
	resp, err := client.Get("http://" + m.Addr + "/healthz")
	if err != nil {
		t.Fatalf("after one closed: %v", err)
	}
	resp.Body.Close()
}

// TestHTTPErrorLog: net/http's own messages go to the JSON log with a
// constant message, at most one a second.
func TestHTTPErrorLog(t *testing.T) {
	var buf bytes.Buffer
	l := httpErrorLog(zerolog.New(&buf))
	l.Printf("http: Accept error: accept tcp: too many open files; retrying in 5ms")
	l.Printf("http: Accept error: accept tcp: too many open files; retrying in 10ms")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1 (the second within a second is dropped):\n%s", len(lines), buf.String())
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatalf("not JSON: %s", lines[0])
	}
	if line["message"] != "http server error" || !strings.Contains(fmt.Sprint(line["error"]), "too many open files") {
		t.Errorf("line: %s", lines[0])
	}
}
