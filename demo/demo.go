// Package demo serves a handful of bundled sample feeds, Chinese and English,
// RSS and Atom, so that `feedcurator demo` shows a curated feed on a machine
// with no internet access.
package demo

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
)

//go:embed feeds/*.xml feeds/*.atom
var files embed.FS

// Feed is one bundled sample feed.
type Feed struct {
	Name string // source name to configure
	Path string // URL path it is served at
}

var names = map[string]string{
	"docker-cn.xml":    "容器技术周报 (demo)",
	"k8s-blog.atom":    "Kubernetes Blog (demo)",
	"industry-cn.xml":  "业内资讯 (demo)",
	"industry-en.atom": "Industry News (demo)",
	"misc.xml":         "Tech Miscellany (demo)",
}

// Feeds lists the bundled feeds in a stable order.
func Feeds() []Feed {
	entries, _ := fs.ReadDir(files, "feeds")
	var out []Feed
	for _, e := range entries {
		n := e.Name()
		name := names[n]
		if name == "" {
			name = strings.TrimSuffix(n, path.Ext(n)) + " (demo)"
		}
		out = append(out, Feed{Name: name, Path: "/" + n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Handler serves the bundled feeds with an ETag, so that pollers can send
// conditional requests and get 304 Not Modified.
func Handler() http.Handler {
	type file struct {
		body []byte
		etag string
	}
	byPath := map[string]file{}
	entries, _ := fs.ReadDir(files, "feeds")
	for _, e := range entries {
		b, err := files.ReadFile("feeds/" + e.Name())
		if err != nil {
			continue
		}
		sum := sha256.Sum256(b)
		byPath["/"+e.Name()] = file{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := byPath[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		switch path.Ext(r.URL.Path) {
		case ".atom":
			w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
		default:
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		}
		w.Header().Set("ETag", f.etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	})
}

// Open returns the content of a bundled feed by its path, e.g. "/misc.xml".
func Open(p string) ([]byte, error) { return files.ReadFile("feeds" + p) }
