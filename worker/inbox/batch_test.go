package inbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

func applyEvent(id string) jobs.ApplyEvent {
	return jobs.ApplyEvent{Source: "crm", Kind: "standard", EventID: id, EventType: "user.upserted",
		OccurredAt: time.Now(), Payload: []byte(`{"type":"user.upserted"}`)}
}

// Many concurrent requests, so that batches form: unique new events, events
// recorded before, and events sent by several requests at once. Each
// request must get its own answer, whatever batch it landed in.
func TestBatcherAnswersEachRequest(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	for i := range 20 {
		if _, err := db.InsertInboxEvent(ctx, storage.InboxEvent{Source: "crm", Kind: "standard",
			EventID: fmt.Sprintf("old_%d", i), EventType: "user.upserted", OccurredAt: time.Now(), Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	b := NewBatcher(db, nil)
	defer b.Close()

	type answer struct {
		id       string
		inserted bool
	}
	var ids []string
	for round := range 5 {
		for i := range 40 {
			ids = append(ids, fmt.Sprintf("new_%d_%d", round, i))
		}
		for i := range 20 {
			ids = append(ids, fmt.Sprintf("old_%d", i))
		}
		for i := range 10 {
			for range 4 { // four requests for each of these, at the same time
				ids = append(ids, fmt.Sprintf("same_%d_%d", round, i))
			}
		}
	}
	answers := make(chan answer, len(ids))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			<-start
			inserted, err := b.Record(ctx, applyEvent(id))
			if err != nil {
				t.Errorf("record %s: %v", id, err)
			}
			answers <- answer{id, inserted}
		})
	}
	close(start)
	wg.Wait()
	close(answers)

	news := map[string]int{}
	for a := range answers {
		if a.inserted {
			news[a.id]++
		} else if _, ok := news[a.id]; !ok {
			news[a.id] = 0
		}
	}
	for id, n := range news {
		want := 1
		if id[:4] == "old_" {
			want = 0
		}
		if n != want {
			t.Errorf("%s: answered new %d times, want %d", id, n, want)
		}
		if _, err := db.InboxEventByID(ctx, "crm", id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if want := 5*40 + 20 + 5*10; len(news) != want {
		t.Errorf("%d distinct events answered, want %d", len(news), want)
	}
}

// A batch fails as a whole: every request in it gets the error and none of
// its rows is recorded; the requests of the next batch are not affected.
func TestBatcherFailureFailsItsBatch(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	b := NewBatcher(db, nil)
	defer b.Close()

	// Built by hand, so the test decides what shares a batch.
	batch := []*pending{
		newPending(context.Background(), "evt_ok_1"),
		newPending(context.Background(), "evt_\x00"), // Postgres refuses a NUL in text
		newPending(context.Background(), "evt_ok_2"),
	}
	b.insert(batch)
	for _, p := range batch {
		if o := <-p.done; o.err == nil || o.inserted {
			t.Errorf("%q: answer %+v, want the batch's error", p.ev.EventID, o)
		}
	}
	if _, err := db.InboxEventByID(context.Background(), "crm", "evt_ok_1"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("evt_ok_1 of the failed batch: %v, want not recorded", err)
	}
	for _, id := range []string{"evt_ok_1", "evt_ok_2"} {
		if inserted, err := b.Record(context.Background(), applyEvent(id)); err != nil || !inserted {
			t.Errorf("%s in a later batch: inserted %v, %v", id, inserted, err)
		}
	}
}

// A request that gave up before its batch ran is answered with its own
// error and writes nothing: its caller has already moved on.
func TestBatcherSkipsRequestsThatGaveUp(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	b := NewBatcher(db, nil)
	defer b.Close()
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	batch := []*pending{newPending(gone, "evt_gone"), newPending(context.Background(), "evt_here")}
	b.insert(batch)
	if o := <-batch[0].done; !errors.Is(o.err, context.Canceled) {
		t.Errorf("cancelled request: %+v", o)
	}
	if o := <-batch[1].done; o.err != nil || !o.inserted {
		t.Errorf("live request: %+v", o)
	}
	if _, err := db.InboxEventByID(context.Background(), "crm", "evt_gone"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the cancelled request's row: %v, want not recorded", err)
	}
}

// Close answers every request it took, and refuses later ones with
// ErrClosed (the receiver then takes the event through the queue alone).
func TestBatcherClose(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	b := NewBatcher(db, nil)
	var wg sync.WaitGroup
	results := make([]error, 100)
	for i := range results {
		wg.Go(func() {
			_, results[i] = b.Record(context.Background(), applyEvent(fmt.Sprintf("evt_%d", i)))
		})
	}
	_ = b.Close()
	wg.Wait()
	for i, err := range results {
		id := fmt.Sprintf("evt_%d", i)
		_, rowErr := db.InboxEventByID(context.Background(), "crm", id)
		switch {
		case err == nil && rowErr != nil:
			t.Errorf("%s answered recorded, but: %v", id, rowErr)
		case errors.Is(err, ErrClosed) && !errors.Is(rowErr, storage.ErrNotFound):
			t.Errorf("%s refused, but its row: %v", id, rowErr)
		case err != nil && !errors.Is(err, ErrClosed):
			t.Errorf("record %s during close: %v", id, err)
		}
	}
	if _, err := b.Record(context.Background(), applyEvent("evt_late")); !errors.Is(err, ErrClosed) {
		t.Errorf("record after close: %v, want ErrClosed", err)
	}
	_ = b.Close() // a second Close is harmless
}

func newPending(ctx context.Context, id string) *pending {
	ev := applyEvent(id)
	return &pending{ctx: ctx, done: make(chan outcome, 1), ev: storage.InboxEvent{Source: ev.Source, Kind: ev.Kind,
		EventID: ev.EventID, EventType: ev.EventType, OccurredAt: ev.OccurredAt, Payload: ev.Payload}}
}
