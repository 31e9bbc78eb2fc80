package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/worker/engine"
)

// nullableString is a field that must be sent and may be null, such as
// user_external_id, where null unassigns: an omitted field must not be
// read as null and free a seat.
type nullableString struct {
	set   bool
	value *string // nil: null
}

func (n *nullableString) UnmarshalJSON(b []byte) error {
	n.set = true
	if string(b) == "null" {
		n.value = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		// The decoder adds the field's name to a type error, and readJSON
		// answers it as invalid_parameter.
		return &json.UnmarshalTypeError{Value: jsonValueKind(b), Type: reflect.TypeFor[string]()}
	}
	n.value = &s
	return nil
}

// jsonValueKind names the kind of a JSON value as encoding/json's type
// errors do.
func jsonValueKind(b []byte) string {
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "number"
}

// checkUserRef validates a required user_external_id that may be null, and
// returns it as engine.BatchAssignment wants it: "" to unassign.
func checkUserRef(field string, n nullableString) (string, error) {
	switch {
	case !n.set:
		return "", invalidParameter(field, field+" is required: a user's external id, or null to unassign the seat")
	case n.value == nil:
		return "", nil
	}
	return *n.value, checkIDField(field, *n.value)
}

type putSeatRequest struct {
	UserExternalID nullableString `json:"user_external_id"`
}

// putSeat assigns one seat to a user, or frees it. It is a batch of one
// entry, so that a single assignment and a batch follow one code path;
// the entry's own error is the answer, with its rule's status and code.
func (a *API) putSeat(c *gin.Context) {
	var req putSeatRequest
	if err := readJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	user, err := checkUserRef("user_external_id", req.UserExternalID)
	if err != nil {
		a.fail(c, err)
		return
	}
	ctx, order, seat := c.Request.Context(), c.Param("order"), c.Param("seat")
	err = a.db.InTx(ctx, func(tx *storage.Tx) error {
		return a.engine.Batch(ctx, tx, order, []engine.BatchAssignment{{SeatID: seat, UserExternalID: user}})
	})
	var be *engine.BatchError
	if errors.As(err, &be) {
		err = be.Entries[0]
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	seats, err := a.readSeats(ctx, order, []string{seat})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, seats[0])
}
