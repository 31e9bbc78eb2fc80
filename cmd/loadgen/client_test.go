package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatsync/seatsync/webhooks"
)

var testSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("loadgen test key, 24 b.."))

// receiver is a test receiver that verifies every delivery and answers by
// the event's sequence number, so the test knows what each request got.
type receiver struct {
	t        *testing.T
	verifier *webhooks.Standard
	conns    atomic.Int64 // connections accepted

	mu       sync.Mutex
	answered map[int]int64 // status of every answer written
	hijacked int64         // requests whose connection was closed unanswered
	closes   int64         // answers with Connection: close
	acked    []string      // ids answered 202
}

func newReceiver(t *testing.T) *receiver {
	v, err := webhooks.NewStandard([]string{testSecret}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &receiver{t: t, verifier: v, answered: map[int]int64{}}
}

// start serves the receiver on a new httptest server, or on l when given.
func (rc *receiver) start(l net.Listener) *httptest.Server {
	srv := httptest.NewUnstartedServer(rc)
	if l != nil {
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			rc.conns.Add(1)
		}
	}
	srv.Start()
	rc.t.Cleanup(srv.Close)
	return srv
}

// ServeHTTP answers 202 to most events; by the last digit of their
// sequence number: 3 a 409, 5 a 503, 7 a connection closed unanswered, 8 a
// 202 with Connection: close, 9 a chunked 202 with a trailer.
func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = rc.check(r, body)
	}
	if err != nil {
		rc.t.Errorf("bad delivery: %v", err)
		rc.answer(w, http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(webhooks.HeaderWebhookID)
	seq, _ := strconv.Atoi(id[strings.LastIndexByte(id, '_')+1:])
	switch seq % 10 {
	case 3:
		rc.answer(w, http.StatusConflict)
	case 5:
		rc.answer(w, http.StatusServiceUnavailable)
	case 7:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			rc.t.Error(err)
			return
		}
		rc.mu.Lock()
		rc.hijacked++
		rc.mu.Unlock()
		conn.Close()
	case 8:
		w.Header().Set("Connection", "close")
		rc.mu.Lock()
		rc.closes++
		rc.mu.Unlock()
		rc.accept(w, id)
	case 9:
		w.Header().Set("Trailer", "X-Done")
		rc.accept(w, id)
		http.NewResponseController(w).Flush() // a first chunk, before the rest
		w.Write([]byte(`{"more":"chunks"}`))
		w.Header().Set("X-Done", "yes")
	default:
		rc.accept(w, id)
	}
}

func (rc *receiver) check(r *http.Request, body []byte) error {
	if err := rc.verifier.Verify(r.Header, body, time.Now()); err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		return errors.New("Content-Type " + ct)
	}
	var event struct {
		Type string
		Data map[string]string
	}
	if err := json.Unmarshal(body, &event); err != nil || event.Type != "user.upserted" || event.Data["email"] == "" {
		return errors.New("body " + string(body))
	}
	return nil
}

func (rc *receiver) accept(w http.ResponseWriter, id string) {
	rc.mu.Lock()
	rc.acked = append(rc.acked, id)
	rc.mu.Unlock()
	rc.answer(w, http.StatusAccepted)
}

func (rc *receiver) answer(w http.ResponseWriter, status int) {
	rc.mu.Lock()
	rc.answered[status]++
	rc.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(`{"status":"` + http.StatusText(status) + `"}`))
}

func testOptions(t *testing.T, n int64, urls ...string) options {
	signer, err := webhooks.NewStandardSigner(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return options{
		urls: urls, concurrency: 4, duration: 5 * time.Second, max: n,
		prefix: "test", customers: 100, signer: signer, timeout: time.Second,
		acked: filepath.Join(t.TempDir(), "acked"),
	}
}

// checkTally checks that res counted what rc answered, and the unanswered
// requests besides as transport errors.
func checkTally(t *testing.T, rc *receiver, o options, res result, otherErrors int64) {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if res.n != o.max {
		t.Errorf("sent %d, want %d", res.n, o.max)
	}
	if !maps.Equal(res.statuses, rc.answered) {
		t.Errorf("statuses %v, receiver answered %v", res.statuses, rc.answered)
	}
	if want := rc.hijacked + otherErrors; res.errors != want {
		t.Errorf("%d transport errors, want %d", res.errors, want)
	}
	written, err := os.ReadFile(o.acked)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(written))
	slices.Sort(got)
	slices.Sort(rc.acked)
	if !slices.Equal(got, rc.acked) {
		t.Errorf("-acked lists %d ids, receiver acknowledged %d", len(got), len(rc.acked))
	}
}

