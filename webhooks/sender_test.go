package webhooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// sink is a subscriber: it verifies every delivery with the official
// library, once per secret the sender signs with, and records what it saw.
type sink struct {
	t       testing.TB
	secrets []string
	respond http.HandlerFunc

	mu  sync.Mutex
	got []*http.Request
}

func newSink(t *testing.T, secrets []string, respond http.HandlerFunc) (*sink, *httptest.Server) {
	t.Helper()
	s := &sink{t: t, secrets: secrets, respond: respond}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.t.Errorf("sink: read body: %v", err)
	}
	for i, secret := range s.secrets {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			s.t.Errorf("sink: secret %d: %v", i, err)
			continue
		}
		if err := wh.Verify(body, r.Header); err != nil {
			s.t.Errorf("sink: official Verify with secret %d = %v", i, err)
		}
	}
	s.mu.Lock()
	s.got = append(s.got, r)
	s.mu.Unlock()
	s.respond(w, r)
}

func (s *sink) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.got...)
}

func answer(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func testMessage(url string, secrets ...string) Outbound {
	return Outbound{
		URL:       url,
		MessageID: "msg_2vVbXhYqK3",
		Timestamp: time.Now(),
		Secrets:   secrets,
		Body:      []byte(`{"type":"seat.assigned","timestamp":"2026-11-21T10:00:00Z","data":{"seat_id":"s_1","sequence":17}}`),
	}
}

func TestSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		secrets        []string
		respond        http.HandlerFunc
		wantStatus     int
		wantOutcome    Outcome
		wantSnippet    string
		wantRetryAfter [2]time.Duration // inclusive range
	}{
		{name: "200", secrets: []string{specSecret}, respond: answer(200, "ok"), wantStatus: 200, wantOutcome: Delivered, wantSnippet: "ok"},
		{name: "204 during rotation", secrets: []string{rotatedSecret, specSecret}, respond: answer(204, ""), wantStatus: 204, wantOutcome: Delivered},
		{name: "202", secrets: []string{specSecret}, respond: answer(202, `{"queued":true}`), wantStatus: 202, wantOutcome: Delivered, wantSnippet: `{"queued":true}`},
		{name: "500 with snippet", secrets: []string{specSecret}, respond: answer(500, "boom: database down"), wantStatus: 500, wantOutcome: Retry, wantSnippet: "boom: database down"},
		{name: "400", secrets: []string{specSecret}, respond: answer(400, "bad"), wantStatus: 400, wantOutcome: Retry, wantSnippet: "bad"},
		{name: "410", secrets: []string{specSecret}, respond: answer(410, "gone"), wantStatus: 410, wantOutcome: Gone, wantSnippet: "gone"},
		{name: "429 delta-seconds", secrets: []string{specSecret}, respond: answer(429, "", "Retry-After", "7"), wantStatus: 429, wantOutcome: Retry, wantRetryAfter: [2]time.Duration{7 * time.Second, 7 * time.Second}},
		{name: "429 HTTP date", secrets: []string{specSecret}, respond: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
			w.WriteHeader(429)
		}, wantStatus: 429, wantOutcome: Retry, wantRetryAfter: [2]time.Duration{28 * time.Second, 31 * time.Second}},
		{name: "429 garbage", secrets: []string{specSecret}, respond: answer(429, "", "Retry-After", "soon"), wantStatus: 429, wantOutcome: Retry},
		{name: "429 without Retry-After", secrets: []string{specSecret}, respond: answer(429, ""), wantStatus: 429, wantOutcome: Retry},
		{name: "503 clamped to an hour", secrets: []string{specSecret}, respond: answer(503, "", "Retry-After", "99999"), wantStatus: 503, wantOutcome: Retry, wantRetryAfter: [2]time.Duration{time.Hour, time.Hour}},
		{name: "503 zero clamped to a second", secrets: []string{specSecret}, respond: answer(503, "", "Retry-After", "0"), wantStatus: 503, wantOutcome: Retry, wantRetryAfter: [2]time.Duration{time.Second, time.Second}},
		{name: "500 Retry-After ignored", secrets: []string{specSecret}, respond: answer(500, "", "Retry-After", "7"), wantStatus: 500, wantOutcome: Retry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sk, srv := newSink(t, tt.secrets, tt.respond)
			m := testMessage(srv.URL+"/hooks", tt.secrets...)
			r := NewSender(5*time.Second, true, 0).Send(t.Context(), m)
			if r.Err != nil {
				t.Fatalf("Err = %v", r.Err)
			}
			if r.StatusCode != tt.wantStatus || r.Outcome() != tt.wantOutcome {
				t.Errorf("status %d outcome %v, want %d %v", r.StatusCode, r.Outcome(), tt.wantStatus, tt.wantOutcome)
			}
			if r.Snippet != tt.wantSnippet {
				t.Errorf("Snippet = %q, want %q", r.Snippet, tt.wantSnippet)
			}
			if lo, hi := tt.wantRetryAfter[0], tt.wantRetryAfter[1]; r.RetryAfter < lo || r.RetryAfter > hi {
				t.Errorf("RetryAfter = %v, want [%v, %v]", r.RetryAfter, lo, hi)
			}
			if r.Latency <= 0 {
				t.Errorf("Latency = %v", r.Latency)
			}
			got := sk.requests()
			if len(got) != 1 {
				t.Fatalf("sink got %d requests, want 1", len(got))
			}
			req := got[0]
			for header, want := range map[string]string{
				"Content-Type":         "application/json",
				"User-Agent":           "seatsync-webhooks/1",
				HeaderWebhookID:        m.MessageID,
				HeaderWebhookTimestamp: strconv.FormatInt(m.Timestamp.Unix(), 10),
			} {
				if v := req.Header.Get(header); v != want {
					t.Errorf("%s = %q, want %q", header, v, want)
				}
			}
			if req.Method != http.MethodPost || req.URL.Path != "/hooks" {
				t.Errorf("request %s %s", req.Method, req.URL.Path)
			}
			if n := len(strings.Fields(req.Header.Get(HeaderWebhookSignature))); n != len(tt.secrets) {
				t.Errorf("%d signatures, want %d", n, len(tt.secrets))
			}
		})
	}
}

func TestSendDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var targetHits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
	}))
	t.Cleanup(target.Close)
	for _, status := range []int{301, 302, 307, 308} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			_, srv := newSink(t, []string{specSecret}, answer(status, "moved", "Location", target.URL+"/elsewhere"))
			r := NewSender(5*time.Second, true, 0).Send(t.Context(), testMessage(srv.URL, specSecret))
			if r.Err != nil || r.StatusCode != status || r.Outcome() != Retry {
				t.Errorf("Result = %+v, want status %d, Retry, no error", r, status)
			}
		})
	}
	t.Cleanup(func() {
		if n := targetHits.Load(); n != 0 {
			t.Errorf("redirect target received %d requests", n)
		}
	})
}

func TestSendTimesOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first, so Close does not wait on the handler

	const timeout = 200 * time.Millisecond
	start := time.Now()
	r := NewSender(timeout, true, 0).Send(t.Context(), testMessage(srv.URL, specSecret))
	took := time.Since(start)
	if r.Err == nil || r.StatusCode != 0 || r.Outcome() != Retry {
		t.Fatalf("Result = %+v, want a Retry with an error and no status", r)
	}
	if !errors.Is(r.Err, context.DeadlineExceeded) {
		t.Errorf("Err = %v, want a deadline error", r.Err)
	}
	if strings.Contains(r.Err.Error(), srv.URL) {
		t.Errorf("Err %q repeats the URL", r.Err)
	}
	if took < timeout || took > timeout+5*time.Second {
		t.Errorf("Send took %v with a %v timeout", took, timeout)
	}
}

func TestSendSlowBodyIsBounded(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	r := NewSender(300*time.Millisecond, true, 0).Send(t.Context(), testMessage(srv.URL, specSecret))
	if r.StatusCode != 200 || r.Err != nil || r.Snippet != "partial" {
		t.Errorf("Result = %+v, want 200 with the part that came", r)
	}
}

func TestSendEndlessBody(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	r := NewSender(10*time.Second, true, 0).Send(t.Context(), testMessage(srv.URL, specSecret))
	if r.Err != nil || r.Outcome() != Delivered || r.Snippet != strings.Repeat("x", 1024) {
		t.Errorf("Result = status %d err %v snippet %d bytes; want 200 and 1 KiB", r.StatusCode, r.Err, len(r.Snippet))
	}
}

