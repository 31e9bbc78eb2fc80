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
)

// sendCommand signs one event with a configured source's first secret, as
// that source's provider signs, and posts it, so a newcomer can watch an
// event go through without writing a signer. For a source of kind standard
// it wraps --type and --data in the canonical envelope; for every other
// kind the body must be the provider's own payload, given with --body.
func sendCommand(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
	source := fs.String("source", "", "configured source to send as, of any kind (required)")
	eventType := fs.String("type", "", "kind standard: the canonical event type, e.g. user.upserted")
	data := fs.String("data", "", "kind standard: the event's data object as JSON, or @FILE to read it from a file")
	rawBody := fs.String("body", "", "the whole body as JSON, or @FILE: a provider payload for kinds stripe, paddle, polar, workos, okta (sent as is, signed)")
	id := fs.String("id", "", "webhook-id of the delivery, for kinds standard and polar (default: a random evt_ id)")
	at := fs.String("at", "", "kind standard: the event's own time, RFC 3339 (default: now)")
	target := fs.String("url", "", "base URL of seatsync (default: http://127.0.0.1 on SEATSYNC_HTTP_ADDR's port)")
	return func(ctx context.Context, env *environment, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if *source == "" {
			return fmt.Errorf("%w: send needs --source, and --type and --data (kind standard) or --body (any kind)", errUsage)
		}
		cfg, _, err := env.load()
		if err != nil {
			return err
		}
		src, ok := cfg.Source(*source)
		if !ok {
			return fmt.Errorf("%w: no source %q is configured (SEATSYNC_SOURCE_%s_KIND)", errUsage, *source, strings.ToUpper(*source))
		}
		body, err := sendBody(src.Kind, *eventType, *data, *at, *rawBody)
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
		header, err := signDelivery(src.Kind, src.Secrets[0], *id, time.Now(), body)
		if err != nil {
			return fmt.Errorf("source %s: %w", src.Name, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+"/v1/webhooks/"+src.Name, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header = header
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

// sendBody is the body send posts: --body as given, or for kind standard
// the canonical envelope around --type and --data.
func sendBody(kind, eventType, data, at, rawBody string) ([]byte, error) {
	switch {
	case rawBody != "" && (eventType != "" || data != "" || at != ""):
		return nil, fmt.Errorf("%w: give either --body or --type and --data, not both", errUsage)
	case rawBody != "":
		b, err := readJSONArg("--body", rawBody)
		return []byte(b), err
	case kind != "standard":
		return nil, fmt.Errorf("%w: the source is of kind %s, whose body is the provider's own payload: give it with --body "+
			"(--type and --data build seatsync's canonical event, which only sources of kind standard take)", errUsage, kind)
	case eventType == "" || data == "":
		return nil, fmt.Errorf("%w: send needs --type and --data (or --body) for a source of kind standard", errUsage)
	}
	return envelope(eventType, data, at)
}

// readJSONArg reads a flag's JSON value, or the file it names after @.
func readJSONArg(flagName, v string) (string, error) {
	if file, ok := strings.CutPrefix(v, "@"); ok {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s: %w", flagName, err)
		}
		v = string(b)
	}
	if !json.Valid([]byte(v)) {
		return "", fmt.Errorf("%w: %s is not valid JSON", errUsage, flagName)
	}
	return v, nil
}

// envelope builds {"type", "timestamp", "data"}.
func envelope(eventType, data, at string) ([]byte, error) {
	data, err := readJSONArg("--data", data)
	if err != nil {
		return nil, err
	}
	ts := time.Now().UTC()
	if at != "" {
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
