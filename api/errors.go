package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/engine"
	"github.com/seatsync/seatsync/worker/inbox"
)

// apiError is an error with the status and stable code it is answered with.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

// detailedError is an apiError with details, such as the parameter that
// failed validation. It is a type of its own so that apiError literals stay
// three fields long.
type detailedError struct {
	*apiError
	details map[string]any
}

func (e *detailedError) Unwrap() error { return e.apiError }

// errNewerState answers an API write the engine did not apply because a
// provider event with a later timestamp already set the state: the API
// must not roll the provider's newer truth back.
var errNewerState = &apiError{http.StatusConflict, "newer_state_exists", "a change with a later timestamp is already applied; this one was not"}

// errorCodes is the one table from storage and engine sentinels to
// answers. The engine's rule errors come first: they may wrap a storage
// sentinel, and the rule is the more specific answer.
var errorCodes = []struct {
	err    error
	status int
	code   string
}{
	{engine.ErrUserDeactivated, http.StatusUnprocessableEntity, "user_deactivated"},
	{engine.ErrCustomerMismatch, http.StatusUnprocessableEntity, "customer_mismatch"},
	{engine.ErrUserAlreadySeated, http.StatusConflict, "user_already_seated"},
	{engine.ErrSeatOccupied, http.StatusConflict, "seat_occupied"},
	{engine.ErrNoFreeSeat, http.StatusConflict, "no_free_seat"},
	{engine.ErrOrderCanceled, http.StatusConflict, "order_canceled"},
	{engine.ErrSeatNotFound, http.StatusNotFound, "seat_not_found"},
	{engine.ErrUnknownUser, http.StatusNotFound, "user_not_found"},
	{engine.ErrAlreadyInvited, http.StatusConflict, "already_invited"},
	{engine.ErrSeatNotInvited, http.StatusConflict, "seat_not_invited"},
	{engine.ErrInvitationNotFound, http.StatusNotFound, "invitation_not_found"},
	{engine.ErrInvitationExpired, http.StatusGone, "invitation_expired"},
	{engine.ErrInvitationUsed, http.StatusGone, "invitation_used"},
	{engine.ErrInvitationEnded, http.StatusGone, "invitation_ended"},
	{engine.ErrNoSchedule, http.StatusConflict, "no_schedule"},
	{engine.ErrMarkCount, http.StatusUnprocessableEntity, "wrong_count"},
	{engine.ErrSeatNotOnLine, http.StatusUnprocessableEntity, "seat_not_on_line"},
	{engine.ErrDuplicateSeat, http.StatusUnprocessableEntity, "duplicate_seat"},
	{engine.ErrNoActiveLine, http.StatusNotFound, "no_active_line"},
	{engine.ErrUserNotSeated, http.StatusConflict, "user_not_seated"},
	{inbox.ErrNotReplayable, http.StatusConflict, "event_not_replayable"},
	{storage.ErrNotFound, http.StatusNotFound, "not_found"},
	{storage.ErrConflict, http.StatusConflict, "conflict"},
	{storage.ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
}

// unavailableRetryAfter is the Retry-After of a 503: long enough for a
// restarting Postgres, short enough that a client does not wait needlessly.
const unavailableRetryAfter = 5

// classify finds the row of errorCodes that err matches first. ok is false
// for an unexpected error, which is answered as a 500. Batch entries are
// classified with it too, so that a rule has one code wherever it shows.
func classify(err error) (status int, code string, ok bool) {
	for _, e := range errorCodes {
		if errors.Is(err, e.err) {
			return e.status, e.code, true
		}
	}
	return http.StatusInternalServerError, "internal", false
}

// fail answers err in the uniform error shape. Unexpected errors are logged
// here, once, and answered without their internals.
func (a *API) fail(c *gin.Context, err error) {
	var de *detailedError
	if errors.As(err, &de) {
		c.AbortWithStatusJSON(de.status, gin.H{"error": gin.H{"code": de.code, "message": de.message, "details": de.details}})
		return
	}
	var ae *apiError
	if errors.As(err, &ae) {
		c.AbortWithStatusJSON(ae.status, errorBody(ae.code, ae.message))
		return
	}
	ctx := c.Request.Context()
	status, code, ok := classify(err)
	if status == http.StatusServiceUnavailable {
		// Storage's own text names hosts and ports: it goes to the log, the
		// caller learns when to try again.
		a.log.WarnContext(ctx, "api request failed: postgres unavailable", "method", c.Request.Method, "route", c.FullPath(), "error", err)
		c.Header("Retry-After", strconv.Itoa(unavailableRetryAfter))
		c.AbortWithStatusJSON(status, gin.H{"error": gin.H{"code": code,
			"message": fmt.Sprintf("the database is unavailable; retry in %d seconds", unavailableRetryAfter),
			"details": gin.H{"retry_after": unavailableRetryAfter, "request_id": RequestIDFrom(ctx)}}})
		return
	}
	if ok {
		c.AbortWithStatusJSON(status, errorBody(code, err.Error()))
		return
	}
	// The request id, in the log line and in the answer, is what ties a
	// caller's report of this error to its cause.
	a.log.ErrorContext(ctx, "api request failed", "method", c.Request.Method, "route", c.FullPath(), "error", err)
	c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": gin.H{
		"code": "internal", "message": "internal error", "details": gin.H{"request_id": RequestIDFrom(ctx)}}})
}

func errorBody(code, message string) gin.H {
	return gin.H{"error": gin.H{"code": code, "message": message}}
}

// unlessNewer turns an engine write's "not applied" (the stored state is
// from a later change) into errNewerState.
func unlessNewer(applied bool, err error) error {
	if err == nil && !applied {
		return errNewerState
	}
	return err
}
