package webguard_test

import (
	"net/http/httptest"
	"testing"

	"github.com/feedcurator/feedcurator/internal/webguard"
)

func TestCrossSite(t *testing.T) {
	for _, c := range []struct {
		name    string
		host    string
		headers map[string]string
		want    bool
	}{
		{"no headers (curl)", "127.0.0.1:8080", nil, false},
		{"same origin", "127.0.0.1:8080", map[string]string{"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}, false},
		{"typed in the address bar", "127.0.0.1:8080", map[string]string{"Sec-Fetch-Site": "none"}, false},
		{"host case differs", "Desk.Example:8080", map[string]string{"Origin": "https://desk.example:8080"}, false},
		{"other origin", "127.0.0.1:8080", map[string]string{"Origin": "http://evil.example"}, true},
		{"other port", "127.0.0.1:8080", map[string]string{"Origin": "http://127.0.0.1:9090"}, true},
		{"null origin", "127.0.0.1:8080", map[string]string{"Origin": "null"}, true},
		// A no-referrer policy makes a browser send "Origin: null" for its
		// own pages' forms; Sec-Fetch-Site says where they came from.
		{"own page under no-referrer", "127.0.0.1:8080", map[string]string{"Origin": "null", "Sec-Fetch-Site": "same-origin"}, false},
		{"proxy rewrote the host", "127.0.0.1:8080", map[string]string{"Origin": "https://desk.example", "Sec-Fetch-Site": "same-origin"}, false},
		{"null origin, typed", "127.0.0.1:8080", map[string]string{"Origin": "null", "Sec-Fetch-Site": "none"}, true},
		{"cross-site fetch", "127.0.0.1:8080", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"same-site fetch", "127.0.0.1:8080", map[string]string{"Sec-Fetch-Site": "same-site"}, true},
		{"unparsable origin", "127.0.0.1:8080", map[string]string{"Origin": "http://[::1"}, true},
	} {
		r := httptest.NewRequest("POST", "http://"+c.host+"/desk/login", nil)
		for k, v := range c.headers {
			r.Header.Set(k, v)
		}
		if got := webguard.CrossSite(r); got != c.want {
			t.Errorf("%s: CrossSite = %v, want %v (headers %v)", c.name, got, c.want, c.headers)
		}
	}
}

func TestProxied(t *testing.T) {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP", "Via"} {
		r := httptest.NewRequest("GET", "/desk/", nil)
		r.Header.Set(h, "203.0.113.9")
		if !webguard.Proxied(r) {
			t.Errorf("a request with %s is not taken as proxied", h)
		}
	}
	if r := httptest.NewRequest("GET", "/desk/", nil); webguard.Proxied(r) {
		t.Errorf("a plain request is taken as proxied: %v", r.Header)
	}
}

func TestFromLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:5000":   true,
		"127.8.9.10:5000":  true,
		"[::1]:5000":       true,
		"192.0.2.1:5000":   false,
		"[2001:db8::1]:80": false,
		"localhost:5000":   false, // a name is not an address
		"":                 false,
		"127.0.0.1":        true, // no port: the whole address
	} {
		r := httptest.NewRequest("GET", "/desk/", nil)
		r.RemoteAddr = addr
		if got := webguard.FromLoopback(r); got != want {
			t.Errorf("FromLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestClientHost(t *testing.T) {
	for addr, want := range map[string]string{"192.0.2.1:5000": "192.0.2.1", "[::1]:80": "::1", "pipe": "pipe"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		if got := webguard.ClientHost(r); got != want {
			t.Errorf("ClientHost(%q) = %q, want %q", addr, got, want)
		}
	}
}
