package daemon

import (
	"log"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

// maxConnections caps the HTTP server's open connections: half the process's
// file descriptor limit, at most 4096.
func maxConnections() int {
	n := 4096
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err == nil && lim.Cur > 0 && lim.Cur/2 < uint64(n) {
		n = int(lim.Cur / 2)
	}
	return max(n, 16)
}

// httpErrorLog routes net/http's own messages (accept errors, TLS
// handshakes, panics in handlers) into the daemon's JSON log, at most one
// line a second; the lines dropped are counted in the next one.
func httpErrorLog(logger zerolog.Logger) *log.Logger {
	return log.New(&errorLogWriter{logger: logger.With().Str("component", "http").Logger()}, "", 0)
}

type errorLogWriter struct {
	logger  zerolog.Logger
	mu      sync.Mutex
	last    time.Time
	dropped int
}

func (w *errorLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	if now.Sub(w.last) < time.Second {
		w.dropped++
		return len(p), nil
	}
	w.last = now
	w.logger.Warn().Str("error", strings.TrimSpace(string(p))).Int("dropped", w.dropped).Msg("http server error")
	w.dropped = 0
	return len(p), nil
}
