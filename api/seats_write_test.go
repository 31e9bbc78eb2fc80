package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/seatsync/seatsync/storage/storagetest"
)

// newSeatsAPI makes, through the API, customer acme with users u1..uN
// (uK@acme.test), and order sub_1 of 3 "pro" seats and 1 "addon" seat. It
// returns each product's seat ids in creation order.
func newSeatsAPI(t *testing.T, users int) (*apiTest, map[string][]string) {
	t.Helper()
	e := newAPITest(t)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme", `{"name":"Acme"}`)
	for i := 1; i <= users; i++ {
		e.must(http.StatusCreated, http.MethodPut, fmt.Sprintf("/v1/customers/acme/users/u%d", i), fmt.Sprintf(`{"email":"u%d@acme.test"}`, i))
	}
	e.must(http.StatusCreated, http.MethodPut, "/v1/orders/sub_1",
		`{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":3},{"product_id":"addon","quantity":1}]}`)
	return e, seatsByProduct(t, e, "sub_1")
}

func seatsByProduct(t *testing.T, e *apiTest, order string) map[string][]string {
	t.Helper()
	seats := map[string][]string{}
	for _, s := range listData(e.must(http.StatusOK, http.MethodGet, "/v1/orders/"+order+"/seats?limit=200", "")) {
		p := s["product_id"].(string)
		seats[p] = append(seats[p], s["id"].(string))
	}
	return seats
}

// holders describes an order's seats as "seat index:holder" per product,
// "-" for a free seat, so a test can compare whole states.
func holders(t *testing.T, e *apiTest, order string, seats map[string][]string) string {
	t.Helper()
	var out []string
	for _, product := range slices.Sorted(maps.Keys(seats)) {
		for i, id := range seats[product] {
			s := e.must(http.StatusOK, http.MethodGet, "/v1/orders/"+order+"/seats/"+id, "")
			h := "-"
			if u, ok := s["user_external_id"].(string); ok {
				h = u
			}
			out = append(out, fmt.Sprintf("%s%d:%s", product, i, h))
		}
	}
	return strings.Join(out, " ")
}

func TestGetSeatAPI(t *testing.T) {
	t.Parallel()
	e, seats := newSeatsAPI(t, 1)
	e.must(http.StatusCreated, http.MethodPut, "/v1/orders/sub_2", `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":1}]}`)
	other := seatsByProduct(t, e, "sub_2")["pro"][0]
	e.must(http.StatusOK, http.MethodPut, "/v1/orders/sub_1/seats/"+seats["pro"][0], `{"user_external_id":"u1"}`)

	s := e.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_1/seats/"+seats["pro"][0], "")
	if s["id"] != seats["pro"][0] || s["order_external_id"] != "sub_1" || s["product_id"] != "pro" || s["status"] != "assigned" ||
		s["user_external_id"] != "u1" || s["user_email"] != "u1@acme.test" || s["assigned_at"] == nil || s["invited_email"] != nil {
		t.Errorf("seat = %v", s)
	}
	// Shrinking the line retires its newest free seat.
	e.must(http.StatusOK, http.MethodPut, "/v1/orders/sub_1", `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":2},{"product_id":"addon","quantity":1}]}`)
	checkErrors(t, e, []apiErrorCase{
		{name: "seat of another order", method: http.MethodGet, path: "/v1/orders/sub_1/seats/" + other, want: 404, wantCode: "seat_not_found"},
		{name: "retired seat", method: http.MethodGet, path: "/v1/orders/sub_1/seats/" + seats["pro"][2], want: 404, wantCode: "seat_not_found"},
		{name: "not a seat id", method: http.MethodGet, path: "/v1/orders/sub_1/seats/nope", want: 404, wantCode: "seat_not_found"},
		{name: "unknown order", method: http.MethodGet, path: "/v1/orders/nope/seats/" + seats["pro"][0], want: 404, wantCode: "not_found"},
	})
}

