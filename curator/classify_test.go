package curator_test

import (
	"fmt"
	"testing"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
)

// TestSectionsWithoutRules: a section may have no rules (it is reached by
// source defaults, the fallback and editors' moves), and a ruleset in which
// no section has any must classify and explain without panicking.
func TestSectionsWithoutRules(t *testing.T) {
	for name, tc := range map[string]struct {
		secs []curator.SectionSpec
		opts curator.Options
		item feeds.Item
		want string
	}{
		"one section, no rules": {
			secs: []curator.SectionSpec{{ID: "all", Title: "All"}},
			item: feeds.Item{Title: "Docker 容器"},
			want: "all",
		},
		"no rules, source default": {
			secs: []curator.SectionSpec{{ID: "a"}, {ID: "b"}},
			opts: curator.Options{Fallback: "b", Sources: []curator.SourceOptions{{Name: "s", Section: "a"}}},
			item: feeds.Item{Title: "x", Stored: feeds.Stored{SourceName: "s"}},
			want: "a",
		},
		"no rules, bias only": {
			secs: []curator.SectionSpec{{ID: "a"}, {ID: "b"}},
			opts: curator.Options{Sources: []curator.SourceOptions{{Name: "s", Bias: map[string]float64{"a": 2}}}},
			item: feeds.Item{Title: "x", Stored: feeds.Stored{SourceName: "s"}},
			want: "b",
		},
		"rules elsewhere": {
			secs: []curator.SectionSpec{{ID: "a"}, {ID: "b", Rules: []curator.RuleSpec{{Keywords: []string{"docker"}}}}, {ID: "c"}},
			opts: curator.Options{Fallback: "a"},
			item: feeds.Item{Title: "nothing here"},
			want: "a",
		},
		"exclude rules only": {
			secs: []curator.SectionSpec{{ID: "a"}},
			opts: curator.Options{Exclude: []curator.RuleSpec{{Keywords: []string{"ad"}}}},
			item: feeds.Item{Title: "an ad"},
			want: "a",
		},
	} {
		t.Run(name, func(t *testing.T) {
			rs := mustCompile(t, tc.secs, tc.opts)
			var d curator.Decision
			var ex curator.Explanation
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("classify %q panicked: %v", tc.item.Title, r)
					}
				}()
				d = rs.Classify(&tc.item)
				ex = rs.Explain(&tc.item)
			}()
			if d.Section != tc.want || ex.Section != tc.want {
				t.Errorf("classify = %+v, explain = %s, want %s", d, ex.Section, tc.want)
			}
			if got := fmt.Sprint(len(ex.Scores)); got != fmt.Sprint(len(tc.secs)) {
				t.Errorf("explanation has %s section scores, want %d", got, len(tc.secs))
			}
		})
	}
}
