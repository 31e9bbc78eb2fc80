package storage_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

// step is one event's effect, as the worker applies it.
type step func(ctx context.Context, tx *storage.Tx) (bool, error)

// scenario mixes everything whose result must not depend on delivery
// order: a provider customer that is later linked to a seatsync id, an
// order's quantity changes and cancellation, a user's profile, status and
// group memberships, and a directory organisation linked after its users
// arrived.
func scenario() []step {
	t := func(n int) time.Time { return time.Date(2026, 11, 21, 10, 0, n, 0, time.UTC) }
	stripe := storage.CustomerRef{Provider: "stripe", ProviderID: "cus_1"}
	workos := storage.CustomerRef{Provider: "workos", ProviderID: "org_1"}
	order := func(status string, qty int, at time.Time) step {
		return func(ctx context.Context, tx *storage.Tx) (bool, error) {
			return tx.UpsertOrder(ctx, storage.OrderInput{ExternalID: "sub_1", Customer: stripe, Status: status,
				Lines: []storage.LineInput{{ProductID: "pro", Quantity: qty}, {ProductID: "addon", Quantity: qty / 2}}}, at)
		}
	}
	group := func(g string, member bool, at time.Time) step {
		return func(ctx context.Context, tx *storage.Tx) (bool, error) {
			c, err := tx.ChangeUserGroup(ctx, workos, "u1", g, member, at)
			return c.Applied, err
		}
	}
	return []step{
		func(ctx context.Context, tx *storage.Tx) (bool, error) {
			return tx.UpsertCustomer(ctx, storage.CustomerInput{Name: "Acme v1", ProviderIDs: map[string]string{"stripe": "cus_1"}}, t(1))
		},
		func(ctx context.Context, tx *storage.Tx) (bool, error) {
			return tx.UpsertCustomer(ctx, storage.CustomerInput{ExternalID: "acme", Name: "Acme", ProviderIDs: map[string]string{"stripe": "cus_1"}}, t(2))
		},
		order("active", 5, t(3)),
		order("active", 8, t(4)),
		order("active", 3, t(6)),
		func(ctx context.Context, tx *storage.Tx) (bool, error) { return tx.CancelOrder(ctx, "sub_1", t(7)) },
		func(ctx context.Context, tx *storage.Tx) (bool, error) {
			c, err := tx.UpsertUser(ctx, storage.UserInput{Customer: workos, ExternalID: "u1", Email: "jane@globex.test",
				Status: storage.UserActive, Groups: []string{"eng", "design"}, GroupsSet: true}, t(1))
			return c.Applied, err
		},
		func(ctx context.Context, tx *storage.Tx) (bool, error) {
			c, err := tx.DeactivateUser(ctx, workos, "u1", t(5))
			return c.Applied, err
		},
		group("ops", true, t(2)),
		group("eng", false, t(3)),
		group("ops", false, t(0)), // older than the list: stale
		func(ctx context.Context, tx *storage.Tx) (bool, error) {
			return tx.UpsertCustomer(ctx, storage.CustomerInput{ExternalID: "globex", Name: "Globex", ProviderIDs: map[string]string{"workos": "org_1"}}, t(4))
		},
	}
}

// applyAll applies steps in the given order. A step that finds what it
// refers to missing is retried after the others, as the queue would.
func applyAll(t *testing.T, db *storage.DB, steps []step) {
	t.Helper()
	ctx := context.Background()
	for attempts := 0; len(steps) > 0; attempts++ {
		if attempts > 100 {
			t.Fatal("steps keep failing")
		}
		s := steps[0]
		steps = steps[1:]
		err := db.InTx(ctx, func(tx *storage.Tx) error { _, err := s(ctx, tx); return err })
		if errors.Is(err, storage.ErrNotFound) {
			steps = append(steps, s)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

type snapshot struct {
	Customers map[string]string // external id → name and links
	User      string
	Order     string
}

func snap(t *testing.T, db *storage.DB) snapshot {
	t.Helper()
	ctx := context.Background()
	s := snapshot{Customers: map[string]string{}}
	for _, id := range []string{"acme", "cus_1", "globex", "org_1"} {
		c, err := db.CustomerByExternalID(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		links, _ := db.CustomerLinks(ctx, id)
		s.Customers[id] = fmt.Sprintf("%s %v", c.Name, links)
		if u, err := db.UserByExternalID(ctx, id, "u1"); err == nil {
			s.User = fmt.Sprintf("%s %s %s %v", id, u.Email, u.Status, u.Groups)
		}
	}
	if o, err := db.OrderByExternalID(ctx, "sub_1"); err == nil {
		s.Order = fmt.Sprintf("%s %s", o.CustomerExternalID, o.Status)
		for _, l := range o.Lines {
			s.Order += fmt.Sprintf(" %s=%d", l.ProductID, l.Quantity)
		}
	}
	return s
}

// TestEventsApplyTheSameInAnyOrder is the model check for the provider
// identity and staleness rules: the scenario applied in order, then
// shuffled with every event delivered twice, must leave the same state.
func TestEventsApplyTheSameInAnyOrder(t *testing.T) {
	t.Parallel()
	inOrder := storagetest.NewDB(t)
	applyAll(t, inOrder, scenario())
	want := snap(t, inOrder)
	if want.Order != "acme canceled addon=1 pro=3" || want.User != "globex jane@globex.test deactivated [design ops]" {
		t.Fatalf("in-order state = %+v", want)
	}
	for seed := range uint64(12) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			steps := append(scenario(), scenario()...)
			rand.New(rand.NewPCG(seed, 42)).Shuffle(len(steps), func(i, j int) { steps[i], steps[j] = steps[j], steps[i] })
			db := storagetest.NewDB(t)
			applyAll(t, db, steps)
			if got := snap(t, db); !reflect.DeepEqual(got, want) {
				t.Errorf("shuffled state = %+v\nwant             %+v", got, want)
			}
		})
	}
}

// The same scenario, every event delivered three times, applied by eight
// goroutines at once: row locks, not luck, must keep the result.
func TestEventsApplyTheSameConcurrently(t *testing.T) {
	t.Parallel()
	inOrder := storagetest.NewDB(t)
	applyAll(t, inOrder, scenario())
	want := snap(t, inOrder)
	for round := range 4 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			t.Parallel()
			db := storagetest.NewDB(t)
			steps := append(append(scenario(), scenario()...), scenario()...)
			work := make(chan step, len(steps))
			for _, s := range steps {
				work <- s
			}
			var pending sync.WaitGroup
			pending.Add(len(steps))
			ctx := context.Background()
			for range 8 {
				go func() {
					for s := range work {
						err := db.InTx(ctx, func(tx *storage.Tx) error { _, err := s(ctx, tx); return err })
						switch {
						case errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict):
							work <- s // retried, as the queue would
							continue
						case err != nil:
							t.Error(err)
						}
						pending.Done()
					}
				}()
			}
			pending.Wait()
			close(work)
			if got := snap(t, db); !reflect.DeepEqual(got, want) {
				t.Errorf("concurrent state = %+v\nwant               %+v", got, want)
			}
		})
	}
}
