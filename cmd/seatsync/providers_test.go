package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/seatsync/seatsync/storage"
)

const (
	stripeSecret = "whsec_test_stripe_secret"
	paddleSecret = "pdl_ntfset_01test_secret"
	workosSecret = "workos_test_secret"
)

var providerSources = []string{
	"SEATSYNC_SOURCE_STRIPE_KIND=stripe", "SEATSYNC_SOURCE_STRIPE_SECRETS=" + stripeSecret,
	"SEATSYNC_SOURCE_PADDLE_KIND=paddle", "SEATSYNC_SOURCE_PADDLE_SECRETS=" + paddleSecret,
	"SEATSYNC_SOURCE_WORKOS_KIND=workos", "SEATSYNC_SOURCE_WORKOS_SECRETS=" + workosSecret,
}

// delivery is one provider webhook, signed afresh each time it is sent, as
// a provider's retry is.
type delivery struct {
	source string
	id     string
	body   string
}

func (d delivery) headers(t testing.TB, now time.Time) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	switch d.source {
	case "stripe":
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(d.body), Secret: stripeSecret, Timestamp: now})
		h.Set("Stripe-Signature", signed.Header)
	case "paddle":
		ts := strconv.FormatInt(now.Unix(), 10)
		h.Set("Paddle-Signature", "ts="+ts+";h1="+hmacHex(paddleSecret, ts+":"+d.body))
	case "workos":
		ts := strconv.FormatInt(now.UnixMilli(), 10)
		h.Set("WorkOS-Signature", "t="+ts+", v1="+hmacHex(workosSecret, ts+"."+d.body))
	default:
		t.Fatalf("no signer for %s", d.source)
	}
	return h
}

func hmacHex(secret, message string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(message))
	return hex.EncodeToString(m.Sum(nil))
}

var t0 = time.Now().Add(-time.Hour).Truncate(time.Second)

func stripeSubscription(id string, at time.Duration, typ, status string, quantity int) delivery {
	return delivery{"stripe", id, fmt.Sprintf(`{"id":%q,"object":"event","api_version":"2024-06-20","created":%d,"livemode":false,
		"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":%q,
		"data":{"object":{"id":"sub_1","object":"subscription","customer":"cus_1","status":%q,"cancel_at_period_end":false,
		"items":{"object":"list","data":[{"id":"si_1","object":"subscription_item","quantity":%d,
		"price":{"id":"price_1","object":"price","product":"prod_seat","unit_amount":1200}}]}}}}`,
		id, t0.Add(at).Unix(), typ, status, quantity)}
}

func paddleSubscription(id string, at time.Duration, typ string, quantity int) delivery {
	return delivery{"paddle", id, fmt.Sprintf(`{"event_id":%q,"event_type":%q,"occurred_at":%q,"notification_id":"ntf_%s",
		"data":{"id":"sub_01paddle","status":"active","customer_id":"ctm_01","currency_code":"USD","scheduled_change":null,
		"items":[{"status":"active","quantity":%d,"price":{"id":"pri_01","product_id":"pro_01seat"}}]}}`,
		id, typ, t0.Add(at).UTC().Format(time.RFC3339Nano), id, quantity)}
}

func workosUser(id string, at time.Duration, typ, state string) delivery {
	return delivery{"workos", id, fmt.Sprintf(`{"id":%q,"event":%q,"created_at":%q,"data":{"object":"directory_user",
		"id":"directory_user_01","directory_id":"directory_01","organization_id":"org_01","idp_id":"123",
		"first_name":"Jane","last_name":"Doe","emails":[{"primary":true,"type":"work","value":"jane@acme.test"}],
		"state":%q,"custom_attributes":{}}}`, id, typ, t0.Add(at).UTC().Format(time.RFC3339Nano), state)}
}

// providerScenario: a Stripe subscription going 5 → 8 → 3 seats then
// deleted, a Paddle subscription 2 → 4, a WorkOS user created then suspended.
func providerScenario() []delivery {
	return []delivery{
		{"stripe", "evt_cus", fmt.Sprintf(`{"id":"evt_cus","object":"event","created":%d,"type":"customer.created",
			"data":{"object":{"id":"cus_1","object":"customer","email":"billing@acme.test","name":"Acme",
			"metadata":{"seatsync_customer":"acme"}}}}`, t0.Unix())},
		stripeSubscription("evt_sub1", 1*time.Second, "customer.subscription.created", "active", 5),
		stripeSubscription("evt_sub2", 2*time.Second, "customer.subscription.updated", "active", 8),
		stripeSubscription("evt_sub3", 3*time.Second, "customer.subscription.updated", "active", 3),
		stripeSubscription("evt_sub4", 4*time.Second, "customer.subscription.deleted", "canceled", 3),
		paddleSubscription("evt_01p1", 1*time.Second, "subscription.created", 2),
		paddleSubscription("evt_01p2", 2*time.Second, "subscription.updated", 4),
		workosUser("event_01w1", 1*time.Second, "dsync.user.created", "active"),
		workosUser("event_01w2", 2*time.Second, "dsync.user.updated", "suspended"),
	}
}

func (s *stack) deliver(d delivery) {
	s.t.Helper()
	a := s.post("/v1/webhooks/"+d.source, d.headers(s.t, time.Now()), []byte(d.body))
	if a.status != http.StatusAccepted || (status(a) != "enqueued" && status(a) != "duplicate") {
		s.t.Fatalf("%s %s: %d %v", d.source, d.id, a.status, a.body)
	}
}

