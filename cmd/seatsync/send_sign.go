package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/seatsync/seatsync/webhooks"
)

// signDelivery returns the headers a delivery of body from a source of the
// given kind carries, signed with secret as the provider signs (SPEC §2):
// what each kind's verifier in webhooks checks, so `send` can stand in for
// any provider. id is the delivery's webhook-id, used by the kinds whose
// event id is a header (standard, polar).
func signDelivery(kind, secret, id string, now time.Time, body []byte) (http.Header, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	unix := strconv.FormatInt(now.Unix(), 10)
	switch kind {
	case "standard":
		sig, err := webhooks.SignStandard(secret, id, now, body)
		if err != nil {
			return nil, err
		}
		setStandardHeaders(h, id, unix, sig)
	case "polar":
		// Polar's verifier takes the secret's UTF-8 bytes as the key (as
		// Polar has long signed), whatever its form; see webhooks.NewPolar.
		sig := "v1," + base64.StdEncoding.EncodeToString(hmacSum([]byte(secret), id+"."+unix+".", body))
		setStandardHeaders(h, id, unix, sig)
	case "stripe":
		h.Set(webhooks.HeaderStripeSignature, "t="+unix+",v1="+hex.EncodeToString(hmacSum([]byte(secret), unix+".", body)))
	case "paddle":
		h.Set(webhooks.HeaderPaddleSignature, "ts="+unix+";h1="+hex.EncodeToString(hmacSum([]byte(secret), unix+":", body)))
	case "workos":
		millis := strconv.FormatInt(now.UnixMilli(), 10)
		h.Set(webhooks.HeaderWorkOSSignature, "t="+millis+", v1="+hex.EncodeToString(hmacSum([]byte(secret), millis+".", body)))
	case "okta":
		h.Set(webhooks.HeaderOktaAuthorization, secret) // Okta sends the shared secret itself
	default:
		return nil, fmt.Errorf("send cannot sign for source kind %q", kind)
	}
	return h, nil
}

func setStandardHeaders(h http.Header, id, unix, sig string) {
	h.Set(webhooks.HeaderWebhookID, id)
	h.Set(webhooks.HeaderWebhookTimestamp, unix)
	h.Set(webhooks.HeaderWebhookSignature, sig)
}

func hmacSum(key []byte, prefix string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(prefix))
	m.Write(body)
	return m.Sum(nil)
}
