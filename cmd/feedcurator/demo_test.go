package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestDemo runs `feedcurator demo` as a newcomer would: it prints a URL, and
// within seconds that URL serves a curated feed of the bundled samples.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, []string{"demo", "--listen", "127.0.0.1:0", "--database", filepath.Join(t.TempDir(), "demo.db"), "--log-level", "warn"}, &out, &errOut)
	}()
	re := regexp.MustCompile(`subscribe to (http://\S+/feeds/all\.atom)`)
	var url string
	waitFor(t, "the demo to print its URL", func() bool {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
			return true
		}
		return false
	})
	var body []byte
	waitFor(t, "the demo feed to fill", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ = io.ReadAll(resp.Body)
		return bytes.Count(body, []byte("<entry")) >= 40
	})
	for _, section := range []string{`term="containers"`, `term="paas"`, `term="industry"`, `term="misc"`} {
		if !bytes.Contains(body, []byte(section)) {
			t.Errorf("demo feed has no entry in %s", section)
		}
	}
	validateAtom(t, body)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("demo exited %d: %s", code, errOut.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatal("demo did not stop")
	}
}
