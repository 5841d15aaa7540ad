package feeds

import "testing"

func TestCanonicalURL(t *testing.T) {
	same := [][]string{
		{"https://www.Example.com/post/1/?utm_source=rss&utm_medium=feed#comments", "http://example.com/post/1", "https://example.com:443/post/1?fbclid=abc"},
		{"https://mp.weixin.qq.com/s?__biz=MzI0NTE4NjA0OQ==&mid=2658351228&idx=1&sn=c11d59c2&scene=1&srcid=0701f5zi&key=77421cf5&ascene=0&uin=MTM4&devicetype=iMac&version=11020201&pass_ticket=gv8Y",
			"https://mp.weixin.qq.com/s?sn=c11d59c2&idx=1&mid=2658351228&__biz=MzI0NTE4NjA0OQ=="},
		{"https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"},
	}
	for _, group := range same {
		want := CanonicalURL(group[0])
		if want == "" {
			t.Fatalf("%s: empty", group[0])
		}
		for _, u := range group[1:] {
			if got := CanonicalURL(u); got != want {
				t.Errorf("CanonicalURL(%s) = %s, want %s", u, got, want)
			}
		}
	}
	different := [][2]string{
		{"https://example.com/post/1", "https://example.com/post/2"},
		{"https://example.com/p?id=1", "https://example.com/p?id=2"},
		{"https://example.com:8080/p", "https://example.com/p"},
		{"https://a.example.com/p", "https://b.example.com/p"},
	}
	for _, d := range different {
		if CanonicalURL(d[0]) == CanonicalURL(d[1]) {
			t.Errorf("%s and %s compare equal", d[0], d[1])
		}
	}
	for _, bad := range []string{"", "mailto:a@b", "/relative", "ftp://x/y", "http://"} {
		if got := CanonicalURL(bad); got != "" {
			t.Errorf("CanonicalURL(%q) = %q, want empty", bad, got)
		}
	}
}

func FuzzCanonicalURL(f *testing.F) {
	f.Add("https://www.example.com/a/?utm_source=x#f")
	f.Add("http://[::1]:80/p?q=1&q=0")
	f.Fuzz(func(t *testing.T, s string) {
		c := CanonicalURL(s)
		if c == "" {
			return
		}
		if again := CanonicalURL("https:" + c); again != c {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, c, again)
		}
	})
}
