package engine

import (
	"errors"
	"fmt"
)

// The outcomes of a request that breaks a rule of SPEC §1, one sentinel
// per rule; the API maps them to its status codes and error codes, whose
// names they carry.
var (
	ErrUserDeactivated   = errors.New("user_deactivated")    // 422: only active users hold seats
	ErrCustomerMismatch  = errors.New("customer_mismatch")   // 422: user of another customer than the order's
	ErrUserAlreadySeated = errors.New("user_already_seated") // 409: the user holds another seat of this line
	ErrSeatOccupied      = errors.New("seat_occupied")       // 409: the seat is held (or invited) by someone else
	ErrNoFreeSeat        = errors.New("no_free_seat")        // 409: no unassigned seat left on the line
	ErrOrderCanceled     = errors.New("order_canceled")      // 409: a canceled order's seats cannot be assigned
	ErrSeatNotFound      = errors.New("seat_not_found")      // 404: no such non-retired seat on this line

	ErrAlreadyInvited     = errors.New("already_invited")      // 409: the email has an open invitation on this line
	ErrSeatNotInvited     = errors.New("seat_not_invited")     // 409: resend or revoke of a seat nobody is invited to
	ErrInvitationNotFound = errors.New("invitation_not_found") // 404: no invitation has this token
	ErrInvitationExpired  = errors.New("invitation_expired")   // 410: the token's time is up
	ErrInvitationUsed     = errors.New("invitation_used")      // 410: the invitation was claimed already
	ErrInvitationEnded    = errors.New("invitation_ended")     // 410: resent, revoked, or its seat was taken away

	// ErrUnknownUser is a request naming a user the customer does not have.
	ErrUnknownUser = errors.New("user_not_found")
)

// ruleError is a broken rule: its message is one sentence for the person
// who asked, in their ids, and errors.Is finds its sentinel.
type ruleError struct {
	rule error
	msg  string
}

func (e *ruleError) Error() string { return e.msg }
func (e *ruleError) Unwrap() error { return e.rule }

func broke(rule error, format string, args ...any) error {
	return &ruleError{rule: rule, msg: fmt.Sprintf(format, args...)}
}

// assignmentRules are the outcomes of a seat request that retrying cannot
// change while the state stays as it is.
var assignmentRules = []error{ErrUserDeactivated, ErrCustomerMismatch, ErrUserAlreadySeated,
	ErrSeatOccupied, ErrNoFreeSeat, ErrOrderCanceled, ErrSeatNotFound}

// Rule returns the sentinel of the seat rule err breaks, or nil when err
// is no broken rule (a failure to retry, or a dependency not there yet).
func Rule(err error) error {
	for _, rule := range assignmentRules {
		if errors.Is(err, rule) {
			return rule
		}
	}
	return nil
}

// IsRuleError reports whether err is a request that breaks a seat rule: it
// can never succeed as it stands, so it is an outcome to record, not a
// failure to retry.
func IsRuleError(err error) bool { return Rule(err) != nil }
