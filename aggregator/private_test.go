package aggregator

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/feedcurator/feedcurator/feeds"
)

func TestDenyPrivateAddresses(t *testing.T) {
	for addr, deny := range map[string]bool{
		"127.0.0.1:80":         true,
		"[::1]:443":            true,
		"10.1.2.3:80":          true,
		"172.16.0.1:80":        true,
		"192.168.1.1:80":       true,
		"169.254.169.254:80":   true, // cloud metadata
		"100.64.0.1:80":        true,
		"0.0.0.0:80":           true,
		"[fd00::1]:80":         true,
		"[::ffff:10.0.0.1]:80": true,
		"93.184.216.34:443":    false,
		"[2606:4700::1]:443":   false,
	} {
		err := denyPrivate("tcp", addr, nil)
		if got := errors.Is(err, ErrPrivateAddress); got != deny {
			t.Errorf("%s: denied %v, want %v (%v)", addr, got, deny, err)
		}
	}
}

func TestFetchDenyPrivate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<rss version="2.0"><channel><title>x</title></channel></rss>`))
	}))
	defer srv.Close()
	opts := DefaultOptions()
	opts.DenyPrivate = true
	f := NewFetcher(NewHTTPClient(opts), opts)
	_, err := f.Fetch(context.Background(), feeds.Source{ConfigURL: srv.URL})
	if !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("fetch from loopback with deny_private: %v", err)
	}
	opts.DenyPrivate = false
	f = NewFetcher(NewHTTPClient(opts), opts)
	if _, err := f.Fetch(context.Background(), feeds.Source{ConfigURL: srv.URL}); err != nil {
		t.Fatalf("fetch from loopback without deny_private: %v", err)
	}
}
