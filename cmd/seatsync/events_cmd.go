package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/inbox"
)

// eventsListPage is how many events `events list` reads at a time.
const eventsListPage = 200

// eventsArgs are the forms of `seatsync events`.
const eventsArgs = "list [--source S] [--status S] [--limit N] | replay ID… | replay --source S --event-id E"

func eventsCommand(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
	source := fs.String("source", "", "only events from this source (list); the source of --event-id (replay)")
	status := fs.String("status", "", "only events with this status: "+strings.Join(storage.InboxStatuses, ", ")+" (list)")
	limit := fs.Int("limit", 50, "show at most this many events, newest first (list)")
	eventID := fs.String("event-id", "", "replay the event with this provider event id, from --source (replay)")
	return func(ctx context.Context, env *environment, args []string) error {
		if len(args) == 0 {
			return fmt.Errorf("%w: events needs an action: list or replay", errUsage)
		}
		// Flags may also follow the action: `events list --status failed`.
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		action, rest := args[0], fs.Args()
		var ids []int64
		switch {
		case action == "list" && len(rest) == 0:
			if *status != "" && !slices.Contains(storage.InboxStatuses, *status) {
				return fmt.Errorf("%w: --status must be one of %s", errUsage, strings.Join(storage.InboxStatuses, ", "))
			}
			if *limit < 1 {
				return fmt.Errorf("%w: --limit must be at least 1", errUsage)
			}
		case action == "replay" && *eventID != "" && len(rest) == 0:
			if *source == "" {
				return fmt.Errorf("%w: events replay --event-id needs --source", errUsage)
			}
		case action == "replay" && *eventID == "" && len(rest) > 0:
			for _, arg := range rest {
				id, err := strconv.ParseInt(arg, 10, 64)
				if err != nil || id < 1 {
					return fmt.Errorf("%w: %q is not an event id (the number `events list` shows)", errUsage, arg)
				}
				ids = append(ids, id)
			}
		default:
			return fmt.Errorf("%w: events %s", errUsage, eventsArgs)
		}
		d, err := connect(env)
		if err != nil {
			return err
		}
		defer d.close()
		if action == "list" {
			return listEvents(ctx, env, d.db, storage.InboxFilter{Source: *source, Status: *status}, *limit)
		}
		if *eventID != "" {
			ev, err := d.db.InboxEventByID(ctx, *source, *eventID)
			if err != nil {
				return err
			}
			ids = []int64{ev.ID}
		}
		return replayEvents(ctx, env, d, ids)
	}
}

// listEvents prints up to limit events, newest first, a page at a time.
func listEvents(ctx context.Context, env *environment, db *storage.DB, f storage.InboxFilter, limit int) error {
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSOURCE\tEVENT ID\tTYPE\tSTATUS\tREPLAYS\tRECEIVED\tERROR")
	for limit > 0 {
		f.Limit = min(limit, eventsListPage)
		evs, err := db.ListInboxEvents(ctx, f)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", ev.ID, ev.Source, ev.EventID, ev.EventType,
				ev.Status, ev.Replays, ev.ReceivedAt.UTC().Format(time.RFC3339), oneLine(ev.Error))
		}
		if len(evs) < f.Limit {
			break
		}
		limit -= len(evs)
		f.Before = evs[len(evs)-1].ID
	}
	return tw.Flush()
}

// replayEvents replays each event, printing a line for each, and carries on
// past one that cannot be replayed; the errors come back together.
func replayEvents(ctx context.Context, env *environment, d *deps, ids []int64) error {
	var errs []error
	for _, id := range ids {
		ev, err := inbox.New(d.db, d.queue).Replay(ctx, id)
		switch {
		case err == nil:
			fmt.Fprintf(env.stdout, "Replayed event %d (%s %s %s), replay %d: enqueued\n", ev.ID, ev.Source, ev.EventID, ev.EventType, ev.Replays)
		case errors.Is(err, inbox.ErrReplayNotQueued):
			fmt.Fprintf(env.stdout, "Replayed event %d (%s %s %s), replay %d: not enqueued (%v); the worker's sweep will enqueue it\n",
				ev.ID, ev.Source, ev.EventID, ev.EventType, ev.Replays, err)
		default:
			fmt.Fprintf(env.stdout, "Event %d not replayed: %v\n", id, err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// oneLine keeps an error message on its table row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
