// Package webguard holds the checks the daemon's HTTP surface makes before
// it lets a request change anything: whether it came straight from
// loopback, whether a proxy forwarded it, and whether a browser sent it
// for a page of another site. The admin endpoints and the editor's desk
// share them, so the two agree on what "local" means.
package webguard

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// proxyHeaders are the headers a proxy adds to the requests it forwards.
var proxyHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip", "Via"}

// CrossSite reports whether a browser sent r for a page of another origin:
// Sec-Fetch-Site says so, or, from a browser that does not send it, Origin
// names another host than the request's (or is "null", as sandboxed pages
// and some redirects send). "Sec-Fetch-Site: same-origin" settles it: a page
// cannot forge it, and a browser sends "Origin: null" for its own pages
// under a no-referrer policy. Clients that are not browsers (curl,
// feedcurator reload) send neither.
func CrossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin":
		return false
	case "", "none":
	default:
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err != nil || origin == "null" || !strings.EqualFold(u.Host, r.Host)
}

// Proxied reports whether r came through a proxy that said so: it carries
// Forwarded, X-Forwarded-For, X-Forwarded-Host, X-Real-IP or Via.
func Proxied(r *http.Request) bool {
	for _, h := range proxyHeaders {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	return false
}

// FromLoopback reports whether r's peer address is a loopback address.
// It says nothing of the client behind a proxy: check Proxied too.
func FromLoopback(r *http.Request) bool {
	ip := net.ParseIP(ClientHost(r))
	return ip != nil && ip.IsLoopback()
}

// ClientHost returns the host of r's peer address (without the port), or
// the whole RemoteAddr when it has no port.
func ClientHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