func TestSendSnippet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want string
	}{
		{"short", "hello", "hello"},
		{"exactly 1 KiB", strings.Repeat("a", 1024), strings.Repeat("a", 1024)},
		{"truncated at 1 KiB", strings.Repeat("a", 5000), strings.Repeat("a", 1024)},
		{"cut inside a two-byte rune", strings.Repeat("a", 1023) + "é and more", strings.Repeat("a", 1023)},
		{"cut inside a four-byte rune", strings.Repeat("a", 1022) + "😀 and more", strings.Repeat("a", 1022)},
		{"rune ending at the limit", strings.Repeat("a", 1022) + "é and more", strings.Repeat("a", 1022) + "é"},
		{"invalid bytes", "ok\xff\xfeok", "ok\uFFFDok"},
		{"NUL", "a\x00b", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, srv := newSink(t, []string{specSecret}, answer(500, tt.body))
			r := NewSender(5*time.Second, true, 0).Send(t.Context(), testMessage(srv.URL, specSecret))
			if r.Snippet != tt.want {
				t.Errorf("Snippet = %q (%d bytes), want %d bytes", r.Snippet, len(r.Snippet), len(tt.want))
			}
			if !utf8.ValidString(r.Snippet) {
				t.Error("Snippet is not valid UTF-8")
			}
		})
	}
}

func TestSendRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port

	tests := []struct{ name, url string }{
		{"IPv4 loopback", fmt.Sprintf("http://127.0.0.1:%d/", port)},
		{"IPv6 loopback", fmt.Sprintf("http://[::1]:%d/", port)},
		{"name resolving to loopback", fmt.Sprintf("http://localhost:%d/", port)},
		{"mapped loopback", fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/", port)},
		{"metadata service", "http://169.254.169.254/latest/meta-data/"},
		{"https to loopback", fmt.Sprintf("https://127.0.0.1:%d/", port)},
	}
	sender := NewSender(5*time.Second, false, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sender.Send(t.Context(), testMessage(tt.url, specSecret))
			if !errors.Is(r.Err, ErrPrivateAddress) || r.StatusCode != 0 || r.Outcome() != Retry {
				t.Errorf("Result = %+v, want a Retry wrapping ErrPrivateAddress", r)
			}
			// The attempt's logged error says which setting allows it.
			if r.Err == nil || !strings.Contains(r.Err.Error(), "SEATSYNC_OUTBOUND_ALLOW_PRIVATE_NETWORKS=true") {
				t.Errorf("error %v does not name the setting that allows it", r.Err)
			}
		})
	}
	t.Cleanup(func() {
		if n := hits.Load(); n != 0 {
			t.Errorf("the loopback server received %d requests", n)
		}
	})
}

func TestRefusePrivate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		address string
		refused bool
	}{
		{"127.0.0.1:80", true},
		{"[::1]:443", true},
		{"169.254.169.254:80", true},
		{"[::ffff:10.0.0.1]:80", true},
		{"[fe80::1%eth0]:80", true},
		{"100.64.1.1:443", true},
		{"not an address", true},
		{"93.184.216.34:443", false},
		{"[2606:4700::1111]:443", false},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			t.Parallel()
			err := refusePrivate("tcp", tt.address, nil)
			if errors.Is(err, ErrPrivateAddress) != tt.refused || (err != nil && !tt.refused) {
				t.Errorf("refusePrivate(%q) = %v, want refused %v", tt.address, err, tt.refused)
			}
		})
	}
}

func TestSendSignError(t *testing.T) {
	t.Parallel()
	_, srv := newSink(t, nil, answer(200, ""))
	for _, secrets := range [][]string{nil, {"whsec_%%%"}} {
		r := NewSender(time.Second, true, 0).Send(t.Context(), testMessage(srv.URL, secrets...))
		if r.Err == nil || r.Outcome() != Retry {
			t.Errorf("secrets %q: Result = %+v, want an error", secrets, r)
		}
	}
}

