package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/seatsync/seatsync/webhooks"
)

// sendCommand signs one canonical event with a configured source's first
// secret and posts it, so a newcomer can watch an event go through without
// writing a signer.
func sendCommand(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
	source := fs.String("source", "", "configured source of kind standard to send as (required)")
	eventType := fs.String("type", "", "event type, e.g. user.upserted (required)")
	data := fs.String("data", "", "the event's data object as JSON, or @FILE to read it from a file (required)")
	id := fs.String("id", "", "webhook-id of the delivery (default: a random evt_ id)")
	at := fs.String("at", "", "the event's own time, RFC 3339 (default: now)")
	target := fs.String("url", "", "base URL of seatsync (default: http://127.0.0.1 on SEATSYNC_HTTP_ADDR's port)")
	return func(ctx context.Context, env *environment, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if *source == "" || *eventType == "" || *data == "" {
			return fmt.Errorf("%w: send needs --source, --type and --data", errUsage)
		}
		cfg, _, err := env.load()
		if err != nil {
			return err
		}
		src, ok := cfg.Source(*source)
		if !ok {
			return fmt.Errorf("%w: no source %q is configured (SEATSYNC_SOURCE_%s_KIND)", errUsage, *source, strings.ToUpper(*source))
		}
		body, err := envelope(*eventType, *data, *at)
		if err != nil {
			return err
		}
		if *id == "" {
			*id = "evt_" + randomHex(12)
		}
		base := *target
		if base == "" {
			_, port, _ := net.SplitHostPort(cfg.HTTPAddr)
			base = "http://127.0.0.1:" + port
		}
		now := time.Now()
		sig, err := webhooks.SignStandard(src.Secrets[0], *id, now, body)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+"/v1/webhooks/"+src.Name, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(webhooks.HeaderWebhookID, *id)
		req.Header.Set(webhooks.HeaderWebhookTimestamp, fmt.Sprint(now.Unix()))
		req.Header.Set(webhooks.HeaderWebhookSignature, sig)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return fmt.Errorf("send: %w", err)
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		fmt.Fprintf(env.stdout, "%s %s\n%s\n", *id, resp.Status, bytes.TrimSpace(answer))
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("send: seatsync answered %s", resp.Status)
		}
		return nil
	}
}

// envelope builds {"type", "timestamp", "data"}.
func envelope(eventType, data, at string) ([]byte, error) {
	if file, ok := strings.CutPrefix(data, "@"); ok {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
		data = string(b)
	}
	if !json.Valid([]byte(data)) {
		return nil, fmt.Errorf("%w: --data is not valid JSON", errUsage)
	}
	ts := time.Now().UTC()
	if at != "" {
		var err error
		if ts, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("%w: --at: %w", errUsage, err)
		}
	}
	return json.Marshal(struct {
		Type      string          `json:"type"`
		Timestamp time.Time       `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{eventType, ts, json.RawMessage(data)})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
