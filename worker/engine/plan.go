package engine

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// The planners below decide seat changes over plain values so the rules of
// SPEC §1 can be table-tested without a database; storage applies their
// plans to rows it holds FOR UPDATE.

// Seat statuses.
const (
	SeatUnassigned = "unassigned"
	SeatAssigned   = "assigned"
	SeatInvited    = "invited"
)

// SeatView is one non-retired seat of an order line, as the planner sees it.
type SeatView struct {
	ID         string
	Status     string    // SeatUnassigned, SeatAssigned or SeatInvited
	UserID     string    // the holder when assigned, else ""
	CreatedAt  time.Time // when the seat was created
	OccupiedAt time.Time // when the current assignment or invitation began; zero when unassigned
}

// occupiedBy reports whether the seat counts against the user's one seat
// per line. An invited seat counts too when the caller knows its invitee, so
// an invitation can never become a second seat for the same user.
func (s SeatView) occupiedBy(userID string) bool {
	return userID != "" && s.Status != SeatUnassigned && s.UserID == userID
}

// PlanResize decides how a line of live seats goes to quantity: how many
// seats to create, or which to retire, in SPEC §1 rule 6 order: unassigned
// seats first (newest CreatedAt first), then invited (newest OccupiedAt
// first), then assigned (most recently OccupiedAt first), ties broken by ID
// descending so the plan is deterministic. candidates are the seats it may
// retire; they need not be the whole line, only, of each status, the first
// live-quantity seats in that order (storage.RetirementCandidates), so the
// plan costs what the change costs, not what the pool holds. quantity < 0
// is treated as 0. Exactly one of create/len(retire) is non-zero, or both
// zero; fewer candidates than the shrink needs retire all of them.
func PlanResize(live int, candidates []SeatView, quantity int) (create int, retire []SeatView) {
	quantity = max(quantity, 0)
	if quantity >= live {
		return quantity - live, nil
	}
	// Sort a copy: the caller's slice is its view of the rows and must not
	// be reordered under it.
	ordered := slices.Clone(candidates)
	slices.SortFunc(ordered, compareRetirement)
	return 0, ordered[:min(live-quantity, len(ordered))]
}

// retireRank puts the seats whose loss hurts least first. An unknown status
// ranks with assigned: when unsure whether someone sits there, keep it.
func retireRank(status string) int {
	switch status {
	case SeatUnassigned:
		return 0
	case SeatInvited:
		return 1
	default:
		return 2
	}
}

func compareRetirement(a, b SeatView) int {
	if c := cmp.Compare(retireRank(a.Status), retireRank(b.Status)); c != 0 {
		return c
	}
	// Newest first: an empty seat's age is its creation, an occupied seat's
	// is how long its holder has had it.
	at, bt := a.OccupiedAt, b.OccupiedAt
	if a.Status == SeatUnassigned {
		at, bt = a.CreatedAt, b.CreatedAt
	}
	if c := bt.Compare(at); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// compareAge orders seats oldest first so waiting users and any-seat
// requests land on the same seat whichever worker plans them.
func compareAge(a, b SeatView) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// freeSeats returns the unassigned seats, oldest first.
func freeSeats(seats []SeatView) []SeatView {
	var free []SeatView
	for _, s := range seats {
		if s.Status == SeatUnassigned {
			free = append(free, s)
		}
	}
	slices.SortFunc(free, compareAge)
	return free
}

// Fill is one waiting user seated in one free seat.
type Fill struct{ SeatID, UserID string }

// PlanFill seats waiting users, first come first served, in the free
// (unassigned) seats, oldest seat (CreatedAt, then ID) first. waiting is in
// FIFO order; users already holding a seat in `seats` are skipped (they do
// not need one), as are duplicates in waiting. Occupied seats are ignored.
func PlanFill(seats []SeatView, waiting []string) []Fill {
	free := freeSeats(seats)
	if len(free) == 0 {
		return nil
	}
	seated := make(map[string]bool, len(seats)+len(waiting))
	for _, s := range seats {
		if s.Status != SeatUnassigned && s.UserID != "" {
			seated[s.UserID] = true
		}
	}
	var fills []Fill
	for _, u := range waiting {
		if len(fills) == len(free) {
			break
		}
		// An empty ID is nobody; seating it would create a phantom holder.
		if u == "" || seated[u] {
			continue
		}
		seated[u] = true
		fills = append(fills, Fill{SeatID: free[len(fills)].ID, UserID: u})
	}
	return fills
}
