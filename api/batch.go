package api

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/engine"
)

// Bounds on one batch. The body limit is the route's own: a thousand
// entries with ids of the longest allowed length must fit.
const (
	maxBatchEntries = 1000
	maxBatchBody    = 1 << 20
)

type batchRequest struct {
	Assignments *[]batchEntryRequest `json:"assignments"`
}

type batchEntryRequest struct {
	SeatID         *string        `json:"seat_id"`
	UserExternalID nullableString `json:"user_external_id"`
}

// batchEntryErrorJSON says why one entry of a rejected batch cannot be
// applied, with the code the same rule has everywhere else.
type batchEntryErrorJSON struct {
	Index   int    `json:"index"`
	SeatID  string `json:"seat_id"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// batchAssign applies seat assignments across an order, all or nothing:
// each entry sees the state the earlier ones leave, so a batch can free a
// seat and fill it again. When any entry breaks a rule, nothing is applied
// and the answer names every failing entry.
func (a *API) batchAssign(c *gin.Context) {
	var req batchRequest
	if err := readJSONUpTo(c, &req, maxBatchBody); err != nil {
		a.fail(c, err)
		return
	}
	entries, err := checkBatch(req)
	if err != nil {
		a.fail(c, err)
		return
	}
	ctx, order := c.Request.Context(), c.Param("order")
	err = a.db.InTx(ctx, func(tx *storage.Tx) error {
		return a.engine.Batch(ctx, tx, order, entries)
	})
	var be *engine.BatchError
	if errors.As(err, &be) {
		err = batchRejected(be, entries)
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	seats, err := a.readSeats(ctx, order, namedSeats(entries))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"data": seats})
}

// batchRejected turns the engine's per-entry errors into the answer, each
// classified by the one errorCodes table. An entry error the table does not
// know is no rule but a failure, and fails the request as such.
func batchRejected(be *engine.BatchError, entries []engine.BatchAssignment) error {
	out := make([]batchEntryErrorJSON, 0, len(be.Entries))
	for _, i := range slices.Sorted(maps.Keys(be.Entries)) {
		err := be.Entries[i]
		_, code, ok := classify(err)
		if !ok {
			return fmt.Errorf("batch entry %d: %w", i, err)
		}
		out = append(out, batchEntryErrorJSON{Index: i, SeatID: entries[i].SeatID, Code: code, Message: err.Error()})
	}
	return &detailedError{
		apiError: &apiError{http.StatusUnprocessableEntity, "batch_rejected", fmt.Sprintf(
			"%d of the batch's %d entries cannot be applied, so none was; see details.entries", len(out), len(entries))},
		details: map[string]any{"entries": out},
	}
}

// checkBatch validates a batch, naming the entry and field at fault, and
// returns the engine's entries.
func checkBatch(req batchRequest) ([]engine.BatchAssignment, error) {
	if req.Assignments == nil {
		return nil, invalidParameter("assignments", "assignments is required: a list of {seat_id, user_external_id}")
	}
	list := *req.Assignments
	if len(list) == 0 || len(list) > maxBatchEntries {
		return nil, invalidParameter("assignments", fmt.Sprintf("assignments has %d entries; send 1 to %d", len(list), maxBatchEntries))
	}
	// A seat is named once, or twice to free it and then fill it, which a
	// swap needs. Any other repeat makes "all or nothing" depend on which
	// entry the caller meant.
	type naming struct {
		first int
		freed bool // the first entry frees the seat
		twice bool
	}
	named := make(map[string]naming, len(list))
	entries := make([]engine.BatchAssignment, len(list))
	for i, e := range list {
		field := fmt.Sprintf("assignments[%d].seat_id", i)
		if e.SeatID == nil {
			return nil, invalidParameter(field, field+" is required")
		}
		if err := checkIDField(field, *e.SeatID); err != nil {
			return nil, err
		}
		user, err := checkUserRef(fmt.Sprintf("assignments[%d].user_external_id", i), e.UserExternalID)
		if err != nil {
			return nil, err
		}
		n, again := named[*e.SeatID]
		if again && (!n.freed || n.twice || user == "") {
			return nil, invalidParameter(field, fmt.Sprintf(
				"%s %q repeats assignments[%d]; name a seat once, or twice to free it (null) and then fill it",
				field, clipped(*e.SeatID), n.first))
		}
		if again {
			n.twice = true
		} else {
			n = naming{first: i, freed: user == ""}
		}
		named[*e.SeatID] = n
		entries[i] = engine.BatchAssignment{SeatID: *e.SeatID, UserExternalID: user}
	}
	return entries, nil
}

// namedSeats lists the seats a batch names, each once, in entry order.
func namedSeats(entries []engine.BatchAssignment) []string {
	ids := make([]string, 0, len(entries))
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if !seen[e.SeatID] {
			seen[e.SeatID] = true
			ids = append(ids, e.SeatID)
		}
	}
	return ids
}
