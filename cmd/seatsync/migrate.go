package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/seatsync/seatsync/storage"
)

var migrateCommand = withDeps(func(ctx context.Context, d *deps) error {
	return d.migrate(ctx)
})

// migrate creates the database when the server has none of that name (a
// fresh laptop), then applies pending migrations.
func (d *deps) migrate(ctx context.Context) error {
	err := d.db.Ping(ctx)
	if errors.Is(err, storage.ErrNoDatabase) {
		d.log.Info("creating database")
		err = storage.CreateDatabase(ctx, d.cfg.DatabaseURL)
		if err == nil {
			err = d.db.Ping(ctx)
		}
	}
	if err != nil {
		return configErr("SEATSYNC_DATABASE_URL", err)
	}
	applied, err := d.db.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	d.log.Info("database migrated", "applied", applied)
	return nil
}
