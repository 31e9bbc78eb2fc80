package engine

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var planT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func hour(n int) time.Time { return planT0.Add(time.Duration(n) * time.Hour) }

func free(id string, created int) SeatView {
	return SeatView{ID: id, Status: SeatUnassigned, CreatedAt: hour(created)}
}

func held(id, user string, created, occupied int) SeatView {
	return SeatView{ID: id, Status: SeatAssigned, UserID: user, CreatedAt: hour(created), OccupiedAt: hour(occupied)}
}

func invited(id string, created, occupied int) SeatView {
	return SeatView{ID: id, Status: SeatInvited, CreatedAt: hour(created), OccupiedAt: hour(occupied)}
}

func seatIDs(seats []SeatView) []string {
	ids := []string{}
	for _, s := range seats {
		ids = append(ids, s.ID)
	}
	return ids
}

func TestPlanResize(t *testing.T) {
	t.Parallel()
	// Input deliberately shuffled; creation and occupation times disagree so
	// the test catches ranking occupied seats by the wrong clock.
	mixed := []SeatView{
		held("a1", "u1", 10, 2), free("u1", 1), invited("i1", 10, 5), held("a3", "u3", 0, 9),
		free("u3", 3), invited("i3", 0, 7), held("a2", "u2", 0, 9), free("u2", 3), invited("i2", 1, 7),
	}
	tests := []struct {
		name       string
		seats      []SeatView
		quantity   int
		wantCreate int
		wantRetire []string
	}{
		{"grow from zero", nil, 3, 3, []string{}},
		{"grow", []SeatView{held("a", "u", 0, 0), free("b", 1)}, 5, 3, []string{}},
		{"no change", mixed, 9, 0, []string{}},
		{"shrink with only unassigned", []SeatView{free("x", 1), free("y", 3), free("z", 2)}, 1, 0, []string{"y", "z"}},
		{"shrink through every status, ties by ID desc", mixed, 1, 0,
			[]string{"u3", "u2", "u1", "i3", "i2", "i1", "a3", "a2"}},
		{"shrink stops inside invited", mixed, 5, 0, []string{"u3", "u2", "u1", "i3"}},
		{"shrink to zero", mixed, 0, 0, []string{"u3", "u2", "u1", "i3", "i2", "i1", "a3", "a2", "a1"}},
		{"negative quantity is zero", []SeatView{free("x", 1), held("y", "u", 0, 0)}, -4, 0, []string{"x", "y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := slices.Clone(tt.seats)
			create, retire := PlanResize(len(tt.seats), tt.seats, tt.quantity)
			if create != tt.wantCreate || !slices.Equal(seatIDs(retire), tt.wantRetire) {
				t.Errorf("PlanResize = %d, %v; want %d, %v", create, seatIDs(retire), tt.wantCreate, tt.wantRetire)
			}
			if !slices.Equal(tt.seats, before) {
				t.Error("PlanResize reordered the caller's seats")
			}
		})
	}
}

