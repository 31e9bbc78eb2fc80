package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
	"github.com/seatsync/seatsync/worker/engine"
)

// The model test: random sequences of quantity changes, user upserts and
// deactivations, group joins and leaves, assigns and unassigns, delivered
// twice each in shuffled order by eight goroutines to a receiver, and
// applied by two separate worker processes against one database. After
// every run each invariant of SPEC §1 holds, and the state the events
// determine equals the state of the same events applied once, in order.

var modelUsers = []string{"u1", "u2", "u3", "u4", "u5", "u6"}

type modelFlavor struct {
	name   string
	manual bool // seat requests by hand instead of automatic seating
}

// modelEvents makes a scenario. Automatic seating maps group "eng" to
// product "pro" and every active user to "addon".
func modelEvents(seed uint64, f modelFlavor) []event {
	r := rand.New(rand.NewPCG(seed, 99))
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var evs []event
	add := func(typ, data string) {
		evs = append(evs, event{id: fmt.Sprintf("evt_%d_%d", seed, len(evs)), typ: typ, at: base.Add(time.Duration(len(evs)) * time.Second), data: data})
	}
	order := func(status string) {
		add("order.upserted", fmt.Sprintf(`{"external_id":"sub_1","customer_external_id":"acme","status":%q,"lines":[{"product_id":"pro","quantity":%d},{"product_id":"addon","quantity":%d}]}`,
			status, r.IntN(5), r.IntN(4)))
	}
	user := func(u string) {
		var groups []string
		for _, g := range []string{"eng", "ops"} {
			if r.IntN(2) == 0 {
				groups = append(groups, `"`+g+`"`)
			}
		}
		status := "active"
		if r.IntN(8) == 0 {
			status = "deactivated"
		}
		add("user.upserted", fmt.Sprintf(`{"customer_external_id":"acme","external_id":%q,"email":"%s@acme.test","status":%q,"groups":[%s]}`,
			u, u, status, strings.Join(groups, ",")))
	}
	order("active")
	for _, u := range modelUsers {
		user(u)
	}
	for range 30 {
		u := modelUsers[r.IntN(len(modelUsers))]
		switch n := r.IntN(10); {
		case n < 2:
			order("active")
		case n < 6:
			user(u)
		case n < 7:
			add("user.deactivated", fmt.Sprintf(`{"customer_external_id":"acme","external_id":%q}`, u))
		case f.manual && n < 9:
			add("seat.assign_requested", fmt.Sprintf(`{"order_external_id":"sub_1","product_id":"pro","user_external_id":%q}`, u))
		case f.manual:
			add("seat.unassign_requested", fmt.Sprintf(`{"order_external_id":"sub_1","product_id":"pro","user_external_id":%q}`, u))
		default:
			user(u)
		}
	}
	return evs
}

