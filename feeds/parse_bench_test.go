package feeds_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/feedcurator/feedcurator/feeds"
)

// BenchmarkParse parses each sample feed of testdata, as every fetch of a
// changed document does.
func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"rss2-en.xml", "rss2-zh-cst.xml", "atom-xmlbase.atom", "rdf-rss10.rdf", "rss-gbk-nodecl.xml", "rss-control-chars.xml"} {
		doc, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := feeds.ParseBytes(doc, "https://example.com/feed", ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
