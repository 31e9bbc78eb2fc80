package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/seatsync/seatsync/webhooks"
)

// The client below is deliberately not net/http: the load generator shares
// the CPU with the receiver it measures, and net/http's client spends most
// of a request in goroutine hand-offs and header maps. A sender here writes
// one prebuilt buffer and parses just enough of the answer to find its end.

// requestTimeout bounds a request from dial to the end of its answer, as
// the http.Client this client replaced did.
const requestTimeout = 10 * time.Second

// target is one receiver URL, ready to be dialled and written to.
type target struct {
	addr string // host:port to dial
	// head is the request line and the headers that never change.
	head string
}

// parseTargets turns the -url list into targets. Only plain HTTP is spoken.
func parseTargets(urls []string) ([]target, error) {
	targets := make([]target, len(urls))
	for i, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "http" || u.Host == "" {
			return nil, fmt.Errorf("-url %q: want http://host[:port]/path", raw)
		}
		addr := u.Host
		if u.Port() == "" {
			addr = net.JoinHostPort(u.Hostname(), "80")
		}
		targets[i] = target{
			addr: addr,
			head: "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Type: application/json\r\n",
		}
	}
	return targets, nil
}

// link is one sender's keep-alive connection to one target, dialled when
// first needed and again after any error or a "Connection: close".
type link struct {
	target
	conn net.Conn
	r    *bufio.Reader
}

// roundTrip sends req and reads the answer's status by the deadline.
// After an error, or an answer that ends the connection, the connection is
// closed and the next request dials again.
func (l *link) roundTrip(req []byte, deadline time.Time) (int, error) {
	if l.conn == nil {
		conn, err := (&net.Dialer{Deadline: deadline}).Dial("tcp", l.addr)
		if err != nil {
			return 0, err
		}
		l.conn = conn
		l.r.Reset(conn)
	}
	status, reusable, err := l.exchange(req, deadline)
	if err != nil || !reusable {
		l.conn.Close()
		l.conn = nil
	}
	return status, err
}

func (l *link) exchange(req []byte, deadline time.Time) (status int, reusable bool, err error) {
	if err := l.conn.SetDeadline(deadline); err != nil {
		return 0, false, err
	}
	if _, err := l.conn.Write(req); err != nil {
		return 0, false, err
	}
	return readResponse(l.r)
}

// sender is one of the -c concurrent senders: it owns its connections, its
// buffers and its tally, so requests share nothing but the sequence counter.
type sender struct {
	o     *options
	links []link // one per target, request n going to links[n % len]
	// Buffers reused by every request: the event id, the timestamp, the
	// body and the whole request.
	id, ts, body, req []byte
	tally             tally
}

// tally is what a sender's answers were.
type tally struct {
	statuses map[int]int64
	errors   int64
	acked    []int64     // sequence numbers answered 202, with -acked
	ackedAt  []time.Time // when those 202s came, with -rate
}

// merge adds another sender's tally to t.
func (t *tally) merge(u tally) {
	for status, n := range u.statuses {
		t.statuses[status] += n
	}
	t.errors += u.errors
	t.acked = append(t.acked, u.acked...)
	t.ackedAt = append(t.ackedAt, u.ackedAt...)
}

func newSender(o *options, targets []target) *sender {
	s := &sender{o: o, tally: tally{statuses: map[int]int64{}}}
	for _, t := range targets {
		s.links = append(s.links, link{target: t, r: bufio.NewReader(nil)})
	}
	return s
}

// send sends request seq and returns how long it took. A transport error
// is counted, and the link re-dials on its next request.
func (s *sender) send(seq int64) time.Duration {
	now := time.Now()
	l := &s.links[seq%int64(len(s.links))]
	status, err := l.roundTrip(s.request(l.head, seq, now), now.Add(s.o.timeout))
	took := time.Since(now)
	if err != nil {
		s.tally.errors++
		return took
	}
	s.tally.statuses[status]++
	if status == http.StatusAccepted {
		if s.o.acked != "" {
			s.tally.acked = append(s.tally.acked, seq)
		}
		if s.o.rate > 0 {
			s.tally.ackedAt = append(s.tally.ackedAt, time.Now())
		}
	}
	return took
}

