package webhooks

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

const (
	userAgent = "seatsync-webhooks/1"
	// maxSnippet is how much of an answer the attempt log keeps.
	maxSnippet = 1 << 10
	// maxDrain is how much more is read so the connection can be reused;
	// past it, closing the connection is cheaper than reading on.
	maxDrain = 64 << 10
	// defaultSendTimeout applies when NewSender is given none: an attempt
	// without a deadline would let one dead endpoint hold a worker forever.
	defaultSendTimeout = 15 * time.Second
	minRetryAfter      = time.Second
	maxRetryAfter      = time.Hour
)

// Outbound is one delivery attempt's input.
type Outbound struct {
	URL       string
	MessageID string    // webhook-id: stable across retries, the subscriber's idempotency key
	Timestamp time.Time // webhook-timestamp of this attempt
	Secrets   []string
	Body      []byte
}

// Outcome classifies an attempt.
type Outcome int

const (
	Delivered Outcome = iota + 1 // 2xx
	Gone                         // 410: the subscriber asks us to stop; the endpoint is disabled
	Retry                        // anything else, including transport errors and refused private addresses
)

// String names the outcome for logs and metric labels.
func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Gone:
		return "gone"
	case Retry:
		return "retry"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// Result is what one attempt observed, for the attempt log.
type Result struct {
	StatusCode int           // 0 when no HTTP answer came back
	Latency    time.Duration // from request start to response headers and snippet
	Snippet    string        // the first 1 KiB of the response body, as valid UTF-8 without NUL bytes
	Err        error         // transport or refusal error, nil when an HTTP answer came back
	RetryAfter time.Duration // Retry-After of a 429 or 503 (delta-seconds or HTTP date), clamped to [1s, 1h]; 0 when absent or unparsable
}

// Outcome classifies the attempt. Every answer other than 2xx and 410 is
// retried, 3xx included: a redirect is not followed, so it delivered nothing.
func (r Result) Outcome() Outcome {
	switch {
	case r.Err != nil || r.StatusCode == 0:
		return Retry
	case r.StatusCode >= 200 && r.StatusCode < 300:
		return Delivered
	case r.StatusCode == http.StatusGone:
		return Gone
	}
	return Retry
}

// Sender posts signed messages. Safe for concurrent use.
type Sender struct {
	client  *http.Client
	timeout time.Duration
}

// defaultIdlePerHost is the idle connection pool per host when NewSender
// is given none.
const defaultIdlePerHost = 16

// NewSender makes a sender whose every attempt ends within timeout (15 s in
// production; zero or less means 15 s). Unless allowPrivate, it refuses to
// connect to loopback, private, link-local and similar addresses.
//
// Connections are kept alive between deliveries; idlePerHost (zero or
// less means 16) is how many idle ones are kept per host. Give it the
// most deliveries the process makes at once (its worker concurrency), so
// that a connection that finishes a delivery is never closed only because
// the pool is full: several endpoints can share a host.
func NewSender(timeout time.Duration, allowPrivate bool, idlePerHost int) *Sender {
	if timeout <= 0 {
		timeout = defaultSendTimeout
	}
	if idlePerHost <= 0 {
		idlePerHost = defaultIdlePerHost
	}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		// Checked on the address being connected to, after resolution, so
		// neither a name pointing inside nor DNS rebinding between
		// registration and delivery gets past it.
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		// No proxy from the environment: the guard must see the real
		// destination, not a proxy that would connect on our behalf.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           max(100, idlePerHost),
		MaxIdleConnsPerHost:    idlePerHost,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &Sender{
		client: &http.Client{
			Transport: transport,
			// A redirect is refused, not followed: following it would
			// deliver to a URL the subscriber never registered.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: timeout,
	}
}

// Timeout is the most one attempt takes.
func (s *Sender) Timeout() time.Duration { return s.timeout }

// refusePrivate is the dialer's Control hook; address is the resolved
// "ip:port" about to be connected to.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Fail closed: an address we cannot read is one we cannot vouch for.
		return fmt.Errorf("refusing %s %s: unreadable address: %w", network, address, ErrPrivateAddress)
	}
	if blockedAddr(ap.Addr()) {
		return fmt.Errorf("refused: %w", ErrPrivateAddress) // the dialer's error names the address
	}
	return nil
}

// Send makes one delivery attempt. It never returns without a Result: every
// failure is recorded in it and classified by [Result.Outcome].
func (s *Sender) Send(ctx context.Context, m Outbound) Result {
	sig, err := SignOutbound(m.Secrets, m.MessageID, m.Timestamp, m.Body)
	if err != nil {
		return Result{Err: err}
	}
	// The deadline covers reading the snippet and the drain too, so a
	// subscriber trickling its body cannot hold the attempt open.
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return Result{Err: fmt.Errorf("build request: %w", stripURL(err))}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(HeaderWebhookID, m.MessageID)
	req.Header.Set(HeaderWebhookTimestamp, strconv.FormatInt(m.Timestamp.Unix(), 10))
	req.Header.Set(HeaderWebhookSignature, sig)

	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Latency: time.Since(start), Err: stripURL(err)}
	}
	// A read error is not recorded: the subscriber did answer, and its
	// status code is what decides the outcome.
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxSnippet))
	latency := time.Since(start)
	// Reading the body to its end before closing it is what returns the
	// connection to the pool for the next delivery.
	_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
	_ = resp.Body.Close()

	r := Result{
		StatusCode: resp.StatusCode,
		Latency:    latency,
		Snippet:    snippet(head, len(head) == maxSnippet),
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		now := time.Now()
		// The server's own clock, when it says what it is, measures an HTTP
		// date best: the two clocks may disagree by more than the delay.
		if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			now = d
		}
		r.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	return r
}

// stripURL drops the *url.Error layer, which repeats the endpoint URL (and
// any token in its query) in every attempt's logged error.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// parseRetryAfter reads delta-seconds or an HTTP date (RFC 9110 §10.2.3).
// Anything valid is clamped to [1s, 1h]: a zero or past value still means
// "not immediately", and a huge one must not park a message for days.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if strings.Trim(v, "0123456789") == "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(maxRetryAfter/time.Second) {
			// Only overflow fails on digits alone: a valid, huge delay.
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else {
		t, err := http.ParseTime(v)
		if err != nil {
			return 0
		}
		d = t.Sub(now)
	}
	return min(max(d, minRetryAfter), maxRetryAfter)
}

// snippet makes the head of a response body safe to store and show: a rune
// cut by the size limit is dropped, not turned into garbage; other invalid
// bytes and NUL (which Postgres text refuses) become U+FFFD; and the result
// stays within maxSnippet bytes.
func snippet(b []byte, truncated bool) string {
	if truncated {
		for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
			if utf8.RuneStart(b[i]) {
				if !utf8.FullRune(b[i:]) {
					b = b[:i]
				}
				break
			}
		}
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	for len(s) > maxSnippet {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
