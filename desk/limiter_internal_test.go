package desk

import (
	"testing"
	"time"
)

// TestLimiterCountsAttemptsUnderWay: attempts begun at once count against
// the limit before their passwords are compared, so a burst of guesses
// gets failLimit tries, not one per request.
func TestLimiterCountsAttemptsUnderWay(t *testing.T) {
	l := newLimiter()
	now := time.Date(2016, 6, 29, 12, 0, 0, 0, time.UTC)
	for i := 0; i < failLimit; i++ {
		if wait := l.begin("192.0.2.1", now); wait != 0 {
			t.Fatalf("attempt %d under way: wait %s, want none", i+1, wait)
		}
	}
	if wait := l.begin("192.0.2.1", now); wait <= 0 {
		t.Fatalf("attempt %d while %d are under way: begun, want a wait", failLimit+1, failLimit)
	}
	if wait := l.begin("192.0.2.2", now); wait != 0 {
		t.Errorf("another address waits %s", wait)
	}
	l.end("192.0.2.2", now, attemptAbandoned)
	// Two fail, one is abandoned: one more may be tried.
	l.end("192.0.2.1", now, attemptFailed)
	l.end("192.0.2.1", now, attemptFailed)
	l.end("192.0.2.1", now, attemptAbandoned)
	if wait := l.begin("192.0.2.1", now.Add(time.Second)); wait != 0 {
		t.Fatalf("after 2 failures: wait %s", wait)
	}
	l.end("192.0.2.1", now.Add(time.Second), attemptFailed)
	if wait := l.begin("192.0.2.1", now.Add(2*time.Second)); wait != 58*time.Second {
		t.Errorf("after 3 failures: wait %s, want 58s (until the first is a minute old)", wait)
	}
	if wait := l.begin("192.0.2.1", now.Add(time.Minute)); wait != 0 {
		t.Fatalf("a minute after the first failure: wait %s", wait)
	}
	l.end("192.0.2.1", now.Add(time.Minute), attemptOK)
	if len(l.seen) != 0 || len(l.pending) != 0 {
		t.Errorf("after a success the limiter keeps %v %v", l.seen, l.pending)
	}
}