func (s *stack) providerState() string {
	s.t.Helper()
	ctx := context.Background()
	state := ""
	for _, id := range []string{"sub_1", "sub_01paddle"} {
		o, err := s.d.db.OrderByExternalID(ctx, id)
		if err != nil {
			s.t.Fatalf("order %s: %v", id, err)
		}
		state += fmt.Sprintf("%s of %s %s", id, o.CustomerExternalID, o.Status)
		for _, l := range o.Lines {
			state += fmt.Sprintf(" %s=%d", l.ProductID, l.Quantity)
		}
		state += "; "
	}
	u, err := s.d.db.UserByExternalID(ctx, "org_01", "directory_user_01")
	if err != nil {
		s.t.Fatalf("user: %v", err)
	}
	return state + fmt.Sprintf("user %s %s %s", u.Name, u.Email, u.Status)
}

func TestProviderScenariosAnyOrder(t *testing.T) {
	t.Parallel()
	// Each run is a subtest, so that its worker is gone before the next run
	// shares Redis DB 1.
	run := func(name string, deliveries []delivery) (state string) {
		t.Run(name, func(t *testing.T) {
			s := newStack(t, providerSources...)
			s.startWorker()
			for _, d := range deliveries {
				s.deliver(d)
			}
			for _, d := range deliveries {
				if ev := s.waitProcessed(d.source, d.id); ev.Status == storage.InboxFailed {
					t.Fatalf("%s %s failed: %s", d.source, d.id, ev.Error)
				}
			}
			state = s.providerState()
		})
		return state
	}
	want := "sub_1 of acme canceled prod_seat=3; sub_01paddle of ctm_01 active pro_01seat=4; user Jane Doe jane@acme.test deactivated"
	if got := run("in order", providerScenario()); got != want {
		t.Fatalf("in order:\n got %s\nwant %s", got, want)
	}
	for seed := range uint64(3) {
		deliveries := append(providerScenario(), providerScenario()...)
		rand.New(rand.NewPCG(seed, 7)).Shuffle(len(deliveries), func(i, j int) {
			deliveries[i], deliveries[j] = deliveries[j], deliveries[i]
		})
		if got := run(fmt.Sprintf("shuffled twice, seed %d", seed), deliveries); got != want {
			t.Errorf("shuffled (seed %d):\n got %s\nwant %s", seed, got, want)
		}
	}
}

const oktaSecret = "okta-hook-shared-secret-0123"

func oktaEvent(uuid, eventType string, at time.Time, targets string) string {
	return fmt.Sprintf(`{"uuid":%q,"published":%q,"eventType":%q,"version":"0","displayMessage":"x","severity":"INFO",
		"actor":{"id":"00uadmin","type":"User","alternateId":"admin@acme.test","displayName":"Admin"},
		"outcome":{"result":"SUCCESS","reason":null},"target":[%s]}`, uuid, at.UTC().Format(time.RFC3339Nano), eventType, targets)
}

// One Okta delivery carries several events; each is deduplicated on its own.
func TestOktaSource(t *testing.T) {
	t.Parallel()
	s := newStack(t, "SEATSYNC_SOURCE_OKTA_KIND=okta", "SEATSYNC_SOURCE_OKTA_SECRETS=old-okta-secret-0123456,"+oktaSecret)
	s.startWorker()
	auth := http.Header{"Authorization": {oktaSecret}, "Content-Type": {"application/json"}}

	challenge := http.Header{"Authorization": {oktaSecret}, "X-Okta-Verification-Challenge": {"abc123"}}
	if a := s.get("/v1/webhooks/okta", challenge); a.status != http.StatusOK || a.body["verification"] != "abc123" {
		t.Fatalf("challenge: %d %v", a.status, a.body)
	}
	challenge.Set("Authorization", "wrong")
	if a := s.get("/v1/webhooks/okta", challenge); a.status != http.StatusUnauthorized {
		t.Fatalf("challenge with a wrong secret: %d %v", a.status, a.body)
	}
	if a := s.get("/v1/webhooks/crm", nil); a.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET on a standard source: %d %v", a.status, a.body)
	}

	user := `{"id":"00u1","type":"User","alternateId":"jane@acme.test","displayName":"Jane Doe"}`
	group := `{"id":"00g1","type":"UserGroup","alternateId":"unknown","displayName":"engineering"}`
	body := fmt.Sprintf(`{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1",
		"eventId":"b5a1","data":{"events":[%s,%s,%s]}}`,
		oktaEvent("uuid-create", "user.lifecycle.create", t0, user),
		oktaEvent("uuid-join", "group.user_membership.add", t0.Add(time.Second), user+","+group),
		oktaEvent("uuid-other", "application.lifecycle.update", t0, user))
	a := s.post("/v1/webhooks/okta", auth, []byte(body))
	if a.status != http.StatusAccepted || status(a) != "enqueued" {
		t.Fatalf("delivery: %d %v", a.status, a.body)
	}
	events, _ := a.body["events"].([]any)
	if len(events) != 3 {
		t.Fatalf("events = %v, want three receipts", a.body["events"])
	}
	if a := s.post("/v1/webhooks/okta", auth, []byte(body)); status(a) != "duplicate" {
		t.Fatalf("redelivery: %d %v", a.status, a.body)
	}
	s.waitProcessed("okta", "uuid-create")
	s.waitProcessed("okta", "uuid-join")
	u, err := s.d.db.UserByExternalID(context.Background(), "okta", "00u1")
	if err != nil || u.Email != "jane@acme.test" || u.Status != storage.UserActive || len(u.Groups) != 1 || u.Groups[0] != "engineering" {
		t.Fatalf("user = %+v, %v", u, err)
	}
	if a := s.post("/v1/webhooks/okta", http.Header{"Authorization": {"nope"}}, []byte(body)); a.status != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d %v", a.status, a.body)
	}
}
