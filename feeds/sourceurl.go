package feeds

import (
	"net/url"
	"sort"
	"strings"
)

// SourceKey returns the form under which two source (feed) URLs are the same
// source: scheme and host lower-cased, the default port dropped, an empty
// path written "/", the fragment removed and the query parameters sorted.
// Unlike CanonicalURL, which compares article links, it keeps every query
// parameter: feed.php?key=team-a and feed.php?key=team-b are two feeds.
// A string that does not parse is its own key.
func SourceKey(s string) string {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return s
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(p == "80" && u.Scheme == "http") && !(p == "443" && u.Scheme == "https") {
		host += ":" + p
	}
	u.Host = host
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		sort.Strings(parts)
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String()
}

// secretParams are query parameter names (lower case) whose values are
// credentials; any name containing one of secretWords is one too.
var secretParams = map[string]bool{
	"key": true, "apikey": true, "api_key": true, "token": true, "access_token": true,
	"private_token": true, "auth": true, "sig": true, "signature": true, "secret": true,
	"password": true, "passwd": true, "pwd": true, "session": true, "sid": true, "code": true,
	"hash": true, "hmac": true, "jwt": true, "ticket": true, "pass_ticket": true, "credential": true,
	"x-amz-signature": true, "x-amz-credential": true, "x-amz-security-token": true,
}

var secretWords = []string{"token", "key", "secret", "pass", "auth", "sig", "session", "credential"}

// Redacted is what RedactURL writes in place of a secret.
const Redacted = "REDACTED"

// RedactURL returns s fit to be shown or published: without user name and
// password, and with the value of every query parameter that may hold a
// credential (token, key, secret, password, signature, session and the
// like) replaced by REDACTED. The request to the source itself uses the
// URL as configured; nothing else should. A string that does not parse as
// a URL loses anything before an "@" and its whole query.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.LastIndexByte(s, '@'); i >= 0 {
			s = s[i+1:]
		}
		if i := strings.IndexByte(s, '?'); i >= 0 {
			s = s[:i]
		}
		return s
	}
	u.User = nil
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		changed := false
		for i, p := range parts {
			name, _, hasValue := strings.Cut(p, "=")
			if dn, err := url.QueryUnescape(name); err == nil {
				name = dn
			}
			if hasValue && secretParam(name) {
				parts[i] = url.QueryEscape(name) + "=" + Redacted
				changed = true
			}
		}
		if changed {
			u.RawQuery = strings.Join(parts, "&")
		}
	}
	return u.String()
}

func secretParam(name string) bool {
	n := strings.ToLower(name)
	if secretParams[n] {
		return true
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
