package storage_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

func inboxEvent(source, id string, payload string) storage.InboxEvent {
	return storage.InboxEvent{Source: source, Kind: "standard", EventID: id, EventType: "user.upserted",
		OccurredAt: time.Date(2026, 11, 21, 10, 0, 0, 123456000, time.UTC), Payload: []byte(payload)}
}

func TestInsertInboxEventsAnswersEachRow(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	if _, err := db.InsertInboxEvent(ctx, inboxEvent("crm", "evt_old", `{"n":0}`)); err != nil {
		t.Fatal(err)
	}
	batch := []storage.InboxEvent{
		inboxEvent("crm", "evt_a", `{"n":1}`),
		inboxEvent("crm", "evt_old", `{"n":2}`), // recorded before
		inboxEvent("crm", "evt_b", `{"n":3}`),
		inboxEvent("crm", "evt_a", `{"n":4}`),  // earlier in this batch
		inboxEvent("erp", "evt_a", `{"n":5}`),  // same id, another source: another event
		inboxEvent("crm", "evt_a", `{"n":6}`),  // a third time
		inboxEvent("crm", "evt_c", "\x00\xff"), // bytea: any bytes
	}
	got, err := db.InsertInboxEvents(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, true, false, true, false, true}; !slices.Equal(got, want) {
		t.Fatalf("inserted = %v, want %v", got, want)
	}
	// The first delivery is the one recorded, as it was answered new.
	for _, want := range []storage.InboxEvent{batch[0], batch[2], batch[4], batch[6], inboxEvent("crm", "evt_old", `{"n":0}`)} {
		ev, err := db.InboxEventByID(ctx, want.Source, want.EventID)
		if err != nil {
			t.Fatalf("%s/%s: %v", want.Source, want.EventID, err)
		}
		if !bytes.Equal(ev.Payload, want.Payload) || !ev.OccurredAt.Equal(want.OccurredAt) ||
			ev.Kind != want.Kind || ev.EventType != want.EventType || ev.Status != storage.InboxReceived {
			t.Errorf("%s/%s recorded as %+v, want %+v", want.Source, want.EventID, ev, want)
		}
	}
	// Again, all of them are duplicates.
	got, err = db.InsertInboxEvents(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(got, true) {
		t.Errorf("second insert: inserted = %v, want all false", got)
	}
}

func TestInsertInboxEventsIsAllOrNothing(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	// A NUL is not valid in a Postgres text value: the whole statement fails.
	batch := []storage.InboxEvent{inboxEvent("crm", "evt_ok", `{}`), inboxEvent("crm", "evt_\x00", `{}`)}
	if _, err := db.InsertInboxEvents(ctx, batch); err == nil {
		t.Fatal("insert with a NUL in an event id succeeded")
	}
	if _, err := db.InboxEventByID(ctx, "crm", "evt_ok"); err == nil {
		t.Error("a row of the failed statement was recorded")
	}
	if got, err := db.InsertInboxEvents(ctx, nil); err != nil || got != nil {
		t.Errorf("empty batch = %v, %v", got, err)
	}
}