func TestSendCountsWhatTheReceiverAnswered(t *testing.T) {
	rc := newReceiver(t)
	srv := rc.start(nil)
	o := testOptions(t, 400, srv.URL+"/v1/webhooks/demo")
	res, err := send(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	checkTally(t, rc, o, res, 0)
	// Every closed connection but a sender's last is dialled again, and no
	// other: the rest are kept alive.
	closed := rc.hijacked + rc.closes
	if conns := rc.conns.Load(); conns < closed || conns > closed+int64(o.concurrency) {
		t.Errorf("%d connections for %d closed by the receiver and %d senders", conns, closed, o.concurrency)
	}
}

func TestSendGoesOnPastADeadReceiver(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead.Close()
	rc := newReceiver(t)
	srv := rc.start(nil)
	o := testOptions(t, 200, "http://"+dead.Addr().String()+"/", srv.URL+"/")
	res, err := send(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	checkTally(t, rc, o, res, o.max/2) // every other request refused
}

func TestSendReconnectsAfterTheReceiverRestarts(t *testing.T) {
	rc := newReceiver(t)
	first := rc.start(nil)
	addr := first.Listener.Addr().String()
	o := testOptions(t, 500, "http://"+addr+"/")
	o.rate = 1000
	go func() {
		time.Sleep(150 * time.Millisecond)
		first.Close()
		time.Sleep(100 * time.Millisecond)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		rc.start(l)
	}()
	res, err := send(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	answered, last := rc.answered[http.StatusAccepted], rc.acked[len(rc.acked)-1]
	rc.mu.Unlock()
	// Closing the first server can cut off answers it had written but not
	// sent, at most one per sender: those requests are transport errors.
	accepted := res.statuses[http.StatusAccepted]
	if accepted > answered || answered > accepted+int64(o.concurrency) || res.errors == 0 {
		t.Errorf("%d accepted (receiver says %d), %d transport errors: want some while it was down", accepted, answered, res.errors)
	}
	if res.longestGap < 100*time.Millisecond {
		t.Errorf("longest time without a 202 %s, shorter than the receiver was down", res.longestGap)
	}
	if seq, _ := strconv.Atoi(strings.TrimPrefix(last, "test_")); seq < 450 {
		t.Errorf("the last 202 was to %s: the senders did not come back", last)
	}
}

func TestSendTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // accepts, reads and never answers
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, conn)
		}
	}()
	o := testOptions(t, 2, "http://"+l.Addr().String()+"/")
	o.concurrency, o.timeout = 1, 50*time.Millisecond
	res, err := send(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.errors != 2 || res.latencies[0] < o.timeout {
		t.Errorf("%d transport errors, first took %s: want 2, each timing out", res.errors, res.latencies[0])
	}
}

func TestReadResponse(t *testing.T) {
	const next = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}"
	for _, tc := range []struct {
		name, raw string
		status    int
		reusable  bool
		err       bool
	}{
		{"content length", "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\ncontent-length: 4\r\n\r\n{}\r\n", 202, true, false},
		{"no body", "HTTP/1.1 204 No Content\r\n\r\n", 204, true, false},
		{"chunked", "HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nX-Done: yes\r\n\r\n", 409, true, false},
		{"connection close", "HTTP/1.1 202 Accepted\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n", 202, false, false},
		{"HTTP/1.0", "HTTP/1.0 202 Accepted\r\nContent-Length: 0\r\n\r\n", 202, false, false},
		{"bare LF", "HTTP/1.1 503 Service Unavailable\nContent-Length: 1\n\nx", 503, true, false},
		{"body to EOF", "HTTP/1.1 202 Accepted\r\n\r\n{}", 202, false, false},
		{"truncated body", "HTTP/1.1 202 Accepted\r\nContent-Length: 10\r\n\r\n{}", 0, false, true},
		{"truncated chunk", "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{}", 0, false, true},
		{"bad chunk size", "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, false, true},
		{"gzip", "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 0, false, true},
		{"interim", "HTTP/1.1 100 Continue\r\n\r\n", 0, false, true},
		{"not HTTP", "SSH-2.0-OpenSSH_9.6\r\n", 0, false, true},
		{"header without colon", "HTTP/1.1 202 Accepted\r\nnonsense\r\n\r\n", 0, false, true},
		{"EOF before an answer", "", 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.raw
			if tc.reusable {
				raw += next
			}
			r := bufio.NewReader(strings.NewReader(raw))
			status, reusable, err := readResponse(r)
			if status != tc.status || reusable != tc.reusable || (err != nil) != tc.err {
				t.Fatalf("got %d, reusable %t, error %v; want %d, %t, error %t", status, reusable, err, tc.status, tc.reusable, tc.err)
			}
			if tc.reusable {
				if status, _, err := readResponse(r); status != 201 || err != nil {
					t.Errorf("the next answer read as %d, %v: the body was not consumed exactly", status, err)
				}
			}
		})
	}
}

// TestRunOutput checks the lines the .ci scripts grep.
func TestRunOutput(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-url", srv.URL, "-secret", testSecret, "-c", "2", "-n", "50", "-d", "5s"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`= [0-9]+/s`, `p50 \S+ p99 [^,]+`, `statuses map\[202:50\]$`} {
		if !regexp.MustCompile(`(?m)` + want).Match(out.Bytes()) {
			t.Errorf("output %q does not match %s", out.String(), want)
		}
	}
	if err := run(context.Background(), []string{"-url", "http://example.com/", "-secret", testSecret}, io.Discard); err == nil {
		t.Error("a non-loopback URL was accepted")
	}
}
