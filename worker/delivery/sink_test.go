package delivery_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// sink is a subscriber: it verifies every delivery with the official
// Standard Webhooks library (unless it trusts no secret) and answers what
// respond says, which may block.
type sink struct {
	t       testing.TB
	respond func(id string, attempt int, w http.ResponseWriter) int
	mu      sync.Mutex
	secrets []string
	got     map[string][]time.Time // webhook-id → arrival of each request
	paths   map[string]int         // URL path → requests
	active  int                    // requests being answered now
	most    int                    // the most requests answered at once
	conns   atomic.Int64           // connections opened to it
	srv     *httptest.Server
}

func newSink(t testing.TB, respond func(id string, attempt int, w http.ResponseWriter) int) *sink {
	s := &sink{t: t, respond: respond, got: map[string][]time.Time{}, paths: map[string]int{}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

func ok(string, int, http.ResponseWriter) int { return http.StatusOK }

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	secrets := append([]string{}, s.secrets...)
	id := r.Header.Get("webhook-id")
	s.got[id] = append(s.got[id], arrived)
	s.paths[r.URL.Path]++
	attempt := len(s.got[id])
	s.active++
	s.most = max(s.most, s.active)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
	}()
	for _, secret := range secrets {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			s.t.Error(err)
			continue
		}
		if err := wh.Verify(body, r.Header); err != nil {
			s.t.Errorf("delivery does not verify with secret %.12s…: %v", secret, err)
		}
	}
	w.WriteHeader(s.respond(id, attempt, w))
}

func (s *sink) trust(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = secrets
}

func (s *sink) requests(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got[id])
}

func (s *sink) arrivals(id string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time{}, s.got[id]...)
}

func (s *sink) pathRequests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paths[path]
}

// concurrency is the most requests the sink answered at once so far.
func (s *sink) concurrency() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.most
}

// newHangingSink is a sink that never answers until the test ends. Make it
// after bundle.start: its requests are released first, then it closes,
// then the server's shutdown waits for its tasks.
func newHangingSink(t testing.TB) *sink {
	release := make(chan struct{})
	s := newSink(t, func(string, int, http.ResponseWriter) int { <-release; return http.StatusOK })
	t.Cleanup(func() { close(release) })
	return s
}
