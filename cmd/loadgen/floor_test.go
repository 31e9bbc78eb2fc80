package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatsync/seatsync/webhooks"
)

// TestFloorAnswersWhatTheReceiverWould: the floor runs the receiver's
// checks (a bad signature is refused as by seatsync) and answers every
// signed event as a redelivery, so the load generator's run against it
// reads like one against `seatsync serve`.
func TestFloorAnswersWhatTheReceiverWould(t *testing.T) {
	h, err := floorHandler(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	url := srv.URL + "/v1/webhooks/demo"

	var out bytes.Buffer
	if err := run(context.Background(), []string{"-url", url, "-secret", testSecret, "-c", "2", "-n", "30", "-d", "5s"}, &out); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`statuses map\[202:30\]$`).Match(bytes.TrimSpace(out.Bytes())) {
		t.Errorf("loadgen against the floor: %q, want 30 answered 202", out.String())
	}

	o := options{prefix: "floor_test", customers: 100}
	body := eventBody(nil, &o, 1, time.Now())
	signer, err := webhooks.NewStandardSigner(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	for _, tc := range []struct {
		name       string
		signature  string
		wantStatus int
		wantBody   string
	}{
		{"signed", string(signer.AppendSignature(nil, "evt_1", ts, body)), http.StatusAccepted, `"status":"duplicate"`},
		{"wrong signature", string(signer.AppendSignature(nil, "evt_other", ts, body)), http.StatusUnauthorized, `"code":"invalid_signature"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set(webhooks.HeaderWebhookID, "evt_1")
			req.Header.Set(webhooks.HeaderWebhookTimestamp, ts)
			req.Header.Set(webhooks.HeaderWebhookSignature, tc.signature)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.wantStatus || !strings.Contains(string(got), tc.wantBody) {
				t.Errorf("answer %d %s, want %d with %s", res.StatusCode, got, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

func TestFloorServesLoopbackOnly(t *testing.T) {
	err := run(context.Background(), []string{"-serve-floor", "0.0.0.0:0", "-secret", testSecret}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("-serve-floor 0.0.0.0:0: %v, want a refusal naming loopback", err)
	}
}

// Only this machine is loaded: a name that merely starts like a loopback
// address is not one.
func TestLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.0.0.2": true, "::1": true, "localhost": true,
		"127.evil.test": false, "example.com": false, "10.0.0.1": false, "0.0.0.0": false, "": false,
	} {
		if got := loopback(host); got != want {
			t.Errorf("loopback(%q) = %v, want %v", host, got, want)
		}
	}
	for _, url := range []string{"http://127.evil.test/v1/webhooks/demo", "https://127.0.0.1/", "127.0.0.1:8080"} {
		if err := run(context.Background(), []string{"-url", url, "-secret", testSecret}, io.Discard); err == nil {
			t.Errorf("-url %s was accepted", url)
		}
	}
}
