// Package gctune sets the garbage collector's pace for the daemon.
//
// Polling allocates a great deal of short-lived memory (parsed documents,
// decoded text), while the live heap stays small: a few tens of megabytes at
// 10,000 sources. At Go's default pace (GOGC=100) the collector runs every
// time that small heap doubles and takes about a tenth of the CPU of a full
// poll. Letting the heap grow to three times the live data before collecting
// halves that cost for some tens of megabytes of memory.
package gctune

import (
	"os"
	"runtime/debug"
)

// DefaultPercent is the GOGC value the daemon uses when the environment sets
// none.
const DefaultPercent = 200

// Apply sets the collector's pace to DefaultPercent unless GOGC is set in the
// environment, which the runtime has then already applied. It returns the
// percentage in force, or -1 when collection is off (GOGC=off). GOMEMLIMIT,
// when set, still bounds the heap as the runtime documents.
func Apply() int {
	if _, set := os.LookupEnv("GOGC"); set {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	debug.SetGCPercent(DefaultPercent)
	return DefaultPercent
}
