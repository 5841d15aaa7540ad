package daemon

import (
	"context"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/desk"
	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/sqlite"
)

// The store and the digest are what the desk edits and asks.
var (
	_ desk.Store   = (*sqlite.DB)(nil)
	_ desk.Builder = (*digest.Builder)(nil)
)

// newDesk returns the editor's desk over the daemon's store and digest: its
// password and its remote switch follow reloads, its explanations are the
// curator's as it decides now.
func (m *Main) newDesk() *desk.Desk {
	return desk.New(desk.Options{
		Builder: m.Digest,
		Store:   m.DB,
		Explain: func(ctx context.Context, id int64) (curator.Explanation, error) {
			ex, err := ExplainStored(ctx, m.DB, m.Curator.Ruleset(), id)
			return ex.Explanation, err
		},
		PasswordHash: func() string { return m.config().Desk.PasswordHash },
		Remote:       func() bool { return m.config().Desk.AllowRemote },
		Logger:       m.Logger,
	})
}
