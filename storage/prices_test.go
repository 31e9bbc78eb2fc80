package storage_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

// TestProviderPrices: a price is recorded once, per provider; recording it
// again (even saying otherwise) leaves it; unknown prices are absent.
func TestProviderPrices(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	seats := storage.ProviderPrice{ID: "price_S", ProductID: "prod_S"}
	calls := storage.ProviderPrice{ID: "price_M", ProductID: "prod_M", Metered: true}
	inTx(t, db, func(tx *storage.Tx) error {
		return tx.RecordPrices(ctx, "stripe", []storage.ProviderPrice{seats, calls, seats})
	})
	inTx(t, db, func(tx *storage.Tx) error {
		return tx.RecordPrices(ctx, "stripe", []storage.ProviderPrice{{ID: "price_S", ProductID: "prod_X"}})
	})
	inTx(t, db, func(tx *storage.Tx) error { return tx.RecordPrices(ctx, "stripe", nil) })
	var got map[string]storage.ProviderPrice
	inTx(t, db, func(tx *storage.Tx) (err error) {
		got, err = tx.Prices(ctx, "stripe", []string{"price_S", "price_M", "price_unknown"})
		return err
	})
	if want := map[string]storage.ProviderPrice{"price_S": seats, "price_M": calls}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Prices() = %+v, want %+v", got, want)
	}
	inTx(t, db, func(tx *storage.Tx) (err error) {
		got, err = tx.Prices(ctx, "paddle", []string{"price_S"})
		return err
	})
	if len(got) != 0 {
		t.Fatalf("another provider's prices: %+v", got)
	}
}
