package digest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

// Run writes each issue's Markdown into Options.Dir once it is due, until
// ctx is cancelled. Every Interval it looks at the newest due week; if that
// week's file does not exist yet, it builds the issue and writes it. So a
// daemon that was down at the scheduled time catches up when it starts,
// and an issue already written (perhaps edited by hand since) is never
// overwritten: use Build and WriteFile to rebuild one on purpose. A week
// without items writes nothing yet and is asked again on every tick, so
// that its issue is written when its items arrive (a daemon started after
// the issue was due, before its first fetch); it is given up when the next
// week's issue is due. Options are read on every tick, so a reload that
// sets or changes Dir or Interval applies without a restart; with no Dir,
// a tick does nothing, unless the store keeps issues: then the due issue
// is published (frozen) on schedule whether or not a file is written. Run returns at once when Interval is 0.
func (b *Builder) Run(ctx context.Context) error {
	interval := b.o().Interval
	if interval <= 0 {
		return nil
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var done, empty feeds.Week
	var dir string
	failures := 0
	for {
		o := b.o()
		if o.Interval > 0 && o.Interval != interval {
			interval = o.Interval
			t.Reset(interval)
		}
		if o.Dir != dir { // a new folder has none of the issues written yet
			dir, done, empty = o.Dir, feeds.Week{}, feeds.Week{}
		}
		if dir == "" && b.issues == nil {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			continue
		}
		w, err := b.PublishDue(ctx, done)
		switch {
		case err == nil:
			done, failures = w, 0
		case errors.Is(err, ErrEmpty):
			failures = 0
			if w != empty { // once a week, not once a tick
				empty = w
				b.logger.Info().Str(logkey.Week, w.String()).Msg("digest empty")
			}
		case ctx.Err() != nil:
			return nil
		default:
			// A run of failures is logged at the 1st, 2nd, 4th, 8th...
			failures++
			if failures&(failures-1) == 0 {
				b.logger.Error().Err(err).Int(logkey.ErrorCount, failures).Msg("digest failed")
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// PublishDue writes the newest due issue into Options.Dir unless its week
// is done or its file exists, and returns the week it dealt with, which the
// caller passes as done next time. Run calls it on every tick. A week with
// no items is not done: PublishDue returns it with an error wrapping
// ErrEmpty, to be asked again.
//
// With a store that keeps issues, the due issue is published first: the
// editor's draft as it stands (or, for a week the editor never opened, a
// draft of its candidates), frozen, unless auto-publish is off for it;
// such a week is left undone, to be asked again on the next tick. An
// issue the editor has published already is not published again; only
// its file is written if missing.
func (b *Builder) PublishDue(ctx context.Context, done feeds.Week) (feeds.Week, error) {
	o := b.o()
	w := b.Latest(o.Now())
	if w == done {
		return w, nil
	}
	var is *feeds.Issue
	var err error
	if b.issues != nil {
		is, err = b.publishScheduled(ctx, o, w)
		if errors.Is(err, errHeld) {
			return done, nil
		}
		if errors.Is(err, ErrEmpty) {
			return w, err
		}
	} else {
		is, err = b.Build(ctx, w)
	}
	if err != nil {
		return done, err
	}
	if is.Len() == 0 {
		return w, fmt.Errorf("digest %s: %w", w, ErrEmpty)
	}
	if o.Dir == "" {
		return w, nil
	}
	name, err := b.FileName(is)
	if err != nil {
		return done, err
	}
	path := filepath.Join(o.Dir, name)
	if _, err := os.Stat(path); err == nil {
		return w, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return done, err
	}
	if _, err := b.WriteFile(o.Dir, is); err != nil {
		return done, err
	}
	b.logger.Info().Str(logkey.Week, w.String()).Str(logkey.Path, path).Int(logkey.Items, is.Len()).Msg("digest written")
	return w, nil
}

// errHeld is returned by publishScheduled for a draft the editor holds
// back (auto-publish off).
var errHeld = errors.New("auto-publish is off for the issue")

// publishScheduled publishes w's issue at its scheduled time, as
// PublishDue describes, and returns it as published.
func (b *Builder) publishScheduled(ctx context.Context, o *Options, w feeds.Week) (*feeds.Issue, error) {
	ed, err := b.issues.EditedIssue(ctx, w)
	switch {
	case errors.Is(err, feeds.ErrNotFound):
		// A week the editor never opened: its draft is today's digest.
		cands, err := b.candidates(ctx, o, w)
		if err != nil {
			return nil, err
		}
		if len(cands) == 0 {
			return nil, fmt.Errorf("digest %s: %w", w, ErrEmpty)
		}
		if ed, err = b.Draft(ctx, w); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	case ed.Revision > 0:
		is, err := b.issues.FrozenIssue(ctx, w)
		if err != nil {
			return nil, err
		}
		return thaw(o, is), nil
	case !ed.AutoPublish:
		return nil, errHeld
	}
	return b.freeze(ctx, o, ed)
}
