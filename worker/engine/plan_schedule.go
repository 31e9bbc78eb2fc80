package engine

import (
	"slices"
	"time"
)

// Planners for scheduled reductions (SPEC §1, seats over time): which
// seats carry pending_removal, how an admin moves the marks, and what
// applying a schedule does. Like PlanResize they see only the few seats a
// decision needs, never a whole pool.

// WantMarks is how many of a line's live seats a scheduled quantity marks
// pending_removal: live − scheduled, at least 0; none without a schedule
// (scheduled nil) or on an order that is not active. A cancel_at marks no
// row: every live seat of the order counts as pending removal instead.
func WantMarks(live int, scheduled *int, active bool) int {
	if scheduled == nil || !active {
		return 0
	}
	return max(live-*scheduled, 0)
}

// PlanMarks brings a line's marks to want. marked are its marked seats —
// all of them when there are more than want, since then the ones rule 6
// would retire last lose their mark; candidates are unmarked seats among
// which rule 6 picks the ones to mark when there are fewer
// (storage.MarkCandidates: of each status, the first want − len(marked) in
// rule 6 order). Seats in candidates that are marked are skipped.
func PlanMarks(want int, marked, candidates []SeatView) (mark, unmark []SeatView) {
	want = max(want, 0)
	if len(marked) > want {
		ordered := slices.Clone(marked)
		slices.SortFunc(ordered, compareRetirement)
		return nil, ordered[want:]
	}
	isMarked := make(map[string]bool, len(marked))
	for _, s := range marked {
		isMarked[s.ID] = true
	}
	ordered := slices.Clone(candidates)
	slices.SortFunc(ordered, compareRetirement)
	for _, s := range ordered {
		if len(marked)+len(mark) == want {
			break
		}
		if !isMarked[s.ID] {
			isMarked[s.ID] = true
			mark = append(mark, s)
		}
	}
	return mark, nil
}

// PlanShrink picks the n seats a smaller quantity retires: marked seats
// first (they were chosen when the reduction was scheduled, or moved there
// by an admin), in rule 6 order, then the other candidates in rule 6
// order (PlanResize's). Fewer seats than n retire all of them.
func PlanShrink(n int, marked, candidates []SeatView) []SeatView {
	ordered := slices.Clone(marked)
	slices.SortFunc(ordered, compareRetirement)
	if len(ordered) >= n {
		return ordered[:max(n, 0)]
	}
	picked := make(map[string]bool, n)
	for _, s := range ordered {
		picked[s.ID] = true
	}
	rest := slices.Clone(candidates)
	slices.SortFunc(rest, compareRetirement)
	for _, s := range rest {
		if len(ordered) == n {
			break
		}
		if !picked[s.ID] {
			picked[s.ID] = true
			ordered = append(ordered, s)
		}
	}
	return ordered
}

// PlanMoveMarks moves a line's marks to the seats requested, within the
// same count. marked are the line's marked seats (all of them); found are
// the live seats of the line among the requested ids. It returns the seats
// to mark and to unmark, or the broken rule: ErrNoSchedule when the line
// has no scheduled reduction (pending is how many seats it marks),
// ErrMarkCount when the count differs, ErrSeatNotOnLine for an id that is no
// live seat of the line, ErrDuplicateSeat for an id given twice.
func PlanMoveMarks(scheduled bool, marked []SeatView, requested []string, found []SeatView) (mark, unmark []string, err error) {
	if !scheduled {
		return nil, nil, ErrNoSchedule
	}
	if len(requested) != len(marked) {
		return nil, nil, ErrMarkCount
	}
	live := make(map[string]bool, len(found))
	for _, s := range found {
		live[s.ID] = true
	}
	want := make(map[string]bool, len(requested))
	for _, id := range requested {
		if want[id] {
			return nil, nil, ErrDuplicateSeat
		}
		if !live[id] {
			return nil, nil, ErrSeatNotOnLine
		}
		want[id] = true
	}
	has := make(map[string]bool, len(marked))
	for _, s := range marked {
		has[s.ID] = true
		if !want[s.ID] {
			unmark = append(unmark, s.ID)
		}
	}
	for _, id := range requested {
		if !has[id] {
			mark = append(mark, id)
		}
	}
	return mark, unmark, nil
}

// ScheduleDue reports whether a scheduled change recorded for `at` still
// stands (the line or order carries the same time, current) and is due
// at now: what applying checks under the locks, so that a change applies
// exactly once however many tasks and sweeps race for it, and never one
// that a later event replaced or cleared.
func ScheduleDue(current *time.Time, at, now time.Time) bool {
	return current != nil && current.Equal(at) && !at.After(now)
}
