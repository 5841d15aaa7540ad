package xmlscan

import "testing"

func TestScanHelpers(t *testing.T) {
	for _, tc := range []struct {
		tag  string
		end  int
		name string
	}{
		{`<item>`, 5, "item"},
		{`<atom:entry xml:lang="zh">`, 25, "atom:entry"},
		{`<a title="x>y" b='>'>`, 20, "a"},
		{`<item/>`, 6, "item"},
		{`<item`, -1, ""},
		{`<a <b>`, -1, ""},
	} {
		if got := TagEnd([]byte(tc.tag)); got != tc.end {
			t.Errorf("TagEnd(%q) = %d, want %d", tc.tag, got, tc.end)
		}
		if tc.end > 0 {
			if got := string([]byte(tc.tag)[1:TagNameEnd([]byte(tc.tag), tc.end)]); got != tc.name {
				t.Errorf("name of %q = %q, want %q", tc.tag, got, tc.name)
			}
		}
	}
	if string(LocalName([]byte("atom:entry"))) != "entry" || string(LocalName([]byte("item"))) != "item" {
		t.Error("LocalName")
	}
	if !IsItemName([]byte("entry")) || IsItemName([]byte("feed")) {
		t.Error("IsItemName")
	}
}
