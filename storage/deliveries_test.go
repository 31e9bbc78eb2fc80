package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

// Bodies outlive their retention only while a delivery still needs them.
func TestPruneOutboxKeepsPendingBodies(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	e, err := db.CreateEndpoint(ctx, storage.EndpointInput{URL: "https://example.test/hook", Secret: "whsec_x"})
	if err != nil {
		t.Fatal(err)
	}
	var created []storage.DeliveryRef
	inTx(t, db, func(tx *storage.Tx) error {
		customer, err := tx.LockOrCreateCustomer(ctx, storage.CustomerRef{ExternalID: "acme"})
		if err != nil {
			return err
		}
		for range 2 {
			if err := tx.AppendOutbox(ctx, "user.deactivated", customer, "", 0, map[string]string{"type": "user.deactivated"}); err != nil {
				return err
			}
		}
		created, err = tx.RelayOutbox(ctx, 10)
		return err
	})
	if len(created) != 2 {
		t.Fatalf("relay created %d deliveries, want 2", len(created))
	}
	ok := 200
	if _, err := db.RecordAttempt(ctx, storage.Attempt{DeliveryID: created[0].ID, StatusCode: &ok}, storage.AttemptOutcome{Status: storage.DeliveryDelivered}); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneOutbox(ctx, time.Now().Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want only the delivered message", n, err)
	}
	for i, want := range []bool{true, false} {
		d, err := db.DeliveryForSending(ctx, created[i].ID)
		if err != nil || d.Pruned != want || d.Endpoint.ID != e.ID {
			t.Errorf("delivery %d: pruned %v (%v), want %v", i, d.Pruned, err, want)
		}
	}
}
