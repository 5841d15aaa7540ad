package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/feedcurator/feedcurator/feeds"
)

func TestItemDecisionNotFound(t *testing.T) {
	db := MustOpenDB(t)
	if _, err := db.ItemDecision(context.Background(), 12345); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("ItemDecision of no item: %v, want feeds.ErrNotFound", err)
	}
}
