package storage_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

func newClaim(t *testing.T, db *storage.DB, key string, hash byte) storage.IdempotencyClaim {
	t.Helper()
	k, _, err := db.CreateAPIKey(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return storage.IdempotencyClaim{APIKeyID: k.ID, Key: key, RequestHash: []byte{hash}, LockFor: time.Minute, TTL: 24 * time.Hour}
}

func claim(t *testing.T, db *storage.DB, c storage.IdempotencyClaim) storage.IdempotencyKey {
	t.Helper()
	k, err := db.ClaimIdempotencyKey(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestIdempotencyKeyLifecycle(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	c := newClaim(t, db, "k1", 1)

	first := claim(t, db, c)
	if !first.Owned || first.ResponseStatus != nil {
		t.Fatalf("first claim = %+v, want owned and unanswered", first)
	}
	if again := claim(t, db, c); again.Owned || again.ResponseStatus != nil || !bytes.Equal(again.RequestHash, c.RequestHash) {
		t.Fatalf("claim while running = %+v, want held by the first", again)
	}
	if err := db.FinishIdempotencyKey(ctx, c.APIKeyID, c.Key, first.LockedUntil, 201, []byte(`{"id":"x"}`)); err != nil {
		t.Fatal(err)
	}
	done := claim(t, db, c)
	if done.Owned || done.ResponseStatus == nil || *done.ResponseStatus != 201 || string(done.ResponseBody) != `{"id":"x"}` {
		t.Fatalf("claim after the answer = %+v", done)
	}
	other := c
	other.RequestHash = []byte{2}
	if k := claim(t, db, other); k.Owned || !bytes.Equal(k.RequestHash, c.RequestHash) {
		t.Fatalf("claim with another hash = %+v, want the stored one", k)
	}
	if err := db.FinishIdempotencyKey(ctx, c.APIKeyID, c.Key, first.LockedUntil, 200, nil); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("finishing twice: %v, want ErrNotFound", err)
	}

	// Past its TTL a key is forgotten, whatever it held.
	if err := db.Exec(ctx, `UPDATE idempotency_keys SET created_at = now() - interval '25 hours'`); err != nil {
		t.Fatal(err)
	}
	if k := claim(t, db, other); !k.Owned || k.ResponseStatus != nil || !bytes.Equal(k.RequestHash, other.RequestHash) {
		t.Fatalf("claim of an expired key = %+v, want a fresh claim", k)
	}
}

func TestIdempotencyKeyRelease(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	c := newClaim(t, db, "k1", 1)

	first := claim(t, db, c)
	if err := db.ReleaseIdempotencyKey(ctx, c.APIKeyID, c.Key, first.LockedUntil); err != nil {
		t.Fatal(err)
	}
	second := claim(t, db, c)
	if !second.Owned {
		t.Fatalf("claim after a release = %+v, want owned", second)
	}
	// A lock that ran out lets the same request take the key over, and the
	// first claim can then neither finish nor release it.
	if err := db.Exec(ctx, `UPDATE idempotency_keys SET locked_until = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	other := c
	other.RequestHash = []byte{2}
	if k := claim(t, db, other); k.Owned {
		t.Fatalf("another request took over an unanswered key: %+v", k)
	}
	third := claim(t, db, c)
	if !third.Owned || third.LockedUntil.Equal(second.LockedUntil) {
		t.Fatalf("claim after the lock ran out = %+v", third)
	}
	if err := db.FinishIdempotencyKey(ctx, c.APIKeyID, c.Key, second.LockedUntil, 200, nil); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the overtaken claim finished: %v", err)
	}
	if err := db.ReleaseIdempotencyKey(ctx, c.APIKeyID, c.Key, second.LockedUntil); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishIdempotencyKey(ctx, c.APIKeyID, c.Key, third.LockedUntil, 200, nil); err != nil {
		t.Errorf("the overtaking claim could not finish: %v", err)
	}
}

func TestIdempotencyKeyOneOwnerUnderConcurrency(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	c := newClaim(t, db, "k1", 1)
	const n = 16
	owned := make(chan bool, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := db.ClaimIdempotencyKey(context.Background(), c)
			if err != nil {
				t.Error(err)
			}
			owned <- k.Owned
		}()
	}
	wg.Wait()
	close(owned)
	count := 0
	for o := range owned {
		if o {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d concurrent claims own the key, want 1", count)
	}
}

func TestDeleteExpiredIdempotencyKeys(t *testing.T) {
	t.Parallel()
	db := storagetest.NewDB(t)
	ctx := context.Background()
	c := newClaim(t, db, "", 1)
	for _, k := range []string{"old1", "old2", "old3", "new"} {
		c.Key = k
		claim(t, db, c)
	}
	if err := db.Exec(ctx, `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key LIKE 'old%'`); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int64{2, 1, 0} {
		n, err := db.DeleteExpiredIdempotencyKeys(ctx, 24*time.Hour, 2)
		if err != nil || n != want {
			t.Fatalf("deleted %d (%v), want %d", n, err, want)
		}
	}
	c.Key = "new"
	if k := claim(t, db, c); k.Owned {
		t.Errorf("the live key was deleted: %+v", k)
	}
}
