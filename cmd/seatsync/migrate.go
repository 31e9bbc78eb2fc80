package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/seatsync/seatsync/storage"
)

func migrateCommand(*flag.FlagSet) func(context.Context, *environment, []string) error {
	return func(ctx context.Context, env *environment, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		d, err := connect(env)
		if err != nil {
			return err
		}
		defer d.close()
		return d.migrate(ctx)
	}
}

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
