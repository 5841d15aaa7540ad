package feeds

import (
	"net/url"
	"sort"
	"strings"
)

// trackingParams are query parameters that say how a reader arrived, not
// what they read: dropped when comparing article URLs.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "mc_cid": true, "mc_eid": true,
	"ref": true, "ref_src": true, "source": true, "from": true, "spm": true, "share": true,
	"isappinstalled": true, "scene": true, "srcid": true, "sharer_sharetime": true, "sharer_shareid": true,
	"clicktime": true, "enterid": true, "ascene": true, "devicetype": true, "version": true,
	"pass_ticket": true, "uin": true, "key": true, "chksm": true, "mpshare": true, "exportkey": true,
	"wt_mc_id": true, "_hsenc": true, "_hsmi": true, "igshid": true, "yclid": true,
}

// CanonicalURL returns the form of an article URL under which two sources'
// links to the same story compare equal: scheme and host lower-cased, a
// leading "www." and the default port dropped, tracking parameters (utm_*,
// fbclid, WeChat's scene/srcid/…) and the fragment removed, the remaining
// parameters sorted, a trailing slash trimmed. It returns "" for a link that
// is not an absolute http(s) URL.
func CanonicalURL(link string) string {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	if host == "" {
		return ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && p != "80" && p != "443" {
		host += ":" + p
	}
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "utm_") || trackingParams[lk] {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("//")
	b.WriteString(host)
	path := strings.TrimRight(u.EscapedPath(), "/")
	b.WriteString(path)
	for i, k := range keys {
		vs := q[k]
		sort.Strings(vs)
		for j, v := range vs {
			if i == 0 && j == 0 {
				b.WriteByte('?')
			} else {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}
