package worker

import (
	"context"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
)

// recordPrices remembers the products of the prices an order event names
// (Stripe), for scheduleInput to resolve later schedules by.
func recordPrices(ctx context.Context, tx *storage.Tx, c webhooks.OrderUpserted) error {
	if len(c.Prices) == 0 {
		return nil
	}
	prices := make([]storage.ProviderPrice, len(c.Prices))
	for i, p := range c.Prices {
		prices[i] = storage.ProviderPrice{ID: p.ID, ProductID: p.ProductID, Metered: p.Metered}
	}
	return tx.RecordPrices(ctx, c.Customer.Provider, prices)
}

// scheduleInput turns a provider's schedule into the order's scheduled
// lines: each change is put on its product's line (a change naming only a
// price is resolved through the prices recorded from subscription events),
// changes of one product are summed, and changes of metered prices are
// dropped (usage is no seat). When a price is unknown, which product it
// belongs to and so every product's sum is unknown: the schedule cannot be
// read, and the order is left with none (its lines' schedules are cleared,
// as by an empty schedule); the reduction still happens when the provider
// applies it to the subscription.
func scheduleInput(ctx context.Context, tx *storage.Tx, c webhooks.OrderScheduleChanged) (storage.ScheduleInput, error) {
	in := storage.ScheduleInput{OrderExternalID: c.OrderExternalID}
	var unresolved []string
	for _, ch := range c.Changes {
		if ch.ProductID == "" {
			unresolved = append(unresolved, ch.PriceID)
		}
	}
	prices, err := tx.Prices(ctx, c.Customer.Provider, unresolved)
	if err != nil {
		return in, err
	}
	index := map[string]int{}
	for _, ch := range c.Changes {
		product := ch.ProductID
		if product == "" {
			p, known := prices[ch.PriceID]
			if !known {
				return storage.ScheduleInput{OrderExternalID: c.OrderExternalID}, nil
			}
			if p.Metered {
				continue
			}
			product = p.ProductID
		}
		j, seen := index[product]
		if !seen {
			j, index[product] = len(in.Lines), len(in.Lines)
			in.Lines = append(in.Lines, storage.ScheduledLine{ProductID: product, At: ch.At})
		}
		in.Lines[j].Quantity += ch.Quantity
	}
	return in, nil
}