func TestPutSeatAPI(t *testing.T) {
	t.Parallel()
	e, seats := newSeatsAPI(t, 3)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/globex", `{}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/globex/users/g1", `{}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme/users/gone", `{"status":"deactivated"}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/orders/sub_old", `{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":1}]}`)
	oldSeat := seatsByProduct(t, e, "sub_old")["pro"][0]
	e.must(http.StatusOK, http.MethodPost, "/v1/orders/sub_old/cancel", "")
	pro := func(i int) string { return "/v1/orders/sub_1/seats/" + seats["pro"][i] }

	s := e.must(http.StatusOK, http.MethodPut, pro(0), `{"user_external_id":"u1"}`)
	if s["status"] != "assigned" || s["user_external_id"] != "u1" || s["id"] != seats["pro"][0] || s["order_external_id"] != "sub_1" {
		t.Errorf("assigned seat = %v", s)
	}
	events := len(writtenEvents(t, e.db))
	if again := e.must(http.StatusOK, http.MethodPut, pro(0), `{"user_external_id":"u1"}`); again["user_external_id"] != "u1" || again["assigned_at"] != s["assigned_at"] {
		t.Errorf("same assignment again = %v, want the seat unchanged", again)
	}
	if n := len(writtenEvents(t, e.db)); n != events {
		t.Errorf("assigning the seat its holder holds wrote %d events", n-events)
	}

	checkErrors(t, e, []apiErrorCase{
		{name: "seat occupied", method: http.MethodPut, path: pro(0), body: `{"user_external_id":"u2"}`, want: 409, wantCode: "seat_occupied"},
		{name: "user already seated", method: http.MethodPut, path: pro(1), body: `{"user_external_id":"u1"}`, want: 409, wantCode: "user_already_seated"},
		{name: "user deactivated", method: http.MethodPut, path: pro(1), body: `{"user_external_id":"gone"}`, want: 422, wantCode: "user_deactivated"},
		// Users are keyed by customer: another customer's user is not one of the order's.
		{name: "user of another customer", method: http.MethodPut, path: pro(1), body: `{"user_external_id":"g1"}`, want: 404, wantCode: "user_not_found"},
		{name: "unknown user", method: http.MethodPut, path: pro(1), body: `{"user_external_id":"nobody"}`, want: 404, wantCode: "user_not_found"},
		{name: "canceled order", method: http.MethodPut, path: "/v1/orders/sub_old/seats/" + oldSeat, body: `{"user_external_id":"u1"}`, want: 409, wantCode: "order_canceled"},
		{name: "unknown seat", method: http.MethodPut, path: "/v1/orders/sub_1/seats/nope", body: `{"user_external_id":"u2"}`, want: 404, wantCode: "seat_not_found"},
		{name: "seat of another order", method: http.MethodPut, path: "/v1/orders/sub_1/seats/" + oldSeat, body: `{"user_external_id":"u2"}`, want: 404, wantCode: "seat_not_found"},
		{name: "unknown order", method: http.MethodPut, path: "/v1/orders/nope/seats/" + seats["pro"][1], body: `{"user_external_id":"u2"}`, want: 404, wantCode: "not_found"},
		{name: "missing user_external_id", method: http.MethodPut, path: pro(1), body: `{}`, want: 400, wantCode: "invalid_parameter", wantParam: "user_external_id"},
		{name: "empty user_external_id", method: http.MethodPut, path: pro(1), body: `{"user_external_id":""}`, want: 400, wantCode: "invalid_parameter", wantParam: "user_external_id"},
		{name: "user_external_id a number", method: http.MethodPut, path: pro(1), body: `{"user_external_id":5}`, want: 400, wantCode: "invalid_parameter", wantParam: "user_external_id"},
		{name: "user_external_id an object", method: http.MethodPut, path: pro(1), body: `{"user_external_id":{"id":"u2"}}`, want: 400, wantCode: "invalid_parameter", wantParam: "user_external_id"},
		{name: "unknown field", method: http.MethodPut, path: pro(1), body: `{"user":"u2"}`, want: 400, wantCode: "invalid_parameter", wantParam: "user"},
		{name: "no body", method: http.MethodPut, path: pro(1), want: 400, wantCode: "malformed_json"},
	})
	if got := holders(t, e, "sub_1", seats); got != "addon0:- pro0:u1 pro1:- pro2:-" {
		t.Errorf("after refused requests: %s", got)
	}
	if n := len(writtenEvents(t, e.db)); n != events {
		t.Errorf("refused requests wrote %d events", n-events)
	}

	t.Run("null unassigns", func(t *testing.T) {
		s := e.must(http.StatusOK, http.MethodPut, pro(0), `{"user_external_id":null}`)
		if s["status"] != "unassigned" || s["user_external_id"] != nil || s["assigned_at"] != nil {
			t.Errorf("unassigned seat = %v", s)
		}
		last := writtenEvents(t, e.db)[events:]
		if len(last) != 1 || last[0].Type != "seat.revoked" || last[0].Reason != "unassigned" || last[0].User != "u1" || last[0].SeatID != seats["pro"][0] {
			t.Errorf("events = %+v, want one seat.revoked of u1 (unassigned)", last)
		}
		e.must(http.StatusOK, http.MethodPut, pro(0), `{"user_external_id":null}`)
		if n := len(writtenEvents(t, e.db)); n != events+1 {
			t.Errorf("unassigning a free seat wrote %d events", n-events-1)
		}
	})
	storagetest.CheckInvariants(t, e.db)
}

// Many requests at once for one seat, or for one user on one line: exactly
// one wins, every other gets its rule's 409, and every rule still holds.
func TestSeatAssignmentConcurrency(t *testing.T) {
	t.Parallel()
	const n = 12
	e, _ := newSeatsAPI(t, n)
	e.must(http.StatusOK, http.MethodPut, "/v1/orders/sub_1",
		fmt.Sprintf(`{"customer_external_id":"acme","lines":[{"product_id":"pro","quantity":%d},{"product_id":"addon","quantity":1}]}`, n))
	seats := seatsByProduct(t, e, "sub_1")

	// put sends the requests all at once and counts the answers by code.
	put := func(reqs []struct{ seat, user string }) map[string]int {
		var mu sync.Mutex
		codes := map[string]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, r := range reqs {
			wg.Go(func() {
				<-start
				req, err := http.NewRequest(http.MethodPut, e.http.URL+"/v1/orders/sub_1/seats/"+r.seat,
					strings.NewReader(fmt.Sprintf(`{"user_external_id":%q}`, r.user)))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header = e.key.Clone()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				code := fmt.Sprint(resp.StatusCode)
				if resp.StatusCode != http.StatusOK {
					code += " " + errorCode(answer{body: decodeBody(body)})
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		return codes
	}

	var sameSeat []struct{ seat, user string }
	for i := 1; i <= n; i++ {
		sameSeat = append(sameSeat, struct{ seat, user string }{seats["pro"][0], fmt.Sprintf("u%d", i)})
	}
	if got := put(sameSeat); got["200"] != 1 || got["409 seat_occupied"] != n-1 {
		t.Errorf("%d users for one seat: %v, want one 200 and %d seat_occupied", n, got, n-1)
	}
	winner := e.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_1/seats/"+seats["pro"][0], "")["user_external_id"]

	var sameUser []struct{ seat, user string }
	for _, s := range seats["pro"][1:] {
		sameUser = append(sameUser, struct{ seat, user string }{s, "u1"})
	}
	sameUser = append(sameUser, struct{ seat, user string }{seats["addon"][0], "u1"})
	got := put(sameUser)
	// u1 may have won the first round: then every other pro seat is refused.
	wantWins := 2
	if winner == "u1" {
		wantWins = 1
	}
	if got["200"] != wantWins || got["409 user_already_seated"] != len(sameUser)-wantWins {
		t.Errorf("u1 for %d seats (first round won by %v): %v, want %d wins, the rest user_already_seated", len(sameUser), winner, got, wantWins)
	}
	storagetest.CheckInvariants(t, e.db)
}

func decodeBody(raw []byte) map[string]any {
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return body
}
