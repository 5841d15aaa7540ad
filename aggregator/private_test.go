package aggregator

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
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

// TestIsPrivateAddress: the special-purpose ranges, and IPv6 forms that
// embed one of the IPv4 ones, are refused; public addresses of both
// families, and embeddings of public IPv4 addresses, are not. (Only
// addresses as values: nothing is sent anywhere.)
func TestIsPrivateAddress(t *testing.T) {
	for _, tc := range []struct {
		addr string
		deny bool
	}{
		{"0.0.0.0", true}, {"0.1.2.3", true}, // this network
		{"10.0.0.5", true}, {"172.16.0.1", true}, {"172.31.255.255", true}, {"192.168.1.1", true},
		{"100.64.0.1", true}, {"100.127.255.255", true}, // shared address space
		{"127.0.0.1", true}, {"127.255.0.1", true},
		{"169.254.169.254", true},
		{"192.0.0.8", true}, {"192.0.2.1", true}, {"198.51.100.7", true}, {"203.0.113.9", true},
		{"192.88.99.1", true},
		{"198.18.0.1", true}, {"198.19.255.254", true}, // benchmarking
		{"224.0.0.1", true}, {"239.255.255.250", true}, // multicast
		{"240.0.0.1", true}, {"255.255.255.255", true}, // reserved, broadcast
		{"::", true}, {"::1", true}, {"::10.0.0.5", true}, // IPv4-compatible
		{"::ffff:127.0.0.1", true}, {"::ffff:169.254.169.254", true}, {"::ffff:0:10.0.0.5", true},
		{"64:ff9b::10.0.0.5", true}, {"64:ff9b::169.254.169.254", true}, {"64:ff9b::127.0.0.1", true},
		{"64:ff9b:1::1", true}, {"64:ff9b:1:ffff::93.184.216.34", true}, // local-use NAT64
		{"2002:a00:5::1", true}, {"2002:a9fe:a9fe::1", true}, {"2002:7f00:1::", true}, // 6to4 of private IPv4
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", true}, // Teredo
		{"2001:db8::1", true}, {"100::1", true},
		{"fc00::1", true}, {"fd12:3456::1", true}, {"fe80::1", true}, {"fe80::1%eth0", true}, {"febf::1", true}, {"fec0::1", true},
		{"ff02::1", true}, {"ff05::2", true},
		{"93.184.216.34", false}, {"8.8.8.8", false}, {"100.63.255.255", false}, {"100.128.0.0", false},
		{"172.32.0.1", false}, {"198.17.255.255", false}, {"198.20.0.1", false}, {"223.255.255.255", false},
		{"::ffff:93.184.216.34", false}, {"64:ff9b::93.184.216.34", false}, {"2002:5db8:d822::1", false},
		{"2606:4700::1", false}, {"2a00:1450:4001:81c::200e", false},
	} {
		ip := netip.MustParseAddr(tc.addr)
		if got := IsPrivateAddress(ip); got != tc.deny {
			t.Errorf("IsPrivateAddress(%s) = %v, want %v", tc.addr, got, tc.deny)
		}
		port := "80"
		if err := denyPrivate("tcp", net.JoinHostPort(ip.String(), port), nil); errors.Is(err, ErrPrivateAddress) != tc.deny {
			t.Errorf("dial %s: %v, want denied %v", tc.addr, err, tc.deny)
		}
	}
}

// recordingProxy is a forward proxy on loopback that forwards nothing: it
// records the host of every request it is asked to forward (CONNECT
// included) and answers 502, or serves what serve returns for a host.
type recordingProxy struct {
	*httptest.Server
	mu    sync.Mutex
	hosts []string
}

func newRecordingProxy(t *testing.T, serve func(w http.ResponseWriter, r *http.Request) bool) *recordingProxy {
	p := &recordingProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.hosts = append(p.hosts, r.Host)
		p.mu.Unlock()
		if serve == nil || !serve(w, r) {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *recordingProxy) asked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.hosts)
}

