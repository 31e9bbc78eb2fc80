package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/storage/storagetest"
)

func TestUsersAPI(t *testing.T) {
	t.Parallel()
	e := newAPITest(t)
	ctx := context.Background()
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme", `{"name":"Acme"}`)

	const path = "/v1/customers/acme/users/u1"
	created := e.must(http.StatusCreated, http.MethodPut, path, `{"email":"jane@acme.test","name":"Jane","groups":["eng","ops"]}`)
	if created["external_id"] != "u1" || created["customer_external_id"] != "acme" || created["email"] != "jane@acme.test" ||
		created["name"] != "Jane" || created["status"] != "active" || fmt.Sprint(created["groups"]) != "[eng ops]" ||
		created["id"] == "" || created["created_at"] == nil {
		t.Errorf("created = %v", created)
	}
	again := e.must(http.StatusOK, http.MethodPut, path, `{"email":"jane@acme.test","name":"Jane","groups":["eng","ops"]}`)
	if again["id"] != created["id"] || fmt.Sprint(again["groups"]) != "[eng ops]" || again["status"] != "active" {
		t.Errorf("same PUT again = %v", again)
	}

	t.Run("omitted groups stay, [] clears them", func(t *testing.T) {
		b := e.must(http.StatusOK, http.MethodPut, path, `{"email":"jane@acme.test"}`)
		if fmt.Sprint(b["groups"]) != "[eng ops]" || b["name"] != "" {
			t.Errorf("without groups: %v, want groups kept and the name emptied", b)
		}
		b = e.must(http.StatusOK, http.MethodPut, path, `{"email":"jane@acme.test","groups":[]}`)
		if fmt.Sprint(b["groups"]) != "[]" {
			t.Errorf("groups [] = %v", b["groups"])
		}
		if got := e.must(http.StatusOK, http.MethodGet, path, ""); fmt.Sprint(got["groups"]) != "[]" || got["email"] != "jane@acme.test" {
			t.Errorf("get = %v", got)
		}
	})

	t.Run("unknown customer is not created", func(t *testing.T) {
		a := e.call(http.MethodPut, "/v1/customers/nobody/users/u1", `{}`)
		if a.status != http.StatusNotFound || errorCode(a) != "not_found" {
			t.Fatalf("answer %d %v", a.status, a.body)
		}
		if msg := a.body["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "PUT /v1/customers/") {
			t.Errorf("message %q does not say how to create the customer", msg)
		}
		if a := e.call(http.MethodGet, "/v1/customers/nobody", ""); a.status != http.StatusNotFound {
			t.Errorf("customer created: %d %v", a.status, a.body)
		}
	})

	t.Run("the API states the current state", func(t *testing.T) {
		if err := e.db.InTx(ctx, func(tx *storage.Tx) error {
			_, err := tx.UpsertUser(ctx, storage.UserInput{Customer: storage.CustomerRef{ExternalID: "acme"},
				ExternalID: "later", Name: "Later", Status: storage.UserActive, GroupsSet: true}, time.Now().Add(time.Hour))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.must(http.StatusOK, http.MethodPut, "/v1/customers/acme/users/later", `{"name":"Now","groups":["x"]}`)
		b := e.must(http.StatusOK, http.MethodGet, "/v1/customers/acme/users/later", "")
		if groups, _ := b["groups"].([]any); b["name"] != "Now" || len(groups) != 1 || groups[0] != "x" {
			t.Errorf("user = %v, want the PUT's name and groups", b)
		}
	})

	checkErrors(t, e, []apiErrorCase{
		{name: "null groups", method: http.MethodPut, path: path, body: `{"groups":null}`, want: 400, wantCode: "invalid_parameter", wantParam: "groups"},
		{name: "groups not a list", method: http.MethodPut, path: path, body: `{"groups":"eng"}`, want: 400, wantCode: "invalid_parameter", wantParam: "groups"},
		{name: "empty group", method: http.MethodPut, path: path, body: `{"groups":["eng",""]}`, want: 400, wantCode: "invalid_parameter", wantParam: "groups[1]"},
		{name: "repeated group", method: http.MethodPut, path: path, body: `{"groups":["eng","ops","eng"]}`, want: 400, wantCode: "invalid_parameter", wantParam: "groups[2]"},
		{name: "unknown status", method: http.MethodPut, path: path, body: `{"status":"suspended"}`, want: 400, wantCode: "invalid_parameter", wantParam: "status"},
		{name: "bad email", method: http.MethodPut, path: path, body: `{"email":"jane@"}`, want: 400, wantCode: "invalid_parameter", wantParam: "email"},
		{name: "name with control characters", method: http.MethodPut, path: path, body: `{"name":"\u0007"}`, want: 400, wantCode: "invalid_parameter", wantParam: "name"},
		{name: "unknown field", method: http.MethodPut, path: path, body: `{"group":["eng"]}`, want: 400, wantCode: "invalid_parameter", wantParam: "group"},
		{name: "external id too long", method: http.MethodPut, path: "/v1/customers/acme/users/" + strings.Repeat("u", 256), body: `{}`, want: 400, wantCode: "invalid_parameter", wantParam: "user"},
		{name: "get unknown user", method: http.MethodGet, path: "/v1/customers/acme/users/nobody", want: 404, wantCode: "not_found"},
		{name: "list of unknown customer", method: http.MethodGet, path: "/v1/customers/nobody/users", want: 404, wantCode: "not_found"},
		{name: "list unknown status", method: http.MethodGet, path: "/v1/customers/acme/users?status=suspended", want: 400, wantCode: "invalid_parameter", wantParam: "status"},
		{name: "list empty status", method: http.MethodGet, path: "/v1/customers/acme/users?status=", want: 400, wantCode: "invalid_parameter", wantParam: "status"},
		{name: "list limit", method: http.MethodGet, path: "/v1/customers/acme/users?limit=500", want: 400, wantCode: "invalid_parameter", wantParam: "limit"},
		{name: "list after unknown", method: http.MethodGet, path: "/v1/customers/acme/users?after=nope", want: 400, wantCode: "invalid_parameter", wantParam: "after"},
	})
	if b := e.must(http.StatusOK, http.MethodGet, path, ""); b["email"] != "jane@acme.test" || b["status"] != "active" {
		t.Errorf("refused PUTs changed the user: %v", b)
	}
}

// Paging through a customer's users while users are added returns each
// once, in creation order; the status filter holds on every page.
func TestUsersPaginationWhileAdding(t *testing.T) {
	t.Parallel()
	e := newAPITest(t)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme", `{}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/globex", `{}`)
	e.must(http.StatusCreated, http.MethodPut, "/v1/customers/globex/users/g1", `{}`)
	for i := range 5 {
		status := "active"
		if i == 2 {
			status = "deactivated"
		}
		e.must(http.StatusCreated, http.MethodPut, fmt.Sprintf("/v1/customers/acme/users/u%d", i), fmt.Sprintf(`{"status":%q}`, status))
	}
	pageAll := func(query string, add func(n int)) []string {
		var got []string
		after := ""
		for page := 0; ; page++ {
			b := e.must(http.StatusOK, http.MethodGet, "/v1/customers/acme/users?limit=2"+query+after, "")
			data := listData(b)
			for _, u := range data {
				got = append(got, u["external_id"].(string)+"/"+u["status"].(string))
			}
			hasMore, next := listPagination(b)
			if !hasMore {
				return got
			}
			if next != data[len(data)-1]["id"] {
				t.Fatalf("page %d: next = %v, want the last user's id", page, next)
			}
			after = "&after=" + next.(string)
			add(page)
		}
	}
	got := pageAll("", func(n int) {
		if n < 2 {
			e.must(http.StatusCreated, http.MethodPut, fmt.Sprintf("/v1/customers/acme/users/new%d", n), `{}`)
		}
	})
	want := []string{"u0/active", "u1/active", "u2/deactivated", "u3/active", "u4/active", "new0/active", "new1/active"}
	if !slices.Equal(got, want) {
		t.Errorf("paged %v,\nwant %v", got, want)
	}
	got = pageAll("&status=active", func(n int) {
		if n == 0 {
			e.must(http.StatusCreated, http.MethodPut, "/v1/customers/acme/users/late", `{}`)
		}
	})
	want = []string{"u0/active", "u1/active", "u3/active", "u4/active", "new0/active", "new1/active", "late/active"}
	if !slices.Equal(got, want) {
		t.Errorf("active users paged %v,\nwant %v", got, want)
	}
	deactivated := listData(e.must(http.StatusOK, http.MethodGet, "/v1/customers/acme/users?status=deactivated", ""))
	if len(deactivated) != 1 || deactivated[0]["external_id"] != "u2" {
		t.Errorf("deactivated users = %v", deactivated)
	}
	// A user id of another customer is no cursor here.
	g1 := e.must(http.StatusOK, http.MethodGet, "/v1/customers/globex/users/g1", "")
	if a := e.call(http.MethodGet, "/v1/customers/acme/users?after="+g1["id"].(string), ""); a.status != http.StatusBadRequest || errorCode(a) != "invalid_parameter" {
		t.Errorf("cursor of another customer: %d %v", a.status, a.body)
	}
}

// Deactivating a user through the API revokes every seat they hold in the
// same transaction, each with seat.revoked (reason user_deactivated), and
// gives the seats to whoever waits; saying it again changes nothing.
func TestUserDeactivationRevokesSeats(t *testing.T) {
	t.Parallel()
	e, seats := newSeatsAPI(t, 3)
	for _, s := range []struct{ seat, user string }{{seats["pro"][0], "u1"}, {seats["addon"][0], "u1"}, {seats["pro"][1], "u2"}} {
		e.must(http.StatusOK, http.MethodPut, "/v1/orders/sub_1/seats/"+s.seat, fmt.Sprintf(`{"user_external_id":%q}`, s.user))
	}
	before := len(writtenEvents(t, e.db))

	b := e.must(http.StatusOK, http.MethodPut, "/v1/customers/acme/users/u1", `{"email":"u1@acme.test","status":"deactivated"}`)
	if b["status"] != "deactivated" {
		t.Errorf("user = %v", b)
	}
	for _, id := range []string{seats["pro"][0], seats["addon"][0]} {
		s := e.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_1/seats/"+id, "")
		if s["status"] != "unassigned" || s["user_external_id"] != nil {
			t.Errorf("seat of the deactivated user = %v", s)
		}
	}
	if s := e.must(http.StatusOK, http.MethodGet, "/v1/orders/sub_1/seats/"+seats["pro"][1], ""); s["user_external_id"] != "u2" {
		t.Errorf("another user's seat = %v", s)
	}
	events := writtenEvents(t, e.db)[before:]
	var revoked []string
	deactivated := 0
	for _, ev := range events {
		switch {
		case ev.Type == "seat.revoked" && ev.Reason == "user_deactivated" && ev.User == "u1":
			revoked = append(revoked, ev.SeatID)
		case ev.Type == "user.deactivated":
			deactivated++
		default:
			t.Errorf("unexpected event %+v", ev)
		}
	}
	slices.Sort(revoked)
	want := []string{seats["pro"][0], seats["addon"][0]}
	slices.Sort(want)
	if !slices.Equal(revoked, want) || deactivated != 1 {
		t.Errorf("revoked %v and %d user.deactivated, want %v and 1", revoked, deactivated, want)
	}

	after := len(writtenEvents(t, e.db))
	e.must(http.StatusOK, http.MethodPut, "/v1/customers/acme/users/u1", `{"email":"u1@acme.test","status":"deactivated"}`)
	if n := len(writtenEvents(t, e.db)); n != after {
		t.Errorf("deactivating again wrote %d events", n-after)
	}
	a := e.call(http.MethodPut, "/v1/orders/sub_1/seats/"+seats["pro"][0], `{"user_external_id":"u1"}`)
	if a.status != http.StatusUnprocessableEntity || errorCode(a) != "user_deactivated" {
		t.Errorf("assigning the deactivated user: %d %v, want 422 user_deactivated", a.status, a.body)
	}
	storagetest.CheckInvariants(t, e.db)
}
