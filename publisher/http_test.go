package publisher_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConditionalAndCompressed(t *testing.T) {
	store := newStore()
	_, srv := newServer(t, store, nil)
	for _, path := range []string{"/feeds/all.atom", "/feeds/paas.rss", "/feeds/misc.json", "/feeds/digest.atom", "/", "/sources.opml", "/digest/2016-W26.html", "/digest/2016-W26.md"} {
		u := srv.URL + path
		t.Run(path, func(t *testing.T) {
			resp, plain := fetch(t, "GET", u)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			etag := resp.Header.Get("ETag")
			if !strings.HasPrefix(etag, `"`) || resp.Header.Get("Content-Encoding") != "" {
				t.Errorf("identity: ETag %q, Content-Encoding %q", etag, resp.Header.Get("Content-Encoding"))
			}
			if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") || !strings.HasPrefix(resp.Header.Get("Cache-Control"), "public, max-age=") {
				t.Errorf("Vary %q, Cache-Control %q", resp.Header.Get("Vary"), resp.Header.Get("Cache-Control"))
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no nosniff")
			}

			// gzip, from the copy compressed at render time.
			resp, zipped := fetch(t, "GET", u, "Accept-Encoding", "br, gzip;q=0.8")
			if resp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
			}
			if !bytes.Equal(gunzip(t, zipped), plain) {
				t.Error("gzipped body differs")
			}
			gzTag := resp.Header.Get("ETag")
			if gzTag == etag || gzTag == "" {
				t.Errorf("gzip ETag %q, identity %q: want two strong validators", gzTag, etag)
			}
			for _, ae := range []string{"gzip;q=0", "identity", "br", "*;q=0", "gzip;q=0, *"} {
				if resp, _ := fetch(t, "GET", u, "Accept-Encoding", ae); resp.Header.Get("Content-Encoding") != "" {
					t.Errorf("Accept-Encoding %q: got %q", ae, resp.Header.Get("Content-Encoding"))
				}
			}
			if resp, _ := fetch(t, "GET", u, "Accept-Encoding", "*"); resp.Header.Get("Content-Encoding") != "gzip" {
				t.Error(`Accept-Encoding "*": not gzipped`)
			}

			// 304s: either copy's ETag, weak or in a list, and dates.
			for _, inm := range []string{etag, gzTag, "W/" + etag, `"other", ` + etag, "*"} {
				resp, body := fetch(t, "GET", u, "If-None-Match", inm, "Accept-Encoding", "gzip")
				if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
					t.Errorf("If-None-Match %s: status %d, %d bytes", inm, resp.StatusCode, len(body))
				}
				if resp.Header.Get("ETag") == "" || resp.Header.Get("Cache-Control") == "" {
					t.Errorf("304 without ETag or Cache-Control: %v", resp.Header)
				}
			}
			if resp, _ := fetch(t, "GET", u, "If-None-Match", `"stale"`); resp.StatusCode != 200 {
				t.Errorf("stale If-None-Match: status %d", resp.StatusCode)
			}
			if lm := resp.Header.Get("Last-Modified"); lm != "" {
				if resp, _ := fetch(t, "GET", u, "If-Modified-Since", lm); resp.StatusCode != http.StatusNotModified {
					t.Errorf("If-Modified-Since %s: status %d", lm, resp.StatusCode)
				}
			} else if path != "/sources.opml" {
				t.Error("no Last-Modified")
			}

			// HEAD: the headers of GET, no body.
			resp, body := fetch(t, "HEAD", u, "Accept-Encoding", "gzip")
			if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("ETag") != gzTag || resp.ContentLength != int64(len(zipped)) {
				t.Errorf("HEAD: status %d, %d bytes, ETag %q, length %d", resp.StatusCode, len(body), resp.Header.Get("ETag"), resp.ContentLength)
			}
			resp, body = fetch(t, "HEAD", u)
			if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("ETag") != etag || resp.ContentLength != int64(len(plain)) {
				t.Errorf("HEAD uncompressed: status %d, %d bytes, ETag %q, length %d", resp.StatusCode, len(body), resp.Header.Get("ETag"), resp.ContentLength)
			}

			// If-None-Match outranks If-Modified-Since (RFC 9110 13.2.2).
			if lm := resp.Header.Get("Last-Modified"); lm != "" {
				if resp, _ := fetch(t, "GET", u, "If-None-Match", `"stale"`, "If-Modified-Since", lm); resp.StatusCode != 200 {
					t.Errorf("stale If-None-Match with a current If-Modified-Since: status %d, want 200", resp.StatusCode)
				}
			}

			// A range of the uncompressed document.
			resp, part := fetch(t, "GET", u, "Range", "bytes=0-9")
			if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, plain[:10]) {
				t.Errorf("Range bytes=0-9: status %d, body %q", resp.StatusCode, part)
			}
		})
	}
}

// TestValidatorsFollowContent: ETag and Last-Modified stay while the
// content does, whatever happens to the store's version, and move when it
// changes, even when the change is a removal that makes no date newer.
func TestValidatorsFollowContent(t *testing.T) {
	store := newStore()
	_, srv := newServer(t, store, nil)
	u := srv.URL + "/feeds/paas.atom"
	resp, _ := fetch(t, "GET", u)
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	modified, err := http.ParseTime(lm)
	if err != nil {
		t.Fatal(err)
	}
	// The newest paas entry is item 12, published 2016-06-29 15:00 CST.
	if want := time.Date(2016, 6, 29, 7, 0, 0, 0, time.UTC); !modified.Equal(want) {
		t.Errorf("Last-Modified %s, want the newest entry's update %s", lm, want.Format(http.TimeFormat))
	}

	// A change elsewhere in the store: new version, same content.
	store.update(func(m *memStore) { m.items[0].Title = "改了另一个栏目的标题" })
	resp, _ = fetch(t, "GET", u)
	if resp.Header.Get("ETag") != etag || resp.Header.Get("Last-Modified") != lm {
		t.Errorf("validators moved without a content change: %s %s", resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"))
	}
	if resp, _ := fetch(t, "GET", u, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("status %d after an unrelated change, want 304", resp.StatusCode)
	}

	// A removal: the content changes, no date gets newer; both move.
	store.update(func(m *memStore) {
		for i := range m.items {
			if m.items[i].ID == 3 {
				m.items[i].Excluded = true
			}
		}
	})
	resp, _ = fetch(t, "GET", u)
	if resp.Header.Get("ETag") == etag {
		t.Error("ETag unchanged after a removal")
	}
	lm2, _ := http.ParseTime(resp.Header.Get("Last-Modified"))
	if !lm2.After(modified) {
		t.Errorf("Last-Modified %s after a removal, was %s", resp.Header.Get("Last-Modified"), lm)
	}
	if resp, _ := fetch(t, "GET", u, "If-Modified-Since", lm); resp.StatusCode != 200 {
		t.Errorf("If-Modified-Since the old date: status %d, want 200", resp.StatusCode)
	}
	if resp, _ := fetch(t, "GET", u, "If-None-Match", etag); resp.StatusCode != 200 {
		t.Errorf("old ETag: status %d, want 200", resp.StatusCode)
	}
}