func TestSendConcurrent(t *testing.T) {
	t.Parallel()
	sk, srv := newSink(t, []string{specSecret}, answer(200, "ok"))
	sender := NewSender(5*time.Second, true, 0)
	const n = 32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m := testMessage(srv.URL, specSecret)
			m.MessageID = fmt.Sprintf("msg_%d", i)
			if r := sender.Send(t.Context(), m); r.Outcome() != Delivered {
				t.Errorf("send %d: %+v", i, r)
			}
		})
	}
	wg.Wait()
	if got := len(sk.requests()); got != n {
		t.Errorf("sink got %d requests, want %d", got, n)
	}
}

// Deliveries reuse their connections: the answer is read to its end and
// closed, and the idle pool keeps as many connections per host as were in
// use at once.
func TestSendKeepsConnectionsAlive(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 4<<10)) // longer than the snippet
	}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	const parallel = 8
	sender := NewSender(5*time.Second, true, parallel)
	for round := range 5 {
		var wg sync.WaitGroup
		for i := range parallel {
			wg.Go(func() {
				m := testMessage(srv.URL, specSecret)
				m.MessageID = fmt.Sprintf("msg_%d_%d", round, i)
				if r := sender.Send(t.Context(), m); r.Outcome() != Delivered {
					t.Errorf("send: %+v", r)
				}
			})
		}
		wg.Wait()
	}
	if n := conns.Load(); n > parallel {
		t.Errorf("%d deliveries in rounds of %d opened %d connections, want at most %d", 5*parallel, parallel, n, parallel)
	}
}

func TestOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    Result
		want Outcome
	}{
		{"200", Result{StatusCode: 200}, Delivered},
		{"299", Result{StatusCode: 299}, Delivered},
		{"410", Result{StatusCode: 410}, Gone},
		{"302", Result{StatusCode: 302}, Retry},
		{"404", Result{StatusCode: 404}, Retry},
		{"500", Result{StatusCode: 500}, Retry},
		{"transport error", Result{Err: errors.New("connection refused")}, Retry},
		{"refused", Result{Err: ErrPrivateAddress}, Retry},
		{"nothing", Result{}, Retry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.r.Outcome(); got != tt.want {
				t.Errorf("Outcome() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		value string
		want  time.Duration
	}{
		{"absent", "", 0},
		{"seconds", "7", 7 * time.Second},
		{"surrounding space", " 120 ", 2 * time.Minute},
		{"zero clamps up", "0", time.Second},
		{"an hour", "3600", time.Hour},
		{"over an hour", "99999", time.Hour},
		{"overflowing digits", "99999999999999999999999", time.Hour},
		{"negative", "-5", 0},
		{"fraction", "1.5", 0},
		{"garbage", "soon", 0},
		{"IMF date", "Sat, 21 Nov 2026 10:00:30 GMT", 30 * time.Second},
		{"RFC 850 date", "Saturday, 21-Nov-26 10:02:00 GMT", 2 * time.Minute},
		{"asctime date", "Sat Nov 21 10:00:45 2026", 45 * time.Second},
		{"past date clamps up", "Fri, 20 Nov 2026 10:00:00 GMT", time.Second},
		{"far date clamps down", "Mon, 21 Dec 2026 10:00:00 GMT", time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := parseRetryAfter(tt.value, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, seed := range []string{"7", "0", "99999", "Sat, 21 Nov 2026 10:00:30 GMT", "soon", "-1", "1e3", " 5"} {
		f.Add(seed)
	}
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d := parseRetryAfter(v, now); d != 0 && (d < time.Second || d > time.Hour) {
			t.Fatalf("parseRetryAfter(%q) = %v, outside [1s, 1h]", v, d)
		}
	})
}

func FuzzSnippet(f *testing.F) {
	for _, seed := range []string{"ok", strings.Repeat("é", 600), "\xff\x00\xfe", strings.Repeat("a\xff", 700)} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, b []byte, truncated bool) {
		if len(b) > maxSnippet {
			b = b[:maxSnippet]
		}
		s := snippet(b, truncated)
		if !utf8.ValidString(s) || len(s) > maxSnippet || strings.ContainsRune(s, 0) {
			t.Fatalf("snippet(%q) = %q", b, s)
		}
		if utf8.Valid(b) && !truncated && !strings.ContainsRune(string(b), 0) && s != string(b) {
			t.Fatalf("snippet changed valid text %q to %q", b, s)
		}
	})
}