// modelState is what the events determine whatever their order: the order,
// the users and, with automatic seating, who (or how many) hold seats.
func modelState(t *testing.T, db *storage.DB, f modelFlavor) string {
	t.Helper()
	ctx := context.Background()
	o, err := db.OrderByExternalID(ctx, "sub_1")
	if err != nil {
		t.Fatal(err)
	}
	state := "order " + o.Status
	quantity := map[string]int{}
	for _, l := range o.Lines {
		quantity[l.ProductID] = l.Quantity
		state += fmt.Sprintf(" %s=%d", l.ProductID, l.Quantity)
	}
	entitled := map[string][]string{}
	for _, id := range modelUsers {
		u, err := db.UserByExternalID(ctx, "acme", id)
		if err != nil {
			t.Fatal(err)
		}
		state += fmt.Sprintf("\n%s %s %v", id, u.Status, u.Groups)
		if u.Status == storage.UserActive {
			entitled["addon"] = append(entitled["addon"], id)
			if slices.Contains(u.Groups, "eng") {
				entitled["pro"] = append(entitled["pro"], id)
			}
		}
	}
	if f.manual || o.Status != storage.OrderActive {
		return state
	}
	seats, err := db.OrderSeats(ctx, "sub_1", storage.SeatFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, product := range []string{"addon", "pro"} {
		var holders []string
		for _, s := range seats {
			if s.ProductID == product && s.UserExternalID != "" {
				holders = append(holders, s.UserExternalID)
			}
		}
		slices.Sort(holders)
		// With enough seats everyone entitled sits; with too few, who sits
		// depends on arrival, but never how many.
		if quantity[product] >= len(entitled[product]) {
			state += fmt.Sprintf("\n%s holders %v", product, holders)
		} else {
			state += fmt.Sprintf("\n%s %d holders", product, len(holders))
		}
	}
	return state
}

func (s *stack) setAutoAssign(f modelFlavor) {
	s.t.Helper()
	if f.manual {
		return
	}
	ctx := context.Background()
	err := s.d.db.InTx(ctx, func(tx *storage.Tx) error {
		e := engine.New()
		if err := e.SetAutoAssign(ctx, tx, "acme", "pro", "eng"); err != nil {
			return err
		}
		return e.SetAutoAssign(ctx, tx, "acme", "addon", "")
	})
	if err != nil {
		s.t.Fatal(err)
	}
}

// startWorkerProcess runs `seatsync worker` as a separate process on the
// stack's database and Redis until the test ends (or the test kills it).
func (s *stack) startWorkerProcess(extra ...string) *exec.Cmd {
	s.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = override(os.Environ(), override(baseEnviron(s.dbURL, s.redis), append([]string{
		workerProcessVar + "=1", "SEATSYNC_WORKER_ADDR=127.0.0.1:0", "SEATSYNC_LOG_LEVEL=warn",
	}, extra...)))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); (err != nil && cmd.ProcessState.Success()) || s.t.Failed() {
			s.t.Logf("worker process (%v):\n%s", err, out.String())
		}
	})
	return cmd
}

// TestModelAnyOrderAnyWorker does not run in parallel: its two worker
// processes hold as many Postgres connections as a few other tests together.
func TestModelAnyOrderAnyWorker(t *testing.T) {
	for _, f := range []modelFlavor{{name: "automatic"}, {name: "manual", manual: true}} {
		for seed := range uint64(2) {
			evs := modelEvents(seed, f)
			var want string
			t.Run(fmt.Sprintf("%s seed %d in order", f.name, seed), func(t *testing.T) {
				s := newStack(t)
				s.setAutoAssign(f)
				s.startWorker()
				for _, e := range evs {
					s.send(e)
					s.waitProcessed("crm", e.id)
				}
				s.checkInvariants()
				want = modelState(t, s.d.db, f)
			})
			t.Run(fmt.Sprintf("%s seed %d shuffled, two worker processes", f.name, seed), func(t *testing.T) {
				s := newStack(t)
				s.setAutoAssign(f)
				s.startWorkerProcess()
				s.startWorkerProcess()
				deliveries := append(slices.Clone(evs), evs...)
				rand.New(rand.NewPCG(seed, 5)).Shuffle(len(deliveries), func(i, j int) {
					deliveries[i], deliveries[j] = deliveries[j], deliveries[i]
				})
				work := make(chan event)
				var wg sync.WaitGroup
				for range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for e := range work {
							s.send(e)
						}
					}()
				}
				for _, e := range deliveries {
					work <- e
				}
				close(work)
				wg.Wait()
				for _, e := range evs {
					s.waitProcessed("crm", e.id)
				}
				s.checkInvariants()
				if got := modelState(t, s.d.db, f); got != want {
					t.Errorf("state after shuffled delivery:\n%s\nwant (in order):\n%s", got, want)
				}
			})
		}
	}
}

func (s *stack) checkInvariants() {
	s.t.Helper()
	storagetest.CheckInvariants(s.t, s.d.db)
}
