package gctune

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestApplyDefault(t *testing.T) {
	t.Setenv("GOGC", "") // restores the variable after the test
	if err := os.Unsetenv("GOGC"); err != nil {
		t.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	if got := Apply(); got != DefaultPercent {
		t.Fatalf("Apply() = %d, want %d", got, DefaultPercent)
	}
	if p := debug.SetGCPercent(DefaultPercent); p != DefaultPercent {
		t.Fatalf("GC percent in force = %d, want %d", p, DefaultPercent)
	}
}

func TestApplyKeepsEnvironment(t *testing.T) {
	t.Setenv("GOGC", "150")
	old := debug.SetGCPercent(150) // what the runtime would have read at start
	defer debug.SetGCPercent(old)
	if got := Apply(); got != 150 {
		t.Fatalf("Apply() = %d, want 150 from GOGC", got)
	}
	if p := debug.SetGCPercent(150); p != 150 {
		t.Fatalf("GC percent in force = %d, want 150", p)
	}
}
