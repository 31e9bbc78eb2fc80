// Package storagetest gives each test its own Postgres database, cloned from
// a template that is migrated once per schema version, so tests run in
// parallel against the real server without seeing each other's rows.
package storagetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/seatsync/seatsync/storage"
)

// AdminURLVar overrides the server the tests use; it must point at a
// database the test user may CREATE DATABASE from.
const AdminURLVar = "SEATSYNC_TEST_DATABASE_URL"

const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// NewDB returns an open, migrated, empty database of the test's own, dropped
// when the test ends.
func NewDB(t testing.TB) *storage.DB {
	t.Helper()
	db, err := storage.Open(NewURL(t))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewURL creates a migrated, empty database of the test's own and returns
// its URL, for tests that hand the database to another process. The
// database is dropped when the test ends.
func NewURL(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	admin := adminURL()
	var template string
	err := whileBusy(func() (err error) {
		template, err = ensureTemplate(ctx, admin)
		return err
	})
	if err != nil {
		t.Fatalf("prepare template database: %v", err)
	}
	name := "seatsync_test_" + randomHex(8)
	if err := whileBusy(func() error {
		return exec(ctx, admin, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
			pq.QuoteIdentifier(name), pq.QuoteIdentifier(template)))
	}); err != nil {
		t.Fatalf("clone template database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(t, admin, name) })
	return withDatabase(admin, name)
}

// NewEmptyURL returns the URL of a database that does not exist yet, for
// tests of the code that creates and migrates it; it is dropped when the
// test ends.
func NewEmptyURL(t testing.TB) string {
	t.Helper()
	admin := adminURL()
	name := "seatsync_test_" + randomHex(8)
	t.Cleanup(func() { dropDatabase(t, admin, name) })
	return withDatabase(admin, name)
}

func dropDatabase(t testing.TB, admin, name string) {
	err := whileBusy(func() error {
		return exec(context.Background(), admin, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)")
	})
	if err != nil {
		t.Errorf("drop test database %s: %v", name, err)
	}
}

// ensureTemplate creates and migrates the template for the current schema
// once. Test binaries of several packages run at the same time, so an
// advisory lock serialises the creation.
func ensureTemplate(ctx context.Context, admin string) (string, error) {
	name := "seatsync_template_" + schemaFingerprint()
	db, err := storage.Open(admin)
	if err != nil {
		return "", err
	}
	defer db.Close()
	return name, db.WithAdvisoryLock(ctx, "storagetest template", func() error {
		exists, err := db.DatabaseExists(ctx, name)
		if err != nil || exists {
			return err
		}
		building := name + "_building"
		if err := exec(ctx, admin, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(building)+" WITH (FORCE)"); err != nil {
			return err
		}
		if err := exec(ctx, admin, "CREATE DATABASE "+pq.QuoteIdentifier(building)); err != nil {
			return err
		}
		tmpl, err := storage.Open(withDatabase(admin, building))
		if err != nil {
			return err
		}
		_, err = tmpl.Migrate(ctx)
		tmpl.Close()
		if err != nil {
			return err
		}
		// Renaming only once migrated means a crash never leaves a
		// half-built template behind under the final name.
		return exec(ctx, admin, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s",
			pq.QuoteIdentifier(building), pq.QuoteIdentifier(name)))
	})
}

func schemaFingerprint() string {
	h := sha256.New()
	err := fs.WalkDir(storage.Migrations(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(storage.Migrations(), path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	if err != nil {
		panic(fmt.Sprintf("read embedded migrations: %v", err)) // the binary itself is broken
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func exec(ctx context.Context, dbURL, stmt string) error {
	db, err := storage.Open(dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Exec(ctx, stmt)
}

func adminURL() string {
	if u := os.Getenv(AdminURLVar); u != "" {
		return u
	}
	return defaultAdminURL
}

func withDatabase(dbURL, name string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		panic(fmt.Sprintf("%s: %v", AdminURLVar, err))
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewCustomer records the customer externalID (named after it) in db, as
// an event would, and returns it.
func NewCustomer(t testing.TB, db *storage.DB, externalID string) storage.Customer {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.UpsertCustomer(ctx, storage.CustomerInput{ExternalID: externalID, Name: externalID}, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CustomerByExternalID(ctx, externalID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
