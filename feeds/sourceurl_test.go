package feeds_test

import (
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/feeds"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://example.com/feed.xml", "https://example.com/feed.xml"},
		{"https://user:pass@example.com/feed.xml", "https://example.com/feed.xml"},
		{"https://user@example.com/feed", "https://example.com/feed"},
		{"https://gitlab.example/p.atom?private_token=abc123&x=1", "https://gitlab.example/p.atom?private_token=REDACTED&x=1"},
		{"https://e.com/f?key=team-a", "https://e.com/f?key=REDACTED"},
		{"https://e.com/f?apiKey=s3cret&page=2", "https://e.com/f?apiKey=REDACTED&page=2"},
		{"https://e.com/f?X-Amz-Signature=ff&X-Amz-Credential=cc", "https://e.com/f?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED"},
		{"https://e.com/f?lang=zh", "https://e.com/f?lang=zh"},
		{"https://e.com/f?flag", "https://e.com/f?flag"},
	} {
		if got := feeds.RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, secret := range []string{"pass", "abc123", "s3cret"} {
		for _, in := range []string{"https://u:pass@e.com/?token=abc123&secret=s3cret", "://u:pass@e.com%zz?token=abc123"} {
			if got := feeds.RedactURL(in); strings.Contains(got, secret) {
				t.Errorf("RedactURL(%q) = %q: still holds %q", in, got, secret)
			}
		}
	}
}

func TestSourceKey(t *testing.T) {
	same := [][2]string{
		{"HTTPS://Example.COM/feed", "https://example.com/feed"},
		{"https://example.com", "https://example.com/"},
		{"https://example.com:443/feed", "https://example.com/feed"},
		{"http://example.com:80/feed", "http://example.com/feed"},
		{"https://example.com/feed#top", "https://example.com/feed"},
		{"https://e.com/f?b=2&a=1", "https://e.com/f?a=1&b=2"},
	}
	for _, p := range same {
		if a, b := feeds.SourceKey(p[0]), feeds.SourceKey(p[1]); a != b {
			t.Errorf("SourceKey(%q) = %q, SourceKey(%q) = %q: want equal", p[0], a, p[1], b)
		}
	}
	different := [][2]string{
		{"https://e.com/feed.php?key=team-a", "https://e.com/feed.php?key=team-b"},
		{"http://e.com/feed", "https://e.com/feed"},
		{"https://e.com:8443/feed", "https://e.com/feed"},
		{"https://e.com/Feed", "https://e.com/feed"},
	}
	for _, p := range different {
		if a, b := feeds.SourceKey(p[0]), feeds.SourceKey(p[1]); a == b {
			t.Errorf("SourceKey(%q) = SourceKey(%q) = %q: want different", p[0], p[1], a)
		}
	}
}
