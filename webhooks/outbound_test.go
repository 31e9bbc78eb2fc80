package webhooks

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestSignOutbound(t *testing.T) {
	t.Parallel()
	body := []byte(`{"type":"seat.revoked","data":{"seat_id":"s_1"}}`)
	now := time.Now()
	tests := []struct {
		name    string
		secrets []string
	}{
		{"one secret", []string{specSecret}},
		{"rotation: current and previous", []string{rotatedSecret, specSecret}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sig, err := SignOutbound(tt.secrets, "msg_1", now, body)
			if err != nil {
				t.Fatal(err)
			}
			entries := strings.Split(sig, " ")
			if len(entries) != len(tt.secrets) {
				t.Fatalf("SignOutbound = %q: %d entries, want one per secret (%d)", sig, len(entries), len(tt.secrets))
			}
			for _, e := range entries {
				if !strings.HasPrefix(e, "v1,") {
					t.Errorf("entry %q is not v1", e)
				}
			}
			h := http.Header{}
			h.Set(HeaderWebhookID, "msg_1")
			h.Set(HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
			h.Set(HeaderWebhookSignature, sig)
			for _, secret := range tt.secrets {
				wh, err := standardwebhooks.NewWebhook(secret)
				if err != nil {
					t.Fatal(err)
				}
				if err := wh.Verify(body, h); err != nil {
					t.Errorf("official Verify with one of the secrets = %v", err)
				}
			}
			wh, err := standardwebhooks.NewWebhook(unknownSecret)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.Verify(body, h); err == nil {
				t.Error("official Verify accepted a secret that did not sign")
			}
		})
	}
}

func TestSignOutboundSpecVector(t *testing.T) {
	t.Parallel()
	got, err := SignOutbound([]string{specSecret}, specID, time.Unix(specUnix, 0), []byte(specBody))
	if got != specSig || err != nil {
		t.Errorf("SignOutbound(spec vector) = %q, %v; want %q", got, err, specSig)
	}
}

func TestSignOutboundErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
	}{
		{"no secrets", nil},
		{"garbled second secret", []string{specSecret, "whsec_%%%secretish"}},
		{"missing prefix", []string{"c2VjcmV0LXdpdGhvdXQtcHJlZml4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := SignOutbound(tt.secrets, "msg_1", time.Now(), nil)
			if err == nil {
				t.Fatal("SignOutbound succeeded")
			}
			for _, s := range tt.secrets {
				if strings.Contains(err.Error(), strings.TrimPrefix(s, secretPrefix)) {
					t.Errorf("error %q quotes a secret", err)
				}
			}
		})
	}
}

func TestNewEndpointSecret(t *testing.T) {
	t.Parallel()
	a, err := NewEndpointSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewEndpointSecret()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("two secrets are equal")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	if !strings.HasPrefix(a, "whsec_") || err != nil || len(key) != 32 {
		t.Errorf("secret %q: want whsec_ and 32 base64 bytes (decode err %v, %d bytes)", a, err, len(key))
	}
	// Our own inbound verifier must accept it, or a subscriber that is also
	// a seatsync could not use it.
	if _, err := NewStandard([]string{a}, 0); err != nil {
		t.Errorf("NewStandard(new secret) = %v", err)
	}
}

func TestCheckEndpointURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		url          string
		allowPrivate bool
		wantErr      bool
		wantPrivate  bool // the error wraps ErrPrivateAddress
	}{
		{name: "https", url: "https://hooks.example.com/seatsync?token=abc"},
		{name: "http with port", url: "http://hooks.example.com:8080/in"},
		{name: "public IPv4", url: "https://93.184.216.34/"},
		{name: "public IPv6", url: "https://[2606:4700::1111]/"},
		{name: "uppercase scheme", url: "HTTPS://hooks.example.com/"},
		{name: "empty", url: "", wantErr: true},
		{name: "too long", url: "https://example.com/" + strings.Repeat("a", 2048), wantErr: true},
		{name: "exactly 2048 bytes", url: "https://example.com/" + strings.Repeat("a", 2048-len("https://example.com/"))},
		{name: "relative", url: "/hooks", wantErr: true},
		{name: "no scheme", url: "hooks.example.com/in", wantErr: true},
		{name: "ftp", url: "ftp://example.com/", wantErr: true},
		{name: "javascript", url: "javascript:alert(1)", wantErr: true},
		{name: "opaque http", url: "http:example.com", wantErr: true},
		{name: "no host", url: "https:///path", wantErr: true},
		{name: "port only", url: "https://:443/", wantErr: true},
		{name: "user info", url: "https://user:pw@example.com/", wantErr: true},
		{name: "user only", url: "https://user@example.com/", wantErr: true},
		{name: "fragment", url: "https://example.com/#frag", wantErr: true},
		{name: "empty fragment", url: "https://example.com/#", wantErr: true},
		{name: "control character", url: "https://example.com/\n", wantErr: true},
		{name: "port zero", url: "https://example.com:0/", wantErr: true},
		{name: "port too big", url: "https://example.com:65536/", wantErr: true},
		{name: "short IPv4 form", url: "http://127.1/", wantErr: true},
		{name: "decimal IPv4 form", url: "http://2130706433/", wantErr: true},
		{name: "hex IPv4 form", url: "http://0x7f.0.0.1/", wantErr: true},
		{name: "legacy form even when private allowed", url: "http://127.1/", allowPrivate: true, wantErr: true},
		{name: "localhost", url: "http://localhost:8080/", wantErr: true, wantPrivate: true},
		{name: "LOCALHOST with dot", url: "http://LOCALHOST./", wantErr: true, wantPrivate: true},
		{name: "under localhost", url: "http://app.localhost/", wantErr: true, wantPrivate: true},
		{name: "loopback", url: "http://127.0.0.1:9000/", wantErr: true, wantPrivate: true},
		{name: "IPv6 loopback", url: "http://[::1]:9000/", wantErr: true, wantPrivate: true},
		{name: "mapped loopback", url: "http://[::ffff:127.0.0.1]/", wantErr: true, wantPrivate: true},
		{name: "RFC 1918", url: "https://10.1.2.3/", wantErr: true, wantPrivate: true},
		{name: "RFC 1918 172", url: "https://172.16.0.1/", wantErr: true, wantPrivate: true},
		{name: "RFC 1918 192", url: "https://192.168.1.1/", wantErr: true, wantPrivate: true},
		{name: "metadata", url: "http://169.254.169.254/latest/meta-data/", wantErr: true, wantPrivate: true},
		{name: "unique local", url: "http://[fd00::2]/", wantErr: true, wantPrivate: true},
		{name: "link-local with zone", url: "http://[fe80::1%25eth0]/", wantErr: true, wantPrivate: true},
		{name: "unspecified", url: "http://0.0.0.0/", wantErr: true, wantPrivate: true},
		{name: "IPv6 unspecified", url: "http://[::]/", wantErr: true, wantPrivate: true},
		{name: "CGNAT", url: "http://100.64.0.1/", wantErr: true, wantPrivate: true},
		{name: "localhost allowed", url: "http://localhost:8080/", allowPrivate: true},
		{name: "loopback allowed", url: "http://127.0.0.1:9000/", allowPrivate: true},
		{name: "private allowed", url: "http://[fd00::2]/", allowPrivate: true},
		{name: "bad URL still refused when private allowed", url: "https://user@example.com/", allowPrivate: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckEndpointURL(tt.url, tt.allowPrivate)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CheckEndpointURL(%q, %v) = %v, want error %v", tt.url, tt.allowPrivate, err, tt.wantErr)
			}
			if tt.wantPrivate && !strings.Contains(err.Error(), "SEATSYNC_OUTBOUND_ALLOW_PRIVATE_NETWORKS=true") {
				t.Errorf("CheckEndpointURL(%q) = %v; want it to name the setting that allows it", tt.url, err)
			}
			if got := errors.Is(err, ErrPrivateAddress); got != tt.wantPrivate {
				t.Errorf("CheckEndpointURL(%q) = %v; wraps ErrPrivateAddress = %v, want %v", tt.url, err, got, tt.wantPrivate)
			}
			if err != nil && len(err.Error()) > 200 {
				t.Errorf("error is %d bytes; it must not quote the whole URL", len(err.Error()))
			}
		})
	}
}

func TestBlockedAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr    string
		blocked bool
	}{
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"::1", true},
		{"10.0.0.1", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.0.1", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"169.254.169.254", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"::", true},
		{"224.0.0.1", true},
		{"ff02::1", true},
		{"255.255.255.255", true},
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"64:ff9b::a9fe:a9fe", true}, // NAT64 form of 169.254.169.254
		{"8.8.8.8", false},
		{"93.184.216.34", false},
		{"172.32.0.1", false},
		{"100.128.0.1", false},
		{"2606:4700::1111", false},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::808:808", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			t.Parallel()
			if got := blockedAddr(netip.MustParseAddr(tt.addr)); got != tt.blocked {
				t.Errorf("blockedAddr(%s) = %v, want %v", tt.addr, got, tt.blocked)
			}
		})
	}
}

// FuzzCheckEndpointURL: never panics; whatever it accepts is an absolute
// http(s) URL with a host and without user info, and anything accepted with
// the guard on is also accepted with it off.
func FuzzCheckEndpointURL(f *testing.F) {
	for _, seed := range []string{
		"https://hooks.example.com/in?x=1", "http://127.0.0.1:80/", "http://[::ffff:10.0.0.1]/",
		"http://localhost./", "https://u@h/", "http://127.1", "https://[fe80::1%25en0]:8/", "http:x", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if CheckEndpointURL(raw, false) == nil {
			if err := CheckEndpointURL(raw, true); err != nil {
				t.Fatalf("accepted with the guard on, refused with it off: %v", err)
			}
		}
		if CheckEndpointURL(raw, true) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted %q, which does not parse: %v", raw, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || u.Fragment != "" {
			t.Fatalf("accepted %q", raw)
		}
	})
}
