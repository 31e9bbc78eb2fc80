package webhooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/jobs"
)

// Inbox records a received event durably. It reports false when the event
// was recorded before: a redelivery.
type Inbox interface {
	Record(ctx context.Context, ev jobs.ApplyEvent) (inserted bool, err error)
}

// Source is one configured inbound source.
type Source struct {
	Name   string
	Kind   string
	Format Kind
}

// durableTimeout bounds each attempt to make an event durable, so that a
// hanging Postgres or Redis turns into a fast answer the provider retries.
const durableTimeout = 3 * time.Second

// Receiver is the thin HTTP edge of inbound webhooks: read the body once
// with a limit, verify it, parse it, make it durable, answer.
type Receiver struct {
	sources map[string]Source
	inbox   Inbox
	queue   *jobs.Client
	maxBody int64
	now     func() time.Time
	m       *Metrics
	log     *slog.Logger
	later   *deferredEnqueue // nil: every request enqueues its own event
}

// NewReceiver serves the given sources.
func NewReceiver(sources []Source, inbox Inbox, queue *jobs.Client, maxBody int64, m *Metrics, log *slog.Logger) *Receiver {
	bySource := make(map[string]Source, len(sources))
	for _, s := range sources {
		bySource[s.Name] = s
	}
	return &Receiver{sources: bySource, inbox: inbox, queue: queue, maxBody: maxBody, now: time.Now, m: m, log: log}
}

// DeferEnqueue makes the receiver answer once an event's inbox row is
// committed and enqueue it in the background (see deferredEnqueue). Call
// stop after the HTTP server has shut down and before the queue client is
// closed: it enqueues what was handed over and stops the enqueuers.
func (rc *Receiver) DeferEnqueue() (stop func() error) {
	rc.later = newDeferredEnqueue(rc.queue, rc.m, rc.log)
	return func() error { rc.later.close(); return nil }
}

// Register mounts the receiver on r.
func (rc *Receiver) Register(r gin.IRoutes) {
	r.POST("/v1/webhooks/:source", rc.receive)
	r.GET("/v1/webhooks/:source", rc.challenge)
}

// challenge answers a provider's one-time verification request (Okta's) for
// the sources whose kind has one.
func (rc *Receiver) challenge(c *gin.Context) {
	src, ok := rc.sources[c.Param("source")]
	if !ok {
		rc.reject(c, "", errUnknownSource)
		return
	}
	challenger, ok := src.Format.(Challenger)
	if !ok {
		c.Header("Allow", http.MethodPost)
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, gin.H{"error": gin.H{
			"code": "method_not_allowed", "message": "sources of kind " + src.Kind + " only take POST"}})
		return
	}
	answer, err := challenger.Challenge(c.Request.Header)
	if err != nil {
		if errors.Is(err, ErrSignature) {
			rc.m.signatureFailure(src.Name, err)
		}
		rc.reject(c, src.Name, err)
		return
	}
	c.JSON(http.StatusOK, answer)
}

func (rc *Receiver) receive(c *gin.Context) {
	start := time.Now()
	src, ok := rc.sources[c.Param("source")]
	if !ok {
		rc.reject(c, "", errUnknownSource)
		return
	}
	body, err := rc.readBody(c)
	if err != nil {
		rc.reject(c, src.Name, err)
		return
	}
	if err := src.Format.Verify(c.Request.Header, body, rc.now()); err != nil {
		rc.m.signatureFailure(src.Name, err)
		rc.reject(c, src.Name, err)
		return
	}
	events, err := src.Format.Events(c.Request.Header, body)
	if err != nil {
		rc.reject(c, src.Name, err)
		return
	}
	answer := receipt{Status: statusIgnored, Events: make([]eventReceipt, 0, len(events))}
	for _, ev := range events {
		status := statusIgnored
		if !ev.Ignored {
			status, err = rc.accept(c.Request.Context(), src, ev)
			if err != nil {
				rc.reject(c, src.Name, err)
				return
			}
		}
		rc.m.event(src.Name, status)
		answer.add(ev.ID, status)
		rc.logEvent(c.Request.Context(), src, ev, status)
	}
	rc.m.received(src.Name, time.Since(start))
	c.Data(http.StatusAccepted, "application/json; charset=utf-8", answer.appendJSON(make([]byte, 0, 128)))
}

// readBody reads the whole body once, refusing more than maxBody bytes.
func (rc *Receiver) readBody(c *gin.Context) ([]byte, error) {
	if c.Request.ContentLength > rc.maxBody {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", errTooLarge, c.Request.ContentLength, rc.maxBody)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, rc.maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, fmt.Errorf("%w: the limit is %d bytes", errTooLarge, rc.maxBody)
	}
	if err != nil {
		// The read error names the sockets, which the sender does not need.
		return nil, fmt.Errorf("the body did not arrive in full (a read timeout or a closed connection); send the delivery again: %w", ErrMalformed)
	}
	return body, nil
}

// accept makes one event durable before it is acknowledged: in the Postgres
// inbox and on the queue when both are up; through whichever of the two
// answers when the other is down (the sweeper enqueues inbox rows later, and
// the worker writes the inbox row of a queued event). Only when neither
// takes the event is the delivery refused, so the provider retries it.
// With DeferEnqueue, an event the inbox took is answered at once and
// enqueued in the background.
func (rc *Receiver) accept(ctx context.Context, src Source, ev Event) (string, error) {
	job := jobs.ApplyEvent{
		Source: src.Name, Kind: src.Kind, EventID: ev.ID,
		EventType: ev.Type, OccurredAt: ev.OccurredAt, Payload: ev.Payload,
	}
	dbCtx, cancel := context.WithTimeout(ctx, durableTimeout)
	inserted, inboxErr := rc.inbox.Record(dbCtx, job)
	cancel()
	if inboxErr == nil && !inserted {
		return statusDuplicate, nil
	}
	if inboxErr == nil && rc.later != nil && rc.later.offer(job) {
		// Durable in the inbox; the task follows in the background.
		return statusEnqueued, nil
	}
	qCtx, cancel := context.WithTimeout(ctx, durableTimeout)
	outcome, queueErr := rc.queue.EnqueueApplyEvent(qCtx, job)
	cancel()
	rc.m.enqueueResult("inline", outcome, queueErr)
	switch {
	case inboxErr != nil && queueErr != nil:
		return "", fmt.Errorf("%w: inbox: %w; queue: %w", errUnavailable, inboxErr, queueErr)
	case inboxErr != nil:
		rc.log.WarnContext(ctx, "inbox unavailable; event accepted through the queue alone", "source", src.Name, "event_id", ev.ID, "error", inboxErr)
	case queueErr != nil:
		rc.log.WarnContext(ctx, "queue unavailable; event kept in the inbox for the sweeper", "source", src.Name, "event_id", ev.ID, "error", queueErr)
		return statusEnqueued, nil
	}
	if outcome == jobs.Duplicate {
		return statusDuplicate, nil
	}
	return statusEnqueued, nil
}

// logEvent writes one debug line per received event. At info level the
// receive path logs nothing per event (a line costs more than the rest of
// the request at thousands of events per second); what it says stays
// available as seatsync_inbound_events_total{source,outcome} and
// seatsync_inbound_receive_seconds, and per event at SEATSYNC_LOG_LEVEL=debug.
func (rc *Receiver) logEvent(ctx context.Context, src Source, ev Event, status string) {
	if !rc.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	rc.log.LogAttrs(ctx, slog.LevelDebug, "inbound event", slog.String("source", src.Name),
		slog.String("event_id", ev.ID), slog.String("event_type", ev.Type), slog.String("status", status))
}
