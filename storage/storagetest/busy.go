package storagetest

import (
	"errors"
	"strings"
	"time"

	"github.com/lib/pq"
)

// busyFor bounds how long setup waits for the server to take connections
// again.
const busyFor = time.Minute

// whileBusy runs fn again while the server refuses connections because it
// has as many as it allows (53300): test binaries of several packages, and
// their parallel tests, share one server, and a peak of theirs must make a
// test wait, not fail before it starts.
func whileBusy(fn func() error) error {
	deadline := time.Now().Add(busyFor)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		err := fn()
		if err == nil || !tooManyConnections(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}

func tooManyConnections(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "53300"
	}
	// A layer that quotes the error without wrapping it still says so.
	return strings.Contains(err.Error(), "too many clients")
}
