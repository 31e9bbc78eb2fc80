package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/engine"
)

// expiryBatch bounds how many invitations one sweep expires; more wait for
// the next tick.
const expiryBatch = 500

// invitationSweep frees the seats of invitations past their expiry, every
// interval. Every worker runs one: the engine expires each invitation
// once however many sweep at the same time.
type invitationSweep struct {
	db     *storage.DB
	engine *engine.Engine
	log    *slog.Logger
}

// once expires one batch.
func (s *invitationSweep) once(ctx context.Context) {
	n, err := s.engine.ExpireInvitations(ctx, s.db, time.Now(), expiryBatch)
	if err != nil && ctx.Err() == nil {
		s.log.Error("expire invitations", "error", err)
	}
	if n > 0 {
		s.log.Info("expired invitations", "count", n)
	}
}

// every runs fn every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func(ctx context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fn(ctx)
	}
}