// fakeLookup resolves a few test names without asking any resolver.
func fakeLookup(_ context.Context, host string) ([]netip.Addr, error) {
	switch host {
	case "feed.example":
		return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
	case "rebind.example":
		return []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.0.0.5")}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestProxyDenyPrivate: through a proxy, deny_private checks the target
// (its address or what its name resolves to), before anything is sent to
// the proxy, and every redirect hop; the proxy named in Options.Proxy is
// trusted though it is on loopback. The proxy runs on loopback and forwards
// nothing: that it records no request for a private host proves that none
// was sent.
func TestProxyDenyPrivate(t *testing.T) {
	proxy := newRecordingProxy(t, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.Host {
		case "feed.example":
			switch r.URL.Path {
			case "/to-private":
				http.Redirect(w, r, "http://10.0.0.5/feed", http.StatusFound)
			case "/to-metadata":
				http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusMovedPermanently)
			case "/to-rebind":
				http.Redirect(w, r, "http://rebind.example/feed", http.StatusFound)
			default:
				w.Write([]byte(`<rss version="2.0"><channel><title>via proxy</title><item><title>a</title><guid>a</guid></item></channel></rss>`))
			}
			return true
		}
		return false
	})
	opts := DefaultOptions()
	opts.DenyPrivate = true
	opts.Proxy = proxy.URL
	opts.lookup = fakeLookup
	f := NewFetcher(NewHTTPClient(opts), opts)

	resp, err := f.Fetch(context.Background(), feeds.Source{ConfigURL: "http://feed.example/feed"})
	if err != nil || resp.Feed == nil || resp.Feed.Title != "via proxy" {
		t.Fatalf("fetch of a public host through the configured loopback proxy: %v", err)
	}
	for _, u := range []string{
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.5/",
		"https://10.0.0.5/feed",
		"http://[::ffff:10.0.0.5]/",
		"http://[64:ff9b::a9fe:a9fe]/",
		"http://rebind.example/feed",
		"http://feed.example/to-private",
		"http://feed.example/to-metadata",
		"http://feed.example/to-rebind",
	} {
		_, err := f.Fetch(context.Background(), feeds.Source{ConfigURL: u})
		if !errors.Is(err, ErrPrivateAddress) || ErrorKind(err) != KindPrivateAddress {
			t.Errorf("fetch %s through the proxy: %v (kind %q), want ErrPrivateAddress", u, err, ErrorKind(err))
		}
	}
	for _, h := range proxy.asked() {
		if h != "feed.example" {
			t.Errorf("the proxy was asked for %s; want only feed.example (all asked: %q)", h, proxy.asked())
		}
	}
	if _, err := f.Fetch(context.Background(), feeds.Source{ConfigURL: "http://unknown.example/"}); ErrorKind(err) != KindDNS {
		t.Errorf("a target that does not resolve: %v (kind %q), want refused as dns", err, ErrorKind(err))
	}
}

// TestEnvironmentProxyDenyPrivate: a proxy taken from the environment is
// not trusted: on loopback it is refused like any loopback server, and
// receives nothing. Without deny_private it is used. (Not parallel: it sets
// the environment.)
func TestEnvironmentProxyDenyPrivate(t *testing.T) {
	proxy := newRecordingProxy(t, nil)
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	opts := DefaultOptions()
	opts.DenyPrivate = true
	opts.lookup = fakeLookup
	f := NewFetcher(NewHTTPClient(opts), opts)
	for _, u := range []string{"http://feed.example/feed", "http://10.0.0.5/"} {
		if _, err := f.Fetch(context.Background(), feeds.Source{ConfigURL: u}); !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("fetch %s through a loopback proxy from the environment: %v, want ErrPrivateAddress", u, err)
		}
	}
	if h := proxy.asked(); len(h) != 0 {
		t.Errorf("the proxy was asked for %q", h)
	}

	opts.DenyPrivate = false
	f = NewFetcher(NewHTTPClient(opts), opts)
	if _, err := f.Fetch(context.Background(), feeds.Source{ConfigURL: "http://feed.example/feed"}); ErrorKind(err) != KindHTTP5xx {
		t.Errorf("without deny_private: %v, want the proxy's 502", err)
	}
	if h := proxy.asked(); len(h) != 1 || h[0] != "feed.example" {
		t.Errorf("without deny_private the proxy was asked for %q, want feed.example", h)
	}
}
