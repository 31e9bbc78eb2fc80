package webhooks

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
)

// What a delivery's answer says happened to each of its events.
const (
	statusEnqueued  = "enqueued"
	statusDuplicate = "duplicate"
	statusIgnored   = "ignored"
)

var (
	errUnknownSource = errors.New("unknown webhook source")
	errTooLarge      = errors.New("request body too large")
	errUnavailable   = errors.New("event could not be stored")
)

// rejection is how one class of failure is answered and counted.
type rejection struct {
	err     error
	status  int
	code    string
	outcome string
}

// rejections is the one table from receiver errors to HTTP answers.
var rejections = []rejection{
	{errUnknownSource, http.StatusNotFound, "unknown_source", "unknown_source"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "body_too_large", "too_large"},
	{ErrSignature, http.StatusUnauthorized, "invalid_signature", "unauthorized"},
	{ErrTimestamp, http.StatusUnauthorized, "timestamp_out_of_tolerance", "unauthorized"},
	{ErrMalformed, http.StatusBadRequest, "malformed_event", "malformed"},
	{errUnavailable, http.StatusServiceUnavailable, "unavailable", "unavailable"},
}

func (rc *Receiver) reject(c *gin.Context, source string, err error) {
	r := rejection{status: http.StatusInternalServerError, code: "internal", outcome: "error"}
	for _, candidate := range rejections {
		if errors.Is(err, candidate.err) {
			r = candidate
			break
		}
	}
	rc.m.event(source, r.outcome)
	message := err.Error()
	if r.status >= 500 {
		// The cause names internal hosts; it goes to the log, not the sender.
		rc.log.ErrorContext(c.Request.Context(), "inbound delivery refused", "source", source, "error", err)
		message = "the event could not be stored; retry later"
		c.Header("Retry-After", "5")
	} else {
		rc.log.WarnContext(c.Request.Context(), "inbound delivery rejected", "source", source, "code", r.code, "error", err)
	}
	c.AbortWithStatusJSON(r.status, gin.H{"error": gin.H{"code": r.code, "message": message}})
}

// receipt is the 202 answer: one status for the delivery, and one per event
// (an Okta delivery carries several).
type receipt struct {
	Status string         `json:"status"`
	Events []eventReceipt `json:"events"`
}

type eventReceipt struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// appendJSON appends r as json.Marshal encodes it, without its reflection:
// the receipt is written once per delivery.
func (r *receipt) appendJSON(b []byte) []byte {
	b = append(b, `{"status":`...)
	b = appendJSONString(b, r.Status)
	b = append(b, `,"events":[`...)
	for i, ev := range r.Events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendJSONString(b, ev.ID)
		b = append(b, `,"status":`...)
		b = appendJSONString(b, ev.Status)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendJSONString appends s quoted as json.Marshal quotes it. Text that
// needs no escaping (visible ASCII but for ", \, and the <, >, & that
// json.Marshal escapes for HTML) is copied; anything else is left to
// json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			quoted, _ := json.Marshal(s) // a string always encodes
			return append(b, quoted...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// statusRank orders event statuses by how much they tell the sender.
var statusRank = map[string]int{statusIgnored: 0, statusDuplicate: 1, statusEnqueued: 2}

// add records one event. The delivery's status is the most telling of its
// events': enqueued over duplicate over ignored.
func (r *receipt) add(id, status string) {
	r.Events = append(r.Events, eventReceipt{ID: id, Status: status})
	if statusRank[status] > statusRank[r.Status] {
		r.Status = status
	}
}
