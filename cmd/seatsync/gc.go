package main

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is the Go collector's target (GOGC) unless the
// environment sets one: the heap may grow to five times what is live
// before a collection, instead of twice. seatsync's live heap is small
// and nearly every allocation dies within its request, so collecting a
// quarter as often costs little memory (a receiver's peak resident set
// under 16 senders went 36 → 49 MB) and, at the
// default 100, collection was a tenth of the receiver's CPU: receive at 16
// senders went 5,540–5,650 → 6,200–6,250 events/s on the 2-core development
// machine (serve's CPU per request 151 → 130 µs).
// GOGC and GOMEMLIMIT keep their usual meaning.
const defaultGCPercent = 400

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
