package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

func inTx(t *testing.T, db *storage.DB, fn func(tx *storage.Tx) error) {
	t.Helper()
	if err := db.InTx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func TestUpsertCustomerIgnoresOlderEvents(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		name        string
		in          storage.CustomerInput
		at          time.Time
		wantApplied bool
		wantName    string
	}{
		{"first", storage.CustomerInput{ExternalID: "acme", Name: "Acme"}, t0, true, "Acme"},
		{"newer", storage.CustomerInput{ExternalID: "acme", Name: "Acme Inc"}, t0.Add(time.Minute), true, "Acme Inc"},
		{"older is stale", storage.CustomerInput{ExternalID: "acme", Name: "Old"}, t0.Add(time.Second), false, "Acme Inc"},
		{"same time applies", storage.CustomerInput{ExternalID: "acme", Name: "Acme Ltd"}, t0.Add(time.Minute), true, "Acme Ltd"},
	}
	for _, s := range steps {
		var applied bool
		inTx(t, db, func(tx *storage.Tx) (err error) {
			applied, err = tx.UpsertCustomer(ctx, s.in, s.at)
			return err
		})
		got, err := db.CustomerByExternalID(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if applied != s.wantApplied || got.Name != s.wantName {
			t.Errorf("%s: applied=%v name=%q, want applied=%v name=%q", s.name, applied, got.Name, s.wantApplied, s.wantName)
		}
	}
}

func TestUserLifecycle(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

	// The deactivation arrives first; the older creation still brings the
	// profile, but its "active" status is stale.
	inTx(t, db, func(tx *storage.Tx) error {
		c, err := tx.DeactivateUser(ctx, storage.CustomerRef{ExternalID: "acme"}, "u1", t0.Add(time.Minute))
		if err == nil && (!c.Applied || c.Before != "" || c.User.Status != storage.UserDeactivated) {
			t.Error("deactivation of an unknown user was not applied")
		}
		return err
	})
	inTx(t, db, func(tx *storage.Tx) error {
		_, err := tx.UpsertUser(ctx, storage.UserInput{Customer: storage.CustomerRef{ExternalID: "acme"}, ExternalID: "u1",
			Email: "jane@acme.test", Status: storage.UserActive, Groups: []string{"eng"}, GroupsSet: true}, t0)
		return err
	})
	u, err := db.UserByExternalID(ctx, "acme", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != storage.UserDeactivated || u.CustomerExternalID != "acme" || u.Email != "jane@acme.test" {
		t.Errorf("user = %+v, want deactivated in acme with the creation's email", u)
	}

	// A newer upsert without groups keeps them; one with groups replaces them.
	upsert := func(at time.Time, groups []string, set bool) {
		inTx(t, db, func(tx *storage.Tx) error {
			_, err := tx.UpsertUser(ctx, storage.UserInput{Customer: storage.CustomerRef{ExternalID: "acme"}, ExternalID: "u1",
				Status: storage.UserActive, Groups: groups, GroupsSet: set}, at)
			return err
		})
	}
	upsert(t0.Add(2*time.Minute), []string{"eng", "ops"}, true)
	upsert(t0.Add(3*time.Minute), nil, false)
	if u, _ = db.UserByExternalID(ctx, "acme", "u1"); len(u.Groups) != 2 || u.Status != storage.UserActive {
		t.Errorf("after upsert without groups: %+v, want active with groups eng, ops", u)
	}
	upsert(t0.Add(4*time.Minute), []string{}, true)
	if u, _ = db.UserByExternalID(ctx, "acme", "u1"); len(u.Groups) != 0 {
		t.Errorf("groups = %v, want none", u.Groups)
	}

	if _, err := db.UserByExternalID(ctx, "acme", "nobody"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("unknown user: err = %v, want ErrNotFound", err)
	}
}

func TestInboxEventIsRecordedOnce(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	ev := storage.InboxEvent{Source: "crm", Kind: "standard", EventID: "evt_1", EventType: "user.upserted",
		OccurredAt: time.Now(), Payload: []byte(`{"type":"user.upserted"}`)}

	var wg sync.WaitGroup
	inserted := make(chan bool, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := db.InsertInboxEvent(ctx, ev)
			if err != nil {
				t.Error(err)
			}
			inserted <- ok
		}()
	}
	wg.Wait()
	close(inserted)
	n := 0
	for ok := range inserted {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d concurrent inserts succeeded, want 1", n)
	}
	got, err := db.InboxEventByID(ctx, "crm", "evt_1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != storage.InboxReceived || string(got.Payload) != string(ev.Payload) {
		t.Errorf("inbox row = %+v", got)
	}
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	key, secret, err := db.CreateAPIKey(ctx, "admin tool")
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) < 40 || secret[:4] != "ssk_" {
		t.Errorf("secret %q does not look like a 256-bit ssk_ key", secret)
	}
	if got, err := db.AuthenticateAPIKey(ctx, secret); err != nil || got.ID != key.ID {
		t.Fatalf("authenticate: %+v, %v", got, err)
	}
	if _, err := db.AuthenticateAPIKey(ctx, secret+"x"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("wrong key: err = %v, want ErrNotFound", err)
	}
	if err := db.RevokeAPIKey(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AuthenticateAPIKey(ctx, secret); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("revoked key: err = %v, want ErrNotFound", err)
	}
	if err := db.RevokeAPIKey(ctx, "no-such-id"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("revoke unknown: err = %v, want ErrNotFound", err)
	}
	if _, _, err := db.CreateAPIKey(ctx, " "); err == nil {
		t.Error("created a key without a name")
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	applied, err := db.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Errorf("migrating a migrated database applied %v", applied)
	}
}
