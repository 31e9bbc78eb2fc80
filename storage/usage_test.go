package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

// Seat usage's demand fields: who automatic assignment entitles (active
// users only, of the mapped group), pending removals (marked seats, and
// every live seat of an order with a cancel_at), and the billable quantity
// (an elastic line's live seats).
func TestSeatUsageDemandFields(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	acme := storage.CustomerRef{ExternalID: "acme"}
	five, cancelAt := 5, at.Add(30*24*time.Hour)
	inTx(t, db, func(tx *storage.Tx) error {
		for i, u := range []struct {
			id, status string
			groups     []string
		}{
			{"u1", storage.UserActive, []string{"eng"}}, {"u2", storage.UserActive, []string{"eng", "ops"}},
			{"u3", storage.UserActive, nil}, {"u4", storage.UserActive, nil},
			{"u5", storage.UserDeactivated, []string{"eng"}},
		} {
			if _, err := tx.UpsertUser(ctx, storage.UserInput{Customer: acme, ExternalID: u.id, Email: u.id + "@acme.test",
				Status: u.status, Groups: u.groups, GroupsSet: true}, at.Add(time.Duration(i)*time.Second)); err != nil {
				return err
			}
		}
		orders := []storage.OrderInput{
			{ExternalID: "sub_1", Customer: acme, Status: storage.OrderActive, Lines: []storage.LineInput{
				{ProductID: "pro", Quantity: 3},
				{ProductID: "addon", Quantity: 1, LineSettings: storage.LineSettings{Elastic: true, MaxQuantity: &five}},
			}},
			{ExternalID: "sub_2", Customer: acme, Status: storage.OrderActive, CancelAt: &cancelAt,
				Lines: []storage.LineInput{{ProductID: "pro", Quantity: 2}}},
			{ExternalID: "sub_old", Customer: acme, Status: storage.OrderCanceled,
				Lines: []storage.LineInput{{ProductID: "pro", Quantity: 10}}},
		}
		for _, o := range orders {
			if _, err := tx.UpsertOrder(ctx, o, at); err != nil {
				return err
			}
			for _, l := range o.Lines {
				line, err := tx.LockLine(ctx, o.ExternalID, l.ProductID)
				if err != nil {
					return err
				}
				if err := tx.CreateSeats(ctx, line.ID, l.Quantity); err != nil {
					return err
				}
			}
		}
		// The elastic line grew a seat beyond its quantity.
		addon, err := tx.LockLine(ctx, "sub_1", "addon")
		if err != nil {
			return err
		}
		if err := tx.CreateSeats(ctx, addon.ID, 1); err != nil {
			return err
		}
		pro, err := tx.LockLine(ctx, "sub_1", "pro")
		if err != nil {
			return err
		}
		u1, err := tx.LockUser(ctx, acme, "u1")
		if err != nil {
			return err
		}
		free, err := tx.FreeSeats(ctx, pro.ID, 1)
		if err != nil {
			return err
		}
		if _, err := tx.Occupy(ctx, pro.ID, []storage.Occupancy{{SeatID: free[0].ID, UserID: u1.ID}}, "manual"); err != nil {
			return err
		}
		c, err := tx.LockOrCreateCustomer(ctx, acme)
		if err != nil {
			return err
		}
		for product, group := range map[string]string{"pro": "", "addon": "eng", "nobody": "sales"} {
			if err := tx.SetAutoAssign(ctx, c, product, group); err != nil {
				return err
			}
		}
		for _, id := range []string{"u3", "u4"} {
			u, err := tx.LockUser(ctx, acme, id)
			if err != nil {
				return err
			}
			if err := tx.Wait(ctx, c, "pro", u.ID); err != nil {
				return err
			}
		}
		return nil
	})
	// One seat of sub_1's pro line is marked for a scheduled reduction.
	if err := db.Exec(ctx, `UPDATE seats SET pending_removal = true WHERE id = (
		SELECT s.id FROM seats s JOIN order_lines l ON l.id = s.line_id JOIN orders o ON o.id = l.order_id
		WHERE o.external_id = 'sub_1' AND l.product_id = 'pro' AND s.status = 'unassigned' LIMIT 1)`); err != nil {
		t.Fatal(err)
	}

	usage, err := db.SeatUsage(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := []storage.ProductUsage{
		// Entitled: u1 and u2 of eng (u5 is deactivated). Billable: the
		// elastic line's two live seats.
		{ProductID: "addon", Quantity: 1, Unassigned: 2, Entitled: 2, BillableQuantity: 2},
		// Entitled: the four active users. Pending removals: the marked
		// seat of sub_1, and both live seats of sub_2, which cancels.
		{ProductID: "pro", Quantity: 5, Assigned: 1, Unassigned: 4, Waiting: 2, Entitled: 4, PendingRemovals: 3, BillableQuantity: 5},
	}
	if fmt.Sprint(usage) != fmt.Sprint(want) {
		t.Errorf("usage = %+v\nwant    %+v", usage, want)
	}
}