// Whatever the seats, the line ends at quantity and nobody is displaced
// while a less occupied seat survives.
func TestPlanResizeProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	statuses := []string{SeatUnassigned, SeatInvited, SeatAssigned}
	for iter := range 3000 {
		seats := make([]SeatView, rng.IntN(12))
		for i := range seats {
			// Few distinct hours, so ties are common.
			s := SeatView{ID: string(rune('a' + i)), Status: statuses[rng.IntN(3)], CreatedAt: hour(rng.IntN(4))}
			if s.Status != SeatUnassigned {
				s.OccupiedAt = hour(rng.IntN(4))
			}
			seats[i] = s
		}
		q := rng.IntN(16) - 3
		create, retire := PlanResize(len(seats), seats, q)
		if create > 0 && len(retire) > 0 || create < 0 {
			t.Fatalf("#%d: create %d and retire %d", iter, create, len(retire))
		}
		if got := len(seats) + create - len(retire); got != max(q, 0) {
			t.Fatalf("#%d: %d seats left, want %d", iter, got, max(q, 0))
		}
		retired := map[string]bool{}
		worst := -1
		for _, r := range retire {
			if retired[r.ID] || !slices.Contains(seats, r) {
				t.Fatalf("#%d: retired %s twice or from nowhere", iter, r.ID)
			}
			retired[r.ID] = true
			worst = max(worst, retireRank(r.Status))
		}
		for _, s := range seats {
			if !retired[s.ID] && retireRank(s.Status) < worst {
				t.Fatalf("#%d: kept %s seat %s while retiring a more occupied one", iter, s.Status, s.ID)
			}
		}
		reversed := slices.Clone(seats)
		slices.Reverse(reversed)
		_, again := PlanResize(len(reversed), reversed, q)
		if !slices.Equal(seatIDs(again), seatIDs(retire)) {
			t.Fatalf("#%d: plan depends on input order: %v vs %v", iter, seatIDs(again), seatIDs(retire))
		}
		// What storage reads instead of the pool: the first n of each
		// status in retirement order. It must plan the same.
		_, again = PlanResize(len(seats), retirementCandidates(seats, len(seats)-max(q, 0)), q)
		if !slices.Equal(seatIDs(again), seatIDs(retire)) {
			t.Fatalf("#%d: plan from the candidates differs from the plan from the pool: %v vs %v", iter, seatIDs(again), seatIDs(retire))
		}
	}
}

// retirementCandidates is what storage.RetirementCandidates reads: up to n
// seats of each status, each in retirement order.
func retirementCandidates(seats []SeatView, n int) []SeatView {
	if n <= 0 {
		return nil
	}
	ordered := slices.Clone(seats)
	slices.SortFunc(ordered, compareRetirement)
	var out []SeatView
	taken := map[string]int{}
	for _, s := range ordered {
		if taken[s.Status] < n {
			taken[s.Status]++
			out = append(out, s)
		}
	}
	return out
}

func TestPlanFill(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		seats   []SeatView
		waiting []string
		want    []Fill
	}{
		{"FIFO into oldest seats", []SeatView{free("s2", 2), free("s1", 1), free("s3", 3)}, []string{"w1", "w2", "w3"},
			[]Fill{{"s1", "w1"}, {"s2", "w2"}, {"s3", "w3"}}},
		{"fewer seats than waiting", []SeatView{free("sb", 1), free("sa", 1)}, []string{"w1", "w2", "w3"},
			[]Fill{{"sa", "w1"}, {"sb", "w2"}}},
		{"more seats than waiting", []SeatView{free("s1", 1), free("s2", 2)}, []string{"w1"}, []Fill{{"s1", "w1"}}},
		{"skip seated and duplicates", []SeatView{held("s0", "w1", 0, 0), free("s1", 1), free("s2", 2)},
			[]string{"w1", "w2", "w2", "", "w3"}, []Fill{{"s1", "w2"}, {"s2", "w3"}}},
		{"ignore occupied seats", []SeatView{held("s0", "x", 0, 0), invited("s1", 1, 1), free("s2", 2)},
			[]string{"w1", "w2"}, []Fill{{"s2", "w1"}}},
		{"nobody waiting", []SeatView{free("s1", 1)}, nil, nil},
		{"no free seat", []SeatView{held("s0", "x", 0, 0)}, []string{"w1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := PlanFill(tt.seats, tt.waiting); !slices.Equal(got, tt.want) {
				t.Errorf("PlanFill = %v, want %v", got, tt.want)
			}
		})
	}
}

var (
	alice = UserView{ID: "alice", CustomerID: "c1", Status: "active"}
	bob   = UserView{ID: "bob", CustomerID: "c1", Status: "active"}
	carol = UserView{ID: "carol", CustomerID: "c1", Status: "active"}
	erin  = UserView{ID: "erin", CustomerID: "c1", Status: "active"}
	dave  = UserView{ID: "dave", CustomerID: "c1", Status: "deactivated"}
)

