package storage

import (
	"context"
	"sort"

	"github.com/lib/pq"
)

// ProviderPrice is a provider's price and the product it belongs to;
// Metered prices bill usage and are no seat line.
type ProviderPrice struct {
	ID        string `db:"price_id"`
	ProductID string `db:"product_id"`
	Metered   bool   `db:"metered"`
}

// RecordPrices remembers which product each price belongs to, in one
// statement. A price already known is left as it is: a provider price
// (Stripe's) never changes product, so there is no event time to compare.
// Rows are inserted in price order, so that two transactions recording the
// same new prices wait on each other rather than deadlock.
func (tx *Tx) RecordPrices(ctx context.Context, provider string, prices []ProviderPrice) error {
	if len(prices) == 0 {
		return nil
	}
	sorted := append([]ProviderPrice(nil), prices...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	ids := make(pq.StringArray, len(sorted))
	products := make(pq.StringArray, len(sorted))
	metered := make(pq.BoolArray, len(sorted))
	for i, p := range sorted {
		ids[i], products[i], metered[i] = p.ID, p.ProductID, p.Metered
	}
	_, err := tx.x.ExecContext(ctx, `
		INSERT INTO provider_prices (provider, price_id, product_id, metered)
		SELECT $1, p.id, p.product, p.metered
		FROM unnest($2::text[], $3::text[], $4::boolean[]) WITH ORDINALITY AS p(id, product, metered, n)
		ORDER BY p.n
		ON CONFLICT (provider, price_id) DO NOTHING`, provider, ids, products, metered)
	return wrapf(err, "record %d %s prices", len(prices), provider)
}

// Prices returns what is known of the given prices, by price id; an
// unknown price is absent from the map. One index read per price.
func (tx *Tx) Prices(ctx context.Context, provider string, ids []string) (map[string]ProviderPrice, error) {
	known := map[string]ProviderPrice{}
	if len(ids) == 0 {
		return known, nil
	}
	var rows []ProviderPrice
	err := tx.x.SelectContext(ctx, &rows, `
		SELECT price_id, product_id, metered FROM provider_prices
		WHERE provider = $1 AND price_id = ANY($2::text[])`, provider, pq.StringArray(ids))
	if err != nil {
		return nil, wrapf(err, "read %d %s prices", len(ids), provider)
	}
	for _, r := range rows {
		known[r.ID] = r
	}
	return known, nil
}
