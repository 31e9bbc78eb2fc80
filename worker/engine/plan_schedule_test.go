package engine

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func idsOfViews(seats []SeatView) []string { return viewIDs(seats) }

// scheduleSeats: two free seats (f1 older than f2), two invited (i1 then
// i2), three assigned (a1, a2, a3 in the order they were assigned).
func scheduleSeats() []SeatView {
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	return []SeatView{
		{ID: "f1", Status: SeatUnassigned, CreatedAt: at(1)},
		{ID: "f2", Status: SeatUnassigned, CreatedAt: at(2)},
		{ID: "i1", Status: SeatInvited, CreatedAt: at(0), OccupiedAt: at(10)},
		{ID: "i2", Status: SeatInvited, CreatedAt: at(0), OccupiedAt: at(11)},
		{ID: "a1", Status: SeatAssigned, UserID: "u1", CreatedAt: at(0), OccupiedAt: at(20)},
		{ID: "a2", Status: SeatAssigned, UserID: "u2", CreatedAt: at(0), OccupiedAt: at(21)},
		{ID: "a3", Status: SeatAssigned, UserID: "u3", CreatedAt: at(0), OccupiedAt: at(22)},
	}
}

func TestWantMarks(t *testing.T) {
	t.Parallel()
	three, ten := 3, 10
	for _, tc := range []struct {
		live      int
		scheduled *int
		active    bool
		want      int
	}{
		{7, &three, true, 4}, {7, &ten, true, 0}, {7, nil, true, 0}, {7, &three, false, 0},
	} {
		if got := WantMarks(tc.live, tc.scheduled, tc.active); got != tc.want {
			t.Errorf("WantMarks(%d, %v, %v) = %d, want %d", tc.live, tc.scheduled, tc.active, got, tc.want)
		}
	}
}

// Choosing pending removals follows rule 6: unassigned newest first, then
// invited newest first, then assigned most recently assigned first; fewer
// marks unmark the seats rule 6 would retire last.
func TestPlanMarksChoosesByRule6(t *testing.T) {
	t.Parallel()
	seats := scheduleSeats()
	for _, tc := range []struct {
		want int
		mark []string
	}{
		{1, []string{"f2"}},
		{3, []string{"f2", "f1", "i2"}},
		{5, []string{"f2", "f1", "i2", "i1", "a3"}},
		{7, []string{"f2", "f1", "i2", "i1", "a3", "a2", "a1"}},
		{9, []string{"f2", "f1", "i2", "i1", "a3", "a2", "a1"}}, // fewer candidates than marks: all of them
		{0, nil},
	} {
		mark, unmark := PlanMarks(tc.want, nil, seats)
		if got := idsOfViews(mark); !slices.Equal(got, tc.mark) || unmark != nil {
			t.Errorf("PlanMarks(%d) = mark %v unmark %v, want mark %v", tc.want, got, idsOfViews(unmark), tc.mark)
		}
	}
	// Two marked already (f2 and a3): one more is the next by rule 6 that is unmarked.
	marked := []SeatView{seats[1], seats[6]}
	mark, _ := PlanMarks(3, marked, seats)
	if got := idsOfViews(mark); !slices.Equal(got, []string{"f1"}) {
		t.Errorf("third mark = %v, want [f1]", got)
	}
	// Fewer: the marks rule 6 would retire last go first.
	_, unmark := PlanMarks(1, []SeatView{seats[6], seats[1], seats[3]}, nil)
	if got := idsOfViews(unmark); !slices.Equal(got, []string{"i2", "a3"}) {
		t.Errorf("unmark = %v, want [i2 a3]", got)
	}
	// The caller's slices are not reordered.
	if seats[0].ID != "f1" || seats[6].ID != "a3" {
		t.Error("PlanMarks reordered its input")
	}
}

// Moving marks keeps the count, names only live seats of the line once
// each, and needs a schedule.
func TestPlanMoveMarks(t *testing.T) {
	t.Parallel()
	seats := scheduleSeats()
	marked := []SeatView{seats[1], seats[6]} // f2, a3
	mark, unmark, err := PlanMoveMarks(true, marked, []string{"a3", "a1"}, []SeatView{seats[6], seats[4]})
	if err != nil || !slices.Equal(mark, []string{"a1"}) || !slices.Equal(unmark, []string{"f2"}) {
		t.Errorf("move = mark %v unmark %v %v, want mark [a1] unmark [f2]", mark, unmark, err)
	}
	mark, unmark, err = PlanMoveMarks(true, marked, []string{"a3", "f2"}, []SeatView{seats[6], seats[1]})
	if err != nil || mark != nil || unmark != nil {
		t.Errorf("same marks = mark %v unmark %v %v, want nothing to do", mark, unmark, err)
	}
	for _, tc := range []struct {
		name      string
		scheduled bool
		ids       []string
		found     []SeatView
		want      error
	}{
		{"no schedule", false, nil, nil, ErrNoSchedule},
		{"too few", true, []string{"a1"}, seats[4:5], ErrMarkCount},
		{"too many", true, []string{"a1", "a2", "f1"}, seats[4:6], ErrMarkCount},
		{"not on the line", true, []string{"a1", "elsewhere"}, seats[4:5], ErrSeatNotOnLine},
		{"twice", true, []string{"a1", "a1"}, seats[4:5], ErrDuplicateSeat},
	} {
		if _, _, err := PlanMoveMarks(tc.scheduled, marked, tc.ids, tc.found); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// Retiring for a smaller quantity takes the marked seats first, then rule 6.
func TestPlanShrinkRetiresMarkedFirst(t *testing.T) {
	t.Parallel()
	seats := scheduleSeats()
	marked := []SeatView{seats[4], seats[5]} // a1, a2: an admin moved the marks there
	if got := idsOfViews(PlanShrink(2, marked, seats)); !slices.Equal(got, []string{"a2", "a1"}) {
		t.Errorf("shrink by 2 = %v, want the marked [a2 a1]", got)
	}
	if got := idsOfViews(PlanShrink(3, marked, seats)); !slices.Equal(got, []string{"a2", "a1", "f2"}) {
		t.Errorf("shrink by 3 = %v, want [a2 a1 f2]", got)
	}
	if got := idsOfViews(PlanShrink(1, marked, nil)); !slices.Equal(got, []string{"a2"}) {
		t.Errorf("shrink by 1 = %v, want [a2]", got)
	}
}

// Applying a schedule: only the schedule still recorded for that time, and
// only once it is due.
func TestScheduleDue(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC)
	later := at.Add(time.Hour)
	for _, tc := range []struct {
		name    string
		current *time.Time
		now     time.Time
		want    bool
	}{
		{"due", &at, at, true},
		{"overdue", &at, later, true},
		{"not yet", &at, at.Add(-time.Second), false},
		{"cleared (applied, or a later event dropped it)", nil, later, false},
		{"replaced by another date", &later, later, false},
	} {
		if got := ScheduleDue(tc.current, at, tc.now); got != tc.want {
			t.Errorf("%s: ScheduleDue = %v, want %v", tc.name, got, tc.want)
		}
	}
}