// request builds request seq, signed at now, into the sender's buffer.
func (s *sender) request(head string, seq int64, now time.Time) []byte {
	s.id = eventID(s.id[:0], s.o.prefix, seq)
	s.ts = strconv.AppendInt(s.ts[:0], now.Unix(), 10)
	s.body = eventBody(s.body[:0], s.o, seq, now)
	b := append(s.req[:0], head...)
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(s.body)), 10)
	b = appendHeader(b, webhooks.HeaderWebhookID, s.id)
	b = appendHeader(b, webhooks.HeaderWebhookTimestamp, s.ts)
	b = append(b, "\r\n"+webhooks.HeaderWebhookSignature+": "...)
	b = s.o.signer.AppendSignature(b, string(s.id), string(s.ts), s.body)
	b = append(b, "\r\n\r\n"...)
	s.req = append(b, s.body...)
	return s.req
}

// appendHeader ends the line before and appends "name: value".
func appendHeader(b []byte, name string, value []byte) []byte {
	b = append(b, "\r\n"...)
	b = append(b, name...)
	b = append(b, ": "...)
	return append(b, value...)
}

// eventID appends the id of event seq, prefix_seq, to dst.
func eventID(dst []byte, prefix string, seq int64) []byte {
	return strconv.AppendInt(append(append(dst, prefix...), '_'), seq, 10)
}

var errMalformed = errors.New("malformed HTTP response")

// readResponse reads one answer off r and discards its body, leaving r at
// the start of the next answer. It reports the status, and whether the
// connection may carry another request.
func readResponse(r *bufio.Reader) (status int, reusable bool, err error) {
	line, err := readLine(r)
	if err != nil {
		return 0, false, err
	}
	// "HTTP/1.1 202 Accepted": HTTP/1.0 closes unless asked otherwise,
	// which this client never asks.
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	closing := line[7] == '0'
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil || code < 100 {
		return 0, false, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	length, chunked := int64(-1), false
	for {
		line, err := readLine(r)
		if err != nil {
			return 0, false, err
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, fmt.Errorf("%w: header line %q", errMalformed, line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
				return 0, false, fmt.Errorf("%w: Content-Length %q", errMalformed, value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("chunked")) {
				return 0, false, fmt.Errorf("unsupported Transfer-Encoding %q", value)
			}
			chunked = true
		case bytes.EqualFold(name, []byte("Connection")):
			closing = closing || hasToken(value, "close")
		}
	}
	switch {
	case code < 200:
		// This client sends no Expect and asks for no upgrade.
		return 0, false, fmt.Errorf("unexpected interim response %d", code)
	case code == http.StatusNoContent || code == http.StatusNotModified:
	case chunked:
		err = discardChunked(r)
	case length >= 0:
		_, err = r.Discard(int(length))
	default:
		// No length: the body ends with the connection.
		_, err = io.Copy(io.Discard, r)
		closing = true
	}
	if err != nil {
		return 0, false, err
	}
	return code, !closing, nil
}

// discardChunked discards a chunked body and its trailers.
func discardChunked(r *bufio.Reader) error {
	for {
		line, err := readLine(r)
		if err != nil {
			return err
		}
		sizeText, _, _ := bytes.Cut(line, []byte(";")) // chunk extensions are ignored
		size, err := strconv.ParseInt(string(bytes.TrimSpace(sizeText)), 16, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("%w: chunk size %q", errMalformed, line)
		}
		if size == 0 {
			break
		}
		if _, err := r.Discard(int(size)); err != nil {
			return err
		}
		if line, err := readLine(r); err != nil || len(line) != 0 {
			return fmt.Errorf("%w: no CRLF after a chunk (%v)", errMalformed, err)
		}
	}
	for { // trailers, up to the empty line
		line, err := readLine(r)
		if err != nil || len(line) == 0 {
			return err
		}
	}
}

// readLine returns the next line without its line ending. The line is only
// valid until the next read from r; an EOF in the middle of an answer is an
// unexpected one.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(line[:len(line)-1], []byte("\r")), nil
}

// hasToken reports whether the comma-separated list holds token, in any case.
func hasToken(list []byte, token string) bool {
	for len(list) > 0 {
		var item []byte
		item, list, _ = bytes.Cut(list, []byte(","))
		if bytes.EqualFold(bytes.TrimSpace(item), []byte(token)) {
			return true
		}
	}
	return false
}