func TestPlanAssign(t *testing.T) {
	t.Parallel()
	seats := []SeatView{free("s1", 2), free("s2", 1), held("s3", "bob", 0, 0), invited("s4", 3, 3)}
	full := []SeatView{held("s3", "bob", 0, 0), invited("s4", 3, 3)}
	stranger := UserView{ID: "zed", CustomerID: "c2", Status: "deactivated"}
	tests := []struct {
		name     string
		order    string
		user     UserView
		seatID   string
		seats    []SeatView
		wantSeat string
		wantNoop bool
		wantErr  error
		wantMsg  string
	}{
		{name: "canceled order", order: "canceled", user: alice, seatID: "s1", wantErr: ErrOrderCanceled},
		{name: "canceled wins over every user fault", order: "canceled", user: stranger, seatID: "nope", wantErr: ErrOrderCanceled},
		{name: "deactivated user", user: dave, seatID: "s1", wantErr: ErrUserDeactivated},
		{name: "deactivated wins over mismatch", user: stranger, seatID: "s1", wantErr: ErrUserDeactivated},
		{name: "customer mismatch", user: UserView{ID: "zed", CustomerID: "c2", Status: "active"}, seatID: "nope", wantErr: ErrCustomerMismatch},
		{name: "customer unknown", user: UserView{ID: "zed", Status: "active"}, wantErr: ErrCustomerMismatch},
		{name: "seat not found", user: bob, seatID: "nope", wantErr: ErrSeatNotFound, wantMsg: "nope"},
		{name: "own seat is a noop", user: bob, seatID: "s3", wantSeat: "s3", wantNoop: true},
		{name: "any seat when seated is a noop", user: bob, wantSeat: "s3", wantNoop: true},
		{name: "seated elsewhere", user: bob, seatID: "s1", wantErr: ErrUserAlreadySeated, wantMsg: "holds seat s3"},
		{name: "seated wins over occupied", user: bob, seatID: "s4", wantErr: ErrUserAlreadySeated},
		{name: "seat held by another", user: alice, seatID: "s3", wantErr: ErrSeatOccupied, wantMsg: "seat s3"},
		{name: "invited seat", user: alice, seatID: "s4", wantErr: ErrSeatOccupied},
		{name: "named free seat", user: alice, seatID: "s1", wantSeat: "s1"},
		{name: "oldest free seat", user: alice, wantSeat: "s2"},
		{name: "oldest free seat, tie by ID", user: alice, seats: []SeatView{free("fb", 1), free("fa", 1), free("f0", 2)}, wantSeat: "fa"},
		{name: "no free seat", user: alice, seats: full, wantErr: ErrNoFreeSeat},
		{name: "invitee wants another seat", user: alice, wantErr: ErrUserAlreadySeated,
			seats: []SeatView{free("s1", 1), {ID: "s9", Status: SeatInvited, UserID: "alice"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := AssignRequest{OrderStatus: cmp.Or(tt.order, "active"), OrderCustomerID: "c1",
				User: tt.user, SeatID: tt.seatID, Seats: seats}
			if tt.seats != nil {
				req.Seats = tt.seats
			}
			seat, noop, err := PlanAssign(req)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("PlanAssign error = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if seat != tt.wantSeat || noop != tt.wantNoop {
				t.Errorf("PlanAssign = %q, %v; want %q, %v", seat, noop, tt.wantSeat, tt.wantNoop)
			}
		})
	}
}

func TestPlanBatch(t *testing.T) {
	t.Parallel()
	seats := []SeatView{held("s1", "alice", 0, 0), held("s2", "bob", 0, 1), free("s3", 1), invited("s4", 1, 1), free("s5", 2)}
	put := func(seat string, u UserView) BatchEntry { return BatchEntry{SeatID: seat, User: &u} }
	drop := func(seat string) BatchEntry { return BatchEntry{SeatID: seat} }
	tests := []struct {
		name      string
		order     string
		entries   []BatchEntry
		wantSteps []BatchStep
		wantErrs  map[int]error
	}{
		{name: "assign", entries: []BatchEntry{put("s3", carol)}, wantSteps: []BatchStep{{"s3", "carol", false}}},
		{name: "any free seat", entries: []BatchEntry{put("", carol), put("", erin)},
			wantSteps: []BatchStep{{"s3", "carol", false}, {"s5", "erin", false}}},
		{name: "all or nothing, every failure reported",
			entries:  []BatchEntry{put("s3", carol), put("s5", dave), drop("s9"), put("s5", carol), put("s5", erin)},
			wantErrs: map[int]error{1: ErrUserDeactivated, 2: ErrSeatNotFound, 3: ErrUserAlreadySeated}},
		{name: "unassign then reassign the seat", entries: []BatchEntry{drop("s1"), put("s1", carol)},
			wantSteps: []BatchStep{{"s1", "", false}, {"s1", "carol", false}}},
		{name: "unassign then seat the user elsewhere", entries: []BatchEntry{drop("s1"), put("s3", alice)},
			wantSteps: []BatchStep{{"s1", "", false}, {"s3", "alice", false}}},
		{name: "swap", entries: []BatchEntry{drop("s1"), drop("s2"), put("s1", bob), put("s2", alice)},
			wantSteps: []BatchStep{{"s1", "", false}, {"s2", "", false}, {"s1", "bob", false}, {"s2", "alice", false}}},
		{name: "swap without unassigning", entries: []BatchEntry{put("s1", bob), put("s2", alice)},
			wantErrs: map[int]error{0: ErrUserAlreadySeated, 1: ErrUserAlreadySeated}},
		{name: "same seat twice, second sees the first", entries: []BatchEntry{put("s3", carol), put("s3", erin)},
			wantErrs: map[int]error{1: ErrSeatOccupied}},
		{name: "same seat and user twice is a noop", entries: []BatchEntry{put("s3", carol), put("s3", carol)},
			wantSteps: []BatchStep{{"s3", "carol", false}, {"s3", "carol", true}}},
		{name: "user seated twice", entries: []BatchEntry{put("s3", carol), put("s5", carol)},
			wantErrs: map[int]error{1: ErrUserAlreadySeated}},
		{name: "user moved within the batch", entries: []BatchEntry{put("s3", carol), drop("s3"), put("s5", carol)},
			wantSteps: []BatchStep{{"s3", "carol", false}, {"s3", "", false}, {"s5", "carol", false}}},
		{name: "unassign a free seat is a noop", entries: []BatchEntry{drop("s3")}, wantSteps: []BatchStep{{"s3", "", true}}},
		{name: "invited seat is not assigned over", entries: []BatchEntry{put("s4", carol)},
			wantErrs: map[int]error{0: ErrSeatOccupied}},
		{name: "invited seat freed then taken", entries: []BatchEntry{drop("s4"), put("s4", erin)},
			wantSteps: []BatchStep{{"s4", "", false}, {"s4", "erin", false}}},
		{name: "canceled order only frees", order: "canceled", entries: []BatchEntry{drop("s1"), drop("s4")},
			wantSteps: []BatchStep{{"s1", "", false}, {"s4", "", false}}},
		{name: "canceled order refuses assigns", order: "canceled", entries: []BatchEntry{drop("s1"), put("s1", carol)},
			wantErrs: map[int]error{1: ErrOrderCanceled}},
		{name: "empty batch", wantSteps: []BatchStep{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := slices.Clone(seats)
			steps, errs := PlanBatch(cmp.Or(tt.order, "active"), "c1", seats, tt.entries)
			if !slices.Equal(steps, tt.wantSteps) || (steps == nil) != (tt.wantSteps == nil) {
				t.Errorf("steps = %v, want %v", steps, tt.wantSteps)
			}
			if len(errs) != len(tt.wantErrs) {
				t.Fatalf("errs = %v, want %v", errs, tt.wantErrs)
			}
			for i, want := range tt.wantErrs {
				if !errors.Is(errs[i], want) {
					t.Errorf("entry %d: error %v, want %v", i, errs[i], want)
				}
			}
			if !slices.Equal(seats, before) {
				t.Error("PlanBatch changed the caller's seats")
			}
		})
	}
}
