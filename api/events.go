package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/inbox"
)

// inboxEventJSON is one inbound event as received, and what became of it.
// Its id is the inbox's number, as a string like every other id.
type inboxEventJSON struct {
	ID          string     `json:"id"`
	Source      string     `json:"source"`
	Kind        string     `json:"kind"`
	EventID     string     `json:"event_id"`
	EventType   string     `json:"event_type"`
	OccurredAt  time.Time  `json:"occurred_at"`
	Status      string     `json:"status"`
	Error       *string    `json:"error"`
	ReceivedAt  time.Time  `json:"received_at"`
	ProcessedAt *time.Time `json:"processed_at"`
	Replays     int        `json:"replays"`
	ReplayedAt  *time.Time `json:"replayed_at"`
}

func toInboxEventJSON(ev storage.InboxEvent) inboxEventJSON {
	return inboxEventJSON{
		ID: strconv.FormatInt(ev.ID, 10), Source: ev.Source, Kind: ev.Kind, EventID: ev.EventID,
		EventType: ev.EventType, OccurredAt: ev.OccurredAt, Status: ev.Status, Error: nullable(ev.Error),
		ReceivedAt: ev.ReceivedAt, ProcessedAt: ev.ProcessedAt, Replays: ev.Replays, ReplayedAt: ev.ReplayedAt,
	}
}

// inboxEventDetailJSON adds the provider's body. Providers send JSON, so
// it is shown as JSON (payload_encoding "json"); a body that is not valid
// JSON is shown as a base64 string (payload_encoding "base64") rather than
// being mangled.
type inboxEventDetailJSON struct {
	inboxEventJSON
	Payload         any    `json:"payload"`
	PayloadEncoding string `json:"payload_encoding"`
}

func toInboxEventDetailJSON(ev storage.InboxEvent) inboxEventDetailJSON {
	out := inboxEventDetailJSON{inboxEventJSON: toInboxEventJSON(ev), Payload: ev.Payload, PayloadEncoding: "base64"}
	if json.Valid(ev.Payload) {
		out.Payload, out.PayloadEncoding = json.RawMessage(ev.Payload), "json"
	}
	return out
}

// listEvents pages through inbound events newest first, by source and
// status. The cursor is an inbox id: events received while a client pages
// have higher ids, sort before the cursor, and never show up on later pages.
func (a *API) listEvents(c *gin.Context) {
	p, err := parsePage(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	st := c.Query("status")
	if st != "" && !slices.Contains(storage.InboxStatuses, st) {
		a.fail(c, invalidParameter("status", "status must be one of "+strings.Join(storage.InboxStatuses, ", ")))
		return
	}
	var before int64
	if p.After != "" {
		if before, err = strconv.ParseInt(p.After, 10, 64); err != nil || before < 1 {
			a.fail(c, invalidParameter("after", "after must be an event id from a previous page's meta.pagination.next"))
			return
		}
	}
	evs, err := a.db.ListInboxEvents(c.Request.Context(), storage.InboxFilter{
		Source: c.Query("source"), Status: st, Before: before, Limit: p.fetch(),
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, paginate(p, evs,
		func(ev storage.InboxEvent) string { return strconv.FormatInt(ev.ID, 10) },
		toInboxEventJSON))
}

// getEvent answers one inbound event with its payload.
func (a *API) getEvent(c *gin.Context) {
	id, err := eventID(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	ev, err := a.db.InboxEvent(c.Request.Context(), id)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toInboxEventDetailJSON(ev))
}

// replayEvent applies a failed or stale event again (inbox.Replay)
// and answers 202 with the event, back to received. When the task could
// not be enqueued the replay still stands, and the sweeper enqueues it: the
// answer is the same, and the trouble is logged.
func (a *API) replayEvent(c *gin.Context) {
	id, err := eventID(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	ev, err := inbox.New(a.db, a.queue).Replay(c.Request.Context(), id)
	if errors.Is(err, inbox.ErrReplayNotQueued) {
		a.log.Warn("replayed event left for the sweeper", "source", ev.Source, "event_id", ev.EventID, "error", err)
		err = nil
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, toInboxEventJSON(ev))
}

// eventID reads the route's inbox id. Anything but a positive number names
// no event, so it is a 404 like any unknown id, not a 400 or a 500.
func eventID(c *gin.Context) (int64, error) {
	raw := c.Param("event")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return 0, &apiError{http.StatusNotFound, "not_found", fmt.Sprintf("inbound event %q not found", raw)}
	}
	return id, nil
}
