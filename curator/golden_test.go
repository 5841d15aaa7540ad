package curator_test

import (
	"bytes"
	"flag"
	"testing"

	"github.com/feedcurator/feedcurator/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite golden files")

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	testutil.Golden(t, path, append(bytes.TrimSpace(got), '\n'), *update)
}
