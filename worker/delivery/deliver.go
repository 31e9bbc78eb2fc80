package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/seatsync/seatsync/jobs"
	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
)

// DefaultMaxInFlight is how many deliveries to one endpoint may be in
// flight at once unless configured otherwise.
const DefaultMaxInFlight = 4

// Options tune the handler.
type Options struct {
	// MaxInFlight bounds concurrent deliveries to one endpoint, across
	// every worker process.
	MaxInFlight int
	// DisableAfter disables an endpoint whose every delivery failed for so
	// long.
	DisableAfter time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handler makes one attempt at one delivery: sign, send, log the attempt,
// and decide what follows (done, retry, disable the endpoint).
type Handler struct {
	db           *storage.DB
	sender       *webhooks.Sender
	slots        *endpointSlots
	disableAfter time.Duration
	metrics      *Metrics
	log          *slog.Logger
	now          func() time.Time
}

// NewHandler returns the delivery task handler. rdb holds the per-endpoint
// slots; it is the process's shared client, not closed here.
func NewHandler(db *storage.DB, sender *webhooks.Sender, rdb redis.UniversalClient, o Options, m *Metrics, log *slog.Logger) *Handler {
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Handler{db: db, sender: sender, slots: newEndpointSlots(rdb, o.MaxInFlight),
		disableAfter: o.DisableAfter, metrics: m, log: log, now: o.Now}
}

// Close gives the endpoint slots this process keeps idle back at once.
// Call it once the queue server has stopped: a delivery still running
// gives its slot back as it ends.
func (h *Handler) Close() { h.slots.close() }

// ErrEndpointBusy defers a delivery while its endpoint has the most
// deliveries in flight; it is not a failure of the delivery (see
// IsFailure).
var ErrEndpointBusy = errors.New("endpoint has the most deliveries in flight")

// slowEndpoint is ErrEndpointBusy for an endpoint whose every slot has
// been sending for slowFor (see endpointSlots.slowFor).
type slowEndpoint struct{ slowFor time.Duration }

func (e *slowEndpoint) Error() string {
	return fmt.Sprintf("%v, every one sending for %s", ErrEndpointBusy, e.slowFor.Round(time.Millisecond))
}

func (e *slowEndpoint) Unwrap() error { return ErrEndpointBusy }

// busyError is the error of a delivery that steps aside: slowFor is how
// long the endpoint's slots have all been sending, 0 when it is not slow
// but only busy.
func busyError(slowFor time.Duration) error {
	if slowFor > 0 {
		return &slowEndpoint{slowFor: slowFor}
	}
	return ErrEndpointBusy
}

// retryLater carries the subscriber's Retry-After to the retry schedule.
type retryLater struct {
	after    time.Duration
	cause    string
	customer string // for the error handler's log line
}

func (e *retryLater) Error() string { return e.cause }

// ProcessTask implements asynq.Handler.
func (h *Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := jobs.ParseDeliver(t.Payload())
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	// A delivery for an endpoint that is slow with every slot steps aside
	// before it costs a read.
	if slow := h.slots.slowFor(p.EndpointID, time.Now()); slow > 0 {
		h.metrics.deferred.Inc()
		return busyError(slow)
	}
	d, err := h.db.DeliveryForSending(ctx, p.DeliveryID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // the endpoint was deleted
	}
	if err != nil {
		return err
	}
	if d.Status != storage.DeliveryPending || !d.Endpoint.Enabled {
		return nil
	}
	if d.Pruned {
		// Past the retention period there is nothing left to send.
		return h.db.FailDelivery(context.WithoutCancel(ctx), d.ID)
	}
	// The send ends within the sender's timeout, and with the task.
	until := time.Now().Add(h.sender.Timeout())
	deadline, ok := ctx.Deadline()
	switch {
	case !ok:
		deadline = until
	case deadline.Before(until):
		until = deadline
	}
	sl, err := h.slots.acquire(ctx, d.Endpoint.ID, until, deadline, slotWait)
	if errors.Is(err, ErrEndpointBusy) {
		h.metrics.deferred.Inc()
	}
	if err != nil {
		return err
	}
	res := h.send(ctx, d, sl)
	return h.record(ctx, d, res)
}

// send makes the request holding the endpoint slot sl, and gives the slot
// back as soon as the request is over, however it ends (a slot this
// process kept by mistake would count against the endpoint for good):
// recording the attempt does not need it.
func (h *Handler) send(ctx context.Context, d storage.DeliveryToSend, sl *slot) webhooks.Result {
	defer h.slots.release(ctx, d.Endpoint.ID, sl)
	now := h.now()
	return h.sender.Send(ctx, webhooks.Outbound{
		URL: d.Endpoint.URL, MessageID: d.MessageID, Timestamp: now,
		Secrets: d.Endpoint.SigningSecrets(now), Body: d.Body,
	})
}

// slotWait is how long a delivery waits for its endpoint to have a free
// slot before it steps aside for the other queued work: long enough that
// a busy endpoint's backlog mostly flows without round trips through the
// retry queue, short enough that the deliveries a hanging endpoint has
// queued, each stepping aside again every retry, do not between them
// hold the goroutines the other endpoints need. Once every slot of the
// endpoint has been sending for slowAfter, a delivery steps aside at once
// (endpointSlots.slowFor).
const slotWait = 50 * time.Millisecond

// record logs the attempt and turns its outcome into the task's.
func (h *Handler) record(ctx context.Context, d storage.DeliveryToSend, res webhooks.Result) error {
	attempt := storage.Attempt{DeliveryID: d.ID, LatencyMS: int(res.Latency.Milliseconds()), Snippet: res.Snippet}
	if res.StatusCode != 0 {
		attempt.StatusCode = &res.StatusCode
	}
	if res.Err != nil {
		attempt.Error = res.Err.Error()
	}
	o := storage.AttemptOutcome{Status: storage.DeliveryPending, Now: h.now(),
		DisableAfter: h.disableAfter, DisableReason: fmt.Sprintf("every delivery failed for %s", h.disableAfter)}
	outcome := "retry"
	switch res.Outcome() {
	case webhooks.Delivered:
		o.Status, outcome = storage.DeliveryDelivered, "delivered"
	case webhooks.Gone:
		o.Status, outcome, o.Disable = storage.DeliveryFailed, "gone", "the endpoint answered 410 Gone"
	}
	h.metrics.observe(outcome, res.Latency)
	rec, err := h.db.RecordAttempt(context.WithoutCancel(ctx), attempt, o)
	if err != nil {
		return err
	}
	if outcome == "delivered" {
		return nil
	}
	log := h.log.With("endpoint_id", d.Endpoint.ID, "message_id", d.MessageID, "customer", d.CustomerExternalID,
		"status_code", res.StatusCode)
	switch {
	case outcome == "gone":
		log.Warn("endpoint answered 410 Gone; disabled it")
		return nil
	case rec.Disabled:
		log.Warn("endpoint failing for too long; disabled it", "failing_since", rec.FailingSince)
		return nil
	}
	cause := fmt.Sprintf("delivery %d to %s: HTTP %d", d.ID, d.Endpoint.URL, res.StatusCode)
	if res.Err != nil {
		cause = fmt.Sprintf("delivery %d to %s: %v", d.ID, d.Endpoint.URL, res.Err)
	}
	return &retryLater{after: res.RetryAfter, cause: cause, customer: d.CustomerExternalID}
}
