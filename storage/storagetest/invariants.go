package storagetest

import (
	"context"
	"testing"

	"github.com/seatsync/seatsync/storage"
)

// CheckInvariants fails the test, without stopping it, for every rule of
// SPEC §1 the database breaks.
func CheckInvariants(t testing.TB, db *storage.DB) {
	t.Helper()
	v, err := db.InvariantViolations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, violation := range v {
		t.Errorf("invariant violated: %s", violation)
	}
}
