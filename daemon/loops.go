package daemon

import (
	"context"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"

	"github.com/feedcurator/feedcurator/internal/logkey"
)

// watchdog sends WATCHDOG=1 at half the interval systemd asked for, but
// only while the database answers: a daemon whose store is stuck gets
// restarted.
func (m *Main) watchdog(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, interval/2)
		err := m.DB.Ping(pctx)
		cancel()
		if err != nil {
			if err.Error() != lastErr {
				m.Logger.Error().Err(err).Msg("database ping failed, withholding watchdog")
			}
			lastErr = err.Error()
			continue
		}
		lastErr = ""
		_, _ = sd.SdNotify(false, sd.SdNotifyWatchdog)
	}
}

// retain prunes the store on the retention schedule: items older than
// retention.max_age and beyond retention.max_per_source, never pinned ones.
// A reload that changes retention.interval restarts the schedule.
func (m *Main) retain(ctx context.Context) error {
	interval := m.config().Retention.Interval.Duration
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-m.retentionChanged:
			if i := m.config().Retention.Interval.Duration; i != interval {
				interval = i
				t.Reset(interval)
				m.Logger.Info().Dur(logkey.Elapsed, interval).Msg("retention schedule changed")
			}
			continue
		case <-t.C:
		}
		cfg := m.config()
		if cfg.Retention.MaxAge.Duration == 0 && cfg.Retention.MaxPerSource == 0 {
			continue
		}
		st, err := m.DB.Prune(ctx, time.Now(), cfg.Retention.MaxPerSource)
		if err != nil {
			if ctx.Err() == nil {
				m.Logger.Error().Err(err).Msg("prune failed")
			}
			continue
		}
		if st.ByAge+st.OverCap > 0 {
			m.Logger.Info().Int(logkey.Items, st.ByAge+st.OverCap).Int64(logkey.Freed, st.FreedBytes).Msg("items pruned")
		}
		m.pruned.Add(1)
	}
}
